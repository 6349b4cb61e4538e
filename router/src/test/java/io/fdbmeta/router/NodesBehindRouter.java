package io.fdbmeta.router;

import com.apple.foundationdb.Database;
import io.fdbmeta.embedded.EmbeddedFdb;
import io.fdbmeta.layer.LayerConfig;
import io.fdbmeta.layer.route.ChangeFeed;
import io.fdbmeta.storage.LocalCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Real storage nodes ({@link LocalCluster}, 3 nodes in 3 zones, 3 replicas per range) on an
 * in-memory store, and routers started on their catalog: the end-to-end setup, all on loopback
 * sockets. Closed together, routers first.
 */
final class NodesBehindRouter implements AutoCloseable {
  /** Short leases, as in the storage module's tests: a 2 s lease renewed every 2/3 s. */
  static final LayerConfig LAYER =
      LayerConfig.builder()
          .leaseDuration(Duration.ofSeconds(2))
          .maxClockOffset(Duration.ofMillis(250))
          .livenessDuration(Duration.ofSeconds(3))
          .build();

  final Database db;
  final LocalCluster cluster;
  final String name;
  private final List<Router> routers = new ArrayList<>();

  private NodesBehindRouter(Database db, LocalCluster cluster, String name) {
    this.db = db;
    this.cluster = cluster;
    this.name = name;
  }

  static NodesBehindRouter start(String name) {
    return start(name, o -> o);
  }

  /** As {@link #start(String)}, with {@code adjust} applied to the cluster's options last. */
  static NodesBehindRouter start(
      String name, java.util.function.UnaryOperator<LocalCluster.Options.Builder> adjust) {
    Database db = EmbeddedFdb.inMemory();
    try {
      LocalCluster c =
          LocalCluster.start(
              db,
              name,
              LAYER,
              adjust
                  .apply(
                      LocalCluster.Options.builder()
                          .nodes(3)
                          .replication(3)
                          .nodeConfig(
                              n ->
                                  n.replicationTimeout(Duration.ofSeconds(1))
                                      .drainTimeout(Duration.ofSeconds(2))
                                      .routePollInterval(Duration.ofMillis(200))))
                  .build());
      return new NodesBehindRouter(db, c, name);
    } catch (RuntimeException e) {
      db.close();
      throw e;
    }
  }

  /**
   * A router on a free port, no admin port, 2 I/O threads, following the catalog with watches and a
   * 200 ms poll; {@code tune} adjusts.
   */
  Router router(Consumer<RouterConfig.Builder> tune) {
    RouterConfig.Builder b =
        RouterConfig.builder()
            .port(0)
            .adminPort(-1)
            .cluster(name)
            .ioThreads(2)
            .feedOptions(ChangeFeed.Options.builder().pollInterval(Duration.ofMillis(200)).build());
    tune.accept(b);
    Router r = Router.start(b.build(), db, cluster.keyspace());
    routers.add(r);
    return r;
  }

  Router router() {
    return router(b -> {});
  }

  /** The routers started so far, in order. */
  List<Router> routers() {
    return List.copyOf(routers);
  }

  @Override
  public void close() {
    try {
      for (Router r : routers) r.close();
      cluster.close();
    } finally {
      db.close();
    }
  }
}
