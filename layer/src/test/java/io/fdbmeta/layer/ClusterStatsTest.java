package io.fdbmeta.layer;

import static org.assertj.core.api.Assertions.assertThat;

import com.apple.foundationdb.Database;
import io.fdbmeta.embedded.EmbeddedFdb;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ClusterStatsTest {
  private final Database db = EmbeddedFdb.inMemory();

  @AfterEach
  void close() {
    db.close();
  }

  @Test
  void initSaysWhetherItCreatedTheRootRange() {
    RangeCatalog catalog = new RangeCatalog(Keyspace.open(db, "t"), LayerConfig.defaults());
    RangeCatalog.Bootstrap first = catalog.init(db);
    RangeCatalog.Bootstrap again = catalog.init(db);
    assertThat(first.created()).isTrue();
    assertThat(again.created()).isFalse();
    assertThat(again.first()).isEqualTo(first.first());
  }

  @Test
  void emptyClusterIsNotBootstrapped() {
    ClusterStats.Summary s = new ClusterStats(Keyspace.open(db, "t")).summary(db);
    assertThat(s.bootstrapped()).isFalse();
    assertThat(s.ranges()).isZero();
    assertThat(s.nodes()).isZero();
    assertThat(s.nodesByStatus()).containsOnlyKeys(NodeStatus.values());
    assertThat(s.metaVersion()).isNull();
    assertThat(s.changelogEntries()).isZero();
    assertThat(s.oldestChange()).isNull();
  }

  @Test
  void countsRangesNodesAndChangesAcrossPages() {
    Keyspace ks = Keyspace.open(db, "t");
    RangeCatalog catalog = new RangeCatalog(ks, LayerConfig.defaults());
    long id = catalog.init(db).first().rangeId();
    for (int i = 0; i < 5; i++) {
      id = catalog.split(db, id, ("k" + (9 - i)).getBytes(StandardCharsets.UTF_8)).left().rangeId();
    }
    db.run(
        tr -> {
          tr.set(ks.livenessKey(NodeStatus.LIVE, 1, "a"), new byte[0]);
          tr.set(ks.livenessKey(NodeStatus.LIVE, 2, "b"), new byte[0]);
          tr.set(ks.livenessKey(NodeStatus.DEAD, 3, "c"), new byte[0]);
          return null;
        });
    ClusterStats stats = new ClusterStats(ks);
    ClusterStats.Summary s = stats.summary(db);
    assertThat(s.ranges()).isEqualTo(6);
    assertThat(s.nodes()).isEqualTo(3);
    assertThat(s.nodesByStatus())
        .containsEntry(NodeStatus.LIVE, 2L)
        .containsEntry(NodeStatus.DEAD, 1L)
        .containsEntry(NodeStatus.DRAINING, 0L);
    assertThat(s.schemaVersion()).isEqualTo(SchemaVersion.LATEST);
    assertThat(s.metaVersion()).hasSize(10);
    assertThat(s.changelogEntries())
        .isEqualTo(1 + 5 * 3); // init: 1 upsert; each split: remove + 2 upserts
    assertThat(s.oldestChange().compareTo(s.newestChange())).isNegative();
    assertThat(java.util.Arrays.copyOf(s.newestChange().getTransactionVersion(), 10))
        .isEqualTo(s.metaVersion());
  }

  @Test
  void countingPagesPastThePageSize() {
    Keyspace ks = Keyspace.open(db, "t");
    int n = ClusterStats.PAGE * 2 + 7;
    for (int start = 0; start < n; start += 2000) {
      int from = start;
      db.run(
          tr -> {
            for (int i = from; i < Math.min(n, from + 2000); i++)
              tr.set(ks.livenessKey(NodeStatus.LIVE, i, "n" + i), new byte[0]);
            return null;
          });
    }
    assertThat(new ClusterStats(ks).countAsync(db, ks.livenessOf(NodeStatus.LIVE)).join())
        .isEqualTo(n);
  }
}
