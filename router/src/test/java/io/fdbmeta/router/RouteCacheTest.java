package io.fdbmeta.router;

import static io.fdbmeta.router.TestCluster.b;
import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.layer.ChangeEvent;
import io.fdbmeta.layer.RangeDescriptor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RouteCacheTest {
  static RangeDescriptor range(long id, String start, String end, long gen, long epoch) {
    return new RangeDescriptor(
        id, b(start), end == null ? null : b(end), gen, List.of("n1"), "n1", epoch);
  }

  /** A catalog stand-in: a fixed tiling, loads count and answer at the given read version. */
  static final class Catalog implements RouteCache.Loader {
    final TreeMap<String, RangeDescriptor> byStart = new TreeMap<>();
    final AtomicInteger loads = new AtomicInteger();
    long readVersion = 1_000;

    void put(RangeDescriptor d) {
      byStart.put(new String(d.startKey()), d);
    }

    @Override
    public CompletableFuture<RouteCache.Loaded> load(byte[] key) {
      loads.incrementAndGet();
      RangeDescriptor d = byStart.floorEntry(new String(key)).getValue();
      return CompletableFuture.completedFuture(new RouteCache.Loaded(d, readVersion));
    }
  }

  private static long id(RangeDescriptor d) {
    return d == null ? -1 : d.rangeId();
  }

  @Test
  void aHitNeedsTheKeyInsideTheEntryAndAGapIsAMiss() {
    RouteCache c =
        new RouteCache(
            1 << 20, k -> CompletableFuture.failedFuture(new AssertionError("no loads")));
    c.replaceAll(List.of(range(1, "", "c", 1, 1), range(3, "m", "t", 1, 1)), 0);
    assertThat(id(c.lookup(b("a")))).isEqualTo(1);
    assertThat(id(c.lookup(b("")))).isEqualTo(1);
    assertThat(c.lookup(b("c"))).isNull(); // [c, m) is not cached
    assertThat(c.lookup(b("l"))).isNull();
    assertThat(id(c.lookup(b("m")))).isEqualTo(3);
    assertThat(c.lookup(b("t"))).isNull();
    assertThat(c.lookup(b("zzz"))).isNull();
  }

  @Test
  void aMissLoadsTheOneRangeAndCachesIt() {
    Catalog cat = new Catalog();
    cat.put(range(1, "", "c", 1, 1));
    cat.put(range(2, "c", "m", 1, 1));
    cat.put(range(3, "m", null, 1, 1));
    RouteCache c = new RouteCache(1 << 20, cat);
    assertThat(id(c.lookupOrLoad(b("d")).join())).isEqualTo(2);
    assertThat(id(c.lookupOrLoad(b("e")).join())).isEqualTo(2);
    assertThat(cat.loads.get()).isEqualTo(1);
    assertThat(id(c.lookupOrLoad(b("zz")).join())).isEqualTo(3);
    assertThat(c.size()).isEqualTo(2);
  }

  @Test
  void newerDescriptorsReplaceWhatTheyOverlapAndOlderOnesAreRefused() {
    RouteCache c =
        new RouteCache(1 << 20, k -> CompletableFuture.failedFuture(new AssertionError()));
    c.replaceAll(List.of(range(1, "", null, 1, 1)), 0);
    // a split learned from a redirect: the right child replaces the parent
    assertThat(c.offer(range(3, "m", null, 2, 1))).isTrue();
    assertThat(c.lookup(b("a"))).isNull();
    assertThat(id(c.lookup(b("x")))).isEqualTo(3);
    // the old parent again (a late, stale redirect) is refused
    assertThat(c.offer(range(1, "", null, 1, 1))).isFalse();
    assertThat(c.offer(range(2, "", "m", 2, 1))).isTrue();
    // same range: a higher epoch replaces, a lower one does not
    assertThat(c.offer(range(2, "", "m", 2, 5))).isTrue();
    assertThat(c.offer(range(2, "", "m", 2, 4))).isFalse();
    assertThat(c.lookup(b("a")).leaseEpoch()).isEqualTo(5);
    assertThat(c.snapshot()).extracting(RangeDescriptor::rangeId).containsExactly(2L, 3L);
  }

  @Test
  void aSplitOfACachedRangeBringsItsChildrenAndUnrelatedEventsAreIgnored() {
    RouteCache c =
        new RouteCache(1 << 20, k -> CompletableFuture.failedFuture(new AssertionError()));
    c.replaceAll(List.of(range(1, "", "m", 1, 1)), 10);
    c.applyChanges(
        11,
        List.of(
            ChangeEvent.remove(1, b("m")),
            ChangeEvent.upsert(range(2, "", "f", 2, 1)),
            ChangeEvent.upsert(range(3, "f", "m", 2, 1))));
    assertThat(c.snapshot()).extracting(RangeDescriptor::rangeId).containsExactly(2L, 3L);
    // a change to a range the cache does not hold (and nothing it overlaps) is not cached
    c.applyChanges(12, List.of(ChangeEvent.upsert(range(9, "m", null, 4, 1))));
    assertThat(c.lookup(b("x"))).isNull();
    // a merge of two cached ranges
    c.applyChanges(
        13, List.of(ChangeEvent.remove(3, b("m")), ChangeEvent.upsert(range(2, "", "m", 3, 1))));
    assertThat(c.snapshot()).extracting(RangeDescriptor::rangeId).containsExactly(2L);
    assertThat(c.appliedVersion()).isEqualTo(13);
  }

  @Test
  void aLoadThatLostARaceWithTheFeedIsUsedButNotCached() {
    Catalog cat = new Catalog();
    cat.put(range(1, "", null, 1, 1));
    RouteCache c = new RouteCache(1 << 20, cat);
    c.replaceAll(List.of(), 100);
    c.applyChanges(
        200,
        List.of(
            ChangeEvent.upsert(
                range(1, "", null, 1, 2)))); // lease moved at 200, not cached: ignored
    cat.readVersion = 150; // read before that change: stale
    assertThat(c.lookupOrLoad(b("a")).join().leaseEpoch()).isEqualTo(1);
    assertThat(c.size()).isZero();
    cat.readVersion = 250;
    assertThat(c.lookupOrLoad(b("a")).join().leaseEpoch()).isEqualTo(1);
    assertThat(c.size()).isEqualTo(1);
    assertThat(c.stats().loadsNotCached()).isEqualTo(1);
  }

  @Test
  void theWeightBoundsTheCacheAndTheIndexFollowsEvictions() {
    Catalog cat = new Catalog();
    for (int i = 0; i < 2000; i++)
      cat.put(range(i + 1, String.format("k%05d", i), String.format("k%05d", i + 1), 1, 1));
    cat.put(range(9999, "", "k00000", 1, 1));
    RouteCache c = new RouteCache(64 << 10, cat);
    Random rnd = new Random(1);
    for (int i = 0; i < 20_000; i++) {
      String k = String.format("k%05d", rnd.nextInt(2000));
      assertThat(new String(c.lookupOrLoad(b(k)).join().startKey())).isEqualTo(k);
    }
    c.offer(range(5000, "zz", null, 1, 1)); // any write drains pending evictions into the index
    assertThat(c.weight()).isLessThanOrEqualTo(64 << 10);
    assertThat(c.stats().evictions()).isPositive();
    List<RangeDescriptor> cached = c.snapshot();
    assertThat(cached.size()).isEqualTo(c.size()).isLessThan(2000);
    for (RangeDescriptor d : cached)
      assertThat(c.byId(d.rangeId())).as("in the policy too").isNotNull();
  }

  @Test
  void replaceAllKeepsTheNewerOfOverlappingPages() {
    RouteCache c =
        new RouteCache(1 << 20, k -> CompletableFuture.failedFuture(new AssertionError()));
    // page 1 saw the parent, page 2 (later) its right child
    c.replaceAll(
        List.of(range(1, "", "m", 1, 1), range(3, "f", "m", 2, 1), range(4, "m", null, 1, 1)), 0);
    assertThat(c.snapshot()).extracting(RangeDescriptor::rangeId).containsExactly(3L, 4L);
  }

  @Test
  void theIndexAgreesWithASortedMapUnderRandomEdits() {
    Random rnd = new Random(42);
    EndIndex index = EndIndex.EMPTY;
    TreeMap<String, CachedRange> model = new TreeMap<>();
    long nextId = 1;
    for (int round = 0; round < 300; round++) {
      EndIndex.Editor e = index.edit();
      for (int i = 0; i < 1 + rnd.nextInt(40); i++) {
        if (!model.isEmpty() && rnd.nextInt(3) == 0) {
          String k = model.ceilingKey(String.format("%04d", rnd.nextInt(10_000)));
          if (k == null) k = model.firstKey();
          assertThat(e.remove(model.remove(k))).isTrue();
        } else {
          int end = rnd.nextInt(10_000);
          String ek = String.format("%04d", end);
          if (model.containsKey(ek)) continue;
          CachedRange r =
              new CachedRange(
                  new RangeDescriptor(nextId++, new byte[0], b(ek), 1, List.of(), null, 0));
          model.put(ek, r);
          e.add(r);
        }
      }
      index = e.build();
      assertThat(index.size()).isEqualTo(model.size());
      for (int q = 0; q < 50; q++) {
        String key = String.format("%04d", rnd.nextInt(10_001));
        Map.Entry<String, CachedRange> want = model.higherEntry(key);
        assertThat(index.ceiling(b(key))).isSameAs(want == null ? null : want.getValue());
      }
    }
    List<String> ends = new ArrayList<>();
    for (CachedRange r : index.all()) ends.add(new String(r.end));
    assertThat(ends).containsExactlyElementsOf(model.keySet());
    assertThat(Arrays.asList(index.all().toArray())).hasSize(model.size());
  }
}
