package io.fdbmeta.storage;

import static io.fdbmeta.storage.Bytes.b;
import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.layer.ChangeEvent;
import io.fdbmeta.layer.LayerConfig;
import io.fdbmeta.layer.RangeDescriptor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReplicaSetTest {
  final FakeClock clock = new FakeClock(1_700_000_000_000L);
  final List<Long> synced = new ArrayList<>();
  final List<Long> leases = new ArrayList<>();
  final List<Span> dropped = new ArrayList<>();
  final ReplicaSet set = new ReplicaSet("n1", LayerConfig.builder().clock(clock).build(), new ReplicaSet.Hooks() {
    @Override
    public void syncNeeded(Replica r) {
      synced.add(r.rangeId);
    }

    @Override
    public void leaseNeeded(Replica r) {
      leases.add(r.rangeId);
    }

    @Override
    public void dropped(Span span) {
      dropped.add(span);
    }
  });

  static RangeDescriptor range(long id, String start, String end, long gen, String holder, long epoch, String... replicas) {
    return new RangeDescriptor(id, b(start), end == null ? null : b(end), gen, List.of(replicas), holder, epoch);
  }

  @Test
  void aRangeThatNeverHadALeaseHasNoDataToFetch() {
    set.apply(List.of(ChangeEvent.upsert(range(1, "", null, 2, null, 0, "n1", "n2"))));
    assertThat(set.byId(1).synced()).isTrue();
    assertThat(synced).isEmpty();
    assertThat(set.forKey(b("zzz")).rangeId).isEqualTo(1);
  }

  @Test
  void joiningALeasedRangeFetchesFirstAndBeingNamedHolderAsksForTheLease() {
    set.apply(List.of(ChangeEvent.upsert(range(1, "", null, 2, "n2", 4, "n1", "n2")), ChangeEvent.upsert(range(2, "x", null, 2, "n1", 4, "n2", "n3"))));
    assertThat(set.byId(1).synced()).isFalse();
    assertThat(synced).containsExactly(1L);
    assertThat(set.byId(2)).as("not a replica here").isNull();
    set.byId(1).markSynced();
    set.apply(List.of(ChangeEvent.upsert(range(1, "", null, 2, "n1", 5, "n1", "n2"))));
    assertThat(leases).containsExactly(1L);
    assertThat(set.byId(1).isServing()).as("not before it acquired the lease").isFalse();
  }

  @Test
  void childrenOfASplitOfASyncedReplicaAreSyncedAndNothingIsDropped() {
    set.apply(List.of(ChangeEvent.upsert(range(1, "a", "z", 2, "n2", 4, "n1", "n2"))));
    set.byId(1).markSynced();
    set.apply(List.of(ChangeEvent.remove(1, b("z")), ChangeEvent.upsert(range(7, "a", "m", 3, "n2", 4, "n1", "n2")),
        ChangeEvent.upsert(range(8, "m", "z", 3, "n2", 4, "n1", "n2"))));
    assertThat(set.byId(1)).isNull();
    assertThat(set.byId(7).synced()).isTrue();
    assertThat(set.byId(8).synced()).isTrue();
    assertThat(set.forKey(b("q")).rangeId).isEqualTo(8);
    assertThat(set.forKey(b("b")).rangeId).isEqualTo(7);
    assertThat(dropped).isEmpty();
    assertThat(synced).containsExactly(1L);
  }

  @Test
  void losingAReplicaDropsItsData() {
    set.apply(List.of(ChangeEvent.upsert(range(1, "a", "m", 2, "n2", 0, "n1", "n2")), ChangeEvent.upsert(range(2, "m", null, 2, "n2", 0, "n1", "n2"))));
    set.apply(List.of(ChangeEvent.upsert(range(2, "m", null, 3, "n2", 0, "n2", "n3"))));
    assertThat(set.byId(2)).isNull();
    assertThat(set.forKey(b("q"))).isNull();
    assertThat(dropped).hasSize(1);
    assertThat(dropped.get(0).sameAs(new Span(b("m"), null))).isTrue();
  }

  @Test
  void aMergeOverDataNotHereFetches() {
    set.apply(List.of(ChangeEvent.upsert(range(1, "a", "m", 2, "n2", 3, "n1", "n2"))));
    set.byId(1).markSynced();
    synced.clear();
    set.apply(List.of(ChangeEvent.upsert(range(1, "a", null, 3, "n2", 4, "n1", "n2"))));
    assertThat(set.byId(1).synced()).isFalse();
    assertThat(synced).containsExactly(1L);
  }

  @Test
  void reloadKeepsWhatIsStillThereAndDropsTheRest() {
    set.apply(List.of(ChangeEvent.upsert(range(1, "", "m", 2, null, 0, "n1")), ChangeEvent.upsert(range(2, "m", null, 2, null, 0, "n1"))));
    Replica kept = set.byId(1);
    set.reload(List.of(range(1, "", "m", 2, null, 0, "n1"), range(2, "m", null, 3, null, 0, "n2")));
    assertThat(set.byId(1)).isSameAs(kept);
    assertThat(set.byId(2)).isNull();
    assertThat(set.size()).isEqualTo(1);
    assertThat(dropped).hasSize(1);
  }
}
