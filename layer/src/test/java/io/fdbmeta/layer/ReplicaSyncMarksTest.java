package io.fdbmeta.layer;

import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.layer.ReplicaSyncMarks.Mark;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReplicaSyncMarksTest {

  private static final class Marks implements AutoCloseable {
    final Fixture f = new Fixture();
    final ReplicaSyncMarks marks = new ReplicaSyncMarks(f.ks);
    final Map<String, Long> incarnations = new HashMap<>();
    RangeDescriptor d;

    Marks(String... nodes) {
      for (String n : nodes) {
        incarnations.put(n, f.register(n).incarnation());
        d = f.catalog.addReplicaAsync(f.db, f.root.rangeId(), n, -1).join();
      }
    }

    List<Mark> mark(String node, long generation) {
      return marks
          .markAsync(f.db, node, incarnations.get(node), List.of(new Mark(d.rangeId(), generation)))
          .join();
    }

    boolean synced() {
      return marks.replicasSynced(f.db, d.rangeId(), f.clock.millis());
    }

    @Override
    public void close() {
      f.close();
    }
  }

  @Test
  void aRangeIsSyncedOnlyOnceEveryLiveReplicaMarkedItsCopy() {
    try (Marks m = new Marks("a", "b", "c")) {
      assertThat(m.synced()).isFalse();
      m.mark("a", m.d.generation());
      m.mark("b", m.d.generation());
      assertThat(m.synced()).isFalse();
      assertThat(m.mark("c", m.d.generation())).hasSize(1);
      assertThat(m.synced()).isTrue();
    }
  }

  @Test
  void aReplicaChangeVoidsEveryMarkUntilTheNodesMarkTheNewGeneration() {
    try (Marks m = new Marks("a", "b")) {
      long before = m.d.generation();
      m.mark("a", before);
      m.mark("b", before);
      m.incarnations.put("c", m.f.register("c").incarnation());
      m.d = m.f.catalog.addReplicaAsync(m.f.db, m.d.rangeId(), "c", -1).join();
      assertThat(m.synced()).isFalse();
      assertThat(m.mark("a", before)).as("a late mark of the old generation").isEmpty();
      m.mark("a", m.d.generation());
      m.mark("b", m.d.generation());
      assertThat(m.synced()).as("c has not copied yet").isFalse();
      m.mark("c", m.d.generation());
      assertThat(m.synced()).isTrue();
    }
  }

  @Test
  void aRemovedReplicaLosesItsMarkAndCannotMarkAgain() {
    try (Marks m = new Marks("a", "b", "c")) {
      m.mark("c", m.d.generation());
      m.d = m.f.catalog.removeReplicaAsync(m.f.db, m.d.rangeId(), "c", -1).join();
      byte[] stored = m.f.db.read(tr -> tr.get(m.f.ks.replicaSyncedKey(m.d.rangeId(), "c")).join());
      assertThat(stored).as("c's mark after c left the range").isNull();
      assertThat(m.mark("c", m.d.generation())).isEmpty();
    }
  }

  @Test
  void aRestartedNodesMarksAreVoid() {
    try (Marks m = new Marks("a", "b")) {
      m.mark("a", m.d.generation());
      m.mark("b", m.d.generation());
      assertThat(m.synced()).isTrue();
      m.f.register("b"); // b's process restarted: a new incarnation, its copy is gone
      assertThat(m.synced()).isFalse();
    }
  }

  @Test
  void replicasOnNodesThatAreDownAreNotWaitedFor() {
    try (Marks m = new Marks("a", "b")) {
      m.mark("a", m.d.generation());
      assertThat(m.synced()).isFalse();
      m.f.clock.advanceMillis(m.f.config.livenessMillis() + 1);
      m.f.heartbeat("a", m.incarnations.get("a"));
      assertThat(m.synced()).as("b's liveness expired").isTrue();
    }
  }

  @Test
  void aSplitClearsTheParentsMarks() {
    try (Marks m = new Marks("a")) {
      m.mark("a", m.d.generation());
      m.f.catalog.split(m.f.db, m.d.rangeId(), new byte[] {'m'});
      List<com.apple.foundationdb.KeyValue> left =
          m.f.db.read(tr -> tr.getRange(m.f.ks.replicaSyncedOf(m.d.rangeId())).asList().join());
      assertThat(left).isEmpty();
    }
  }
}
