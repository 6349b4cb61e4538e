package io.fdbmeta.storage;

import static io.fdbmeta.storage.Bytes.b;
import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.layer.ChangeEvent;
import io.fdbmeta.layer.LayerConfig;
import io.fdbmeta.layer.LeaseGuard;
import io.fdbmeta.layer.RangeCatalog;
import io.fdbmeta.layer.RangeDescriptor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReplicaSetTest {
  final FakeClock clock = new FakeClock(1_700_000_000_000L);
  final List<Long> synced = new ArrayList<>();
  final List<Long> leases = new ArrayList<>();
  final List<Span> dropped = new ArrayList<>();
  final ReplicaSet set =
      new ReplicaSet(
          "n1",
          LayerConfig.builder().clock(clock).build(),
          new ReplicaSet.Hooks() {
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

  static RangeDescriptor range(
      long id, String start, String end, long gen, String holder, long epoch, String... replicas) {
    return new RangeDescriptor(
        id, b(start), end == null ? null : b(end), gen, List.of(replicas), holder, epoch);
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
    set.apply(
        List.of(
            ChangeEvent.upsert(range(1, "", null, 2, "n2", 4, "n1", "n2")),
            ChangeEvent.upsert(range(2, "x", null, 2, "n1", 4, "n2", "n3"))));
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
    set.apply(
        List.of(
            ChangeEvent.remove(1, b("z")),
            ChangeEvent.upsert(range(7, "a", "m", 3, "n2", 4, "n1", "n2")),
            ChangeEvent.upsert(range(8, "m", "z", 3, "n2", 4, "n1", "n2"))));
    assertThat(set.byId(1)).isNull();
    assertThat(set.byId(7).synced()).isTrue();
    assertThat(set.byId(8).synced()).isTrue();
    assertThat(set.forKey(b("q")).rangeId).isEqualTo(8);
    assertThat(set.forKey(b("b")).rangeId).isEqualTo(7);
    assertThat(dropped).isEmpty();
    assertThat(synced).containsExactly(1L);
  }

  /**
   * What RangeSplitter does when this node's split commits: children prepared from the parent,
   * installed at once.
   */
  private void splitHere(long parentId, RangeDescriptor left, RangeDescriptor right) {
    Replica parent = set.byId(parentId);
    Replica l =
        new Replica(
            "n1",
            left,
            new LeaseGuard("n1", left.rangeId(), left.generation(), clock, 0),
            parent.synced());
    Replica r =
        new Replica(
            "n1",
            right,
            new LeaseGuard("n1", right.rangeId(), right.generation(), clock, 0),
            parent.synced());
    set.installSplit(parent, new RangeCatalog.SplitResult(left, right), l, r);
  }

  @Test
  void aLateFeedEventAboutARangeThisNodeSplitAgainDoesNotBringItBackNorHideItsChildren() {
    set.apply(List.of(ChangeEvent.upsert(range(1, "", null, 2, "n1", 4, "n1", "n2"))));
    set.byId(1).markSynced();
    synced.clear();
    // This node splits 1 at "m", then its right child 3 at "t", before its route feed brings either
    // split.
    RangeDescriptor left2 = range(2, "", "m", 3, "n1", 4, "n1", "n2");
    RangeDescriptor right3 = range(3, "m", null, 3, "n1", 4, "n1", "n2");
    splitHere(1, left2, right3);
    RangeDescriptor left4 = range(4, "m", "t", 4, "n1", 4, "n1", "n2");
    RangeDescriptor right5 = range(5, "t", null, 4, "n1", 4, "n1", "n2");
    splitHere(3, left4, right5);
    assertThat(set.forKey(b("n")).rangeId).isEqualTo(4);

    // The feed catches up: first split, then second.
    set.apply(
        List.of(
            ChangeEvent.remove(1, null), ChangeEvent.upsert(left2), ChangeEvent.upsert(right3)));
    assertThat(set.byId(3)).as("range 3, already split again here, does not come back").isNull();
    assertThat(set.forKey(b("n")).rangeId).isEqualTo(4);
    set.apply(
        List.of(
            ChangeEvent.remove(3, null), ChangeEvent.upsert(left4), ChangeEvent.upsert(right5)));
    assertThat(set.forKey(b("a")).rangeId).isEqualTo(2);
    assertThat(set.forKey(b("m"))).as("the key index has no gap where range 3 was").isNotNull();
    assertThat(set.forKey(b("n")).rangeId).isEqualTo(4);
    assertThat(set.forKey(b("u")).rangeId).isEqualTo(5);
    assertThat(set.all()).extracting(x -> x.rangeId).containsExactlyInAnyOrder(2L, 4L, 5L);
    assertThat(synced).as("nothing to fetch").isEmpty();
    assertThat(dropped).isEmpty();
  }

  @Test
  void losingAReplicaDropsItsData() {
    set.apply(
        List.of(
            ChangeEvent.upsert(range(1, "a", "m", 2, "n2", 0, "n1", "n2")),
            ChangeEvent.upsert(range(2, "m", null, 2, "n2", 0, "n1", "n2"))));
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
    set.apply(
        List.of(
            ChangeEvent.upsert(range(1, "", "m", 2, null, 0, "n1")),
            ChangeEvent.upsert(range(2, "m", null, 2, null, 0, "n1"))));
    Replica kept = set.byId(1);
    set.reload(List.of(range(1, "", "m", 2, null, 0, "n1"), range(2, "m", null, 3, null, 0, "n2")));
    assertThat(set.byId(1)).isSameAs(kept);
    assertThat(set.byId(2)).isNull();
    assertThat(set.size()).isEqualTo(1);
    assertThat(dropped).hasSize(1);
  }
}
