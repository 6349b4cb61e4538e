package io.fdbmeta.storage;

import com.apple.foundationdb.Database;
import io.fdbmeta.embedded.EmbeddedFdb;
import io.fdbmeta.embedded.FaultPlan;
import io.fdbmeta.layer.LayerConfig;
import java.time.Duration;
import java.util.function.UnaryOperator;

/** An in-memory database and a LocalCluster on short leases, closed together. */
final class TestClusters implements AutoCloseable {
  /** Short leases keep failover and expiry cases quick: a 2 s lease renewed every 2/3 s. */
  static final LayerConfig LAYER =
      LayerConfig.builder()
          .leaseDuration(Duration.ofSeconds(2))
          .maxClockOffset(Duration.ofMillis(250))
          .livenessDuration(Duration.ofSeconds(3))
          .build();

  final Database db;
  final LocalCluster cluster;

  private TestClusters(Database db, LocalCluster cluster) {
    this.db = db;
    this.cluster = cluster;
  }

  static TestClusters start(String name, UnaryOperator<LocalCluster.Options.Builder> options) {
    return start(name, options, FaultPlan.none());
  }

  /** A cluster whose store injects {@code faults} into commits from the start. */
  static TestClusters start(
      String name, UnaryOperator<LocalCluster.Options.Builder> options, FaultPlan faults) {
    Database db = EmbeddedFdb.builder().faults(faults).build();
    try {
      LocalCluster.Options.Builder b =
          LocalCluster.Options.builder()
              .nodes(3)
              .nodeConfig(
                  n ->
                      n.replicationTimeout(Duration.ofSeconds(1))
                          .drainTimeout(Duration.ofSeconds(2))
                          .routePollInterval(Duration.ofMillis(200)));
      return new TestClusters(db, LocalCluster.start(db, name, LAYER, options.apply(b).build()));
    } catch (RuntimeException e) {
      db.close();
      throw e;
    }
  }

  @Override
  public void close() {
    try {
      cluster.close();
    } finally {
      db.close();
    }
  }
}
