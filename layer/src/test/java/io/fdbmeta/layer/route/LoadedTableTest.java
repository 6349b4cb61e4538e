package io.fdbmeta.layer.route;

import static io.fdbmeta.layer.route.RouteTableTest.at;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.apple.foundationdb.KeyValue;
import com.apple.foundationdb.tuple.ByteArrayUtil;
import com.apple.foundationdb.tuple.Tuple;
import io.fdbmeta.layer.ChangeEvent;
import io.fdbmeta.layer.Ids;
import io.fdbmeta.layer.Keyspace;
import io.fdbmeta.layer.MetaException;
import io.fdbmeta.layer.RangeDescriptor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * A table loaded from range-index rows keeps them encoded, its chunks unindexed and its id index
 * unbuilt: what it returns decoded equals what Tuple decoding gives, a corrupt row fails when it is
 * decoded or indexed and names its range or key, and readers racing a writer see whole commits
 * while decodes, chunk indexing and the id index build race them.
 */
class LoadedTableTest {
  private static final Keyspace KS = Keyspace.atPrefix("test", new byte[] {0x15, 0x09});

  /** Page sizes of a load: below, at and above the chunk sizes, so chunks of every size occur. */
  private static final int[] PAGE_SIZES = {1, 700, 255, 256, 3, 511, 512, 64, 1000};

  /**
   * A table loaded from the rows of {@code ranges} as RouteLoader loads it: range-index rows in
   * pages of varied sizes, cut into runs indexed on first use; {@code values} may replace a row's
   * value.
   */
  static RouteSnapshot load(
      List<RangeDescriptor> ranges, Function<RangeDescriptor, byte[]> values) {
    List<RangeDescriptor> sorted = new ArrayList<>(ranges);
    sorted.sort((a, b) -> Arrays.compareUnsigned(KS.rangeKey(a.endKey()), KS.rangeKey(b.endKey())));
    List<KeyValue> rows = new ArrayList<>();
    for (RangeDescriptor d : sorted)
      rows.add(new KeyValue(KS.rangeKey(d.endKey()), values.apply(d)));
    return loadRows(rows);
  }

  /** A table loaded from range-index rows in key order, as {@link #load} cuts them into pages. */
  static RouteSnapshot loadRows(List<KeyValue> rows) {
    List<UnindexedChunk> runs = new ArrayList<>();
    RangeRow row = new RangeRow(KS.rangeSubspace().getKey().length);
    for (int from = 0, p = 0; from < rows.size(); p++) {
      int to = Math.min(rows.size(), from + PAGE_SIZES[p % PAGE_SIZES.length]);
      runs.addAll(
          Arrays.asList(RouteSnapshot.chunksOf(new ArrayList<>(rows.subList(from, to)), row)));
      from = to;
    }
    return RouteSnapshot.loaded(runs, at(1));
  }

  /**
   * Ranges tiling the key space at random keys, some with 0x00 bytes, with random ids and fields.
   */
  static List<RangeDescriptor> tiling(Random rnd, int n) {
    TreeSet<byte[]> cuts = new TreeSet<>(Arrays::compareUnsigned);
    while (cuts.size() < n - 1) {
      byte[] k = new byte[1 + rnd.nextInt(12)];
      for (int i = 0; i < k.length; i++)
        k[i] = (byte) (rnd.nextInt(5) == 0 ? 0 : 'a' + rnd.nextInt(26));
      cuts.add(k);
    }
    List<RangeDescriptor> out = new ArrayList<>();
    byte[] start = new byte[0];
    for (byte[] end : cuts) {
      out.add(descriptor(rnd, start, end));
      start = end;
    }
    out.add(descriptor(rnd, start, null));
    return out;
  }

  private static RangeDescriptor descriptor(Random rnd, byte[] start, byte @Nullable [] end) {
    List<String> replicas = List.of("n" + rnd.nextInt(9), "m" + rnd.nextInt(9));
    return new RangeDescriptor(
        Ids.newRangeId(),
        start,
        end,
        rnd.nextInt(1000),
        replicas,
        rnd.nextBoolean() ? replicas.get(0) : null,
        rnd.nextInt(50));
  }

  @Test
  void decodedRangesEqualTupleDecodedOnes() {
    Random rnd = new Random(3);
    List<RangeDescriptor> ranges = tiling(rnd, 3_000);
    RouteSnapshot s = load(ranges, RangeDescriptor::encode);
    assertThat(s.size()).isEqualTo(ranges.size());
    for (RangeDescriptor d : ranges) {
      RangeDescriptor found = s.lookup(d.startKey());
      assertThat(found).isEqualTo(RangeDescriptor.decode(d.encode())).isEqualTo(d);
      assertThat(s.lookup(d.startKey())).as("decoded once, then cached").isSameAs(found);
      assertThat(s.byId(d.rangeId())).isSameAs(found);
    }
    assertThat(s.ranges()).isEqualTo(ranges);
    RouteTableTest.assertTiles(s);
  }

  @Test
  void byIdBeforeAnyLookupBuildsTheIdIndexAndSharesItsDecodes() {
    List<RangeDescriptor> ranges = tiling(new Random(4), 700);
    RouteSnapshot s = load(ranges, RangeDescriptor::encode);
    RangeDescriptor d = ranges.get(321);
    RangeDescriptor byId = s.byId(d.rangeId());
    assertThat(byId).isEqualTo(d);
    assertThat(s.lookup(d.startKey())).isSameAs(byId);
    assertThat(s.byId(Ids.newRangeId())).isNull();
  }

  @Test
  void corruptValueFailsWhenDecodedNamingItsRangeAndKey() {
    List<RangeDescriptor> ranges = tiling(new Random(5), 500);
    RangeDescriptor bad = ranges.get(200);
    byte[] corrupt =
        Tuple.from(1L, bad.rangeId(), bad.startKey(), bad.endKey(), "not a generation").pack();
    RouteSnapshot s = load(ranges, d -> d == bad ? corrupt : d.encode());
    assertThat(s.size()).isEqualTo(ranges.size()); // the load reads only ids and ends
    assertThat(s.lookup(ranges.get(199).startKey())).isEqualTo(ranges.get(199));
    for (Runnable read :
        List.<Runnable>of(() -> s.lookup(bad.startKey()), () -> s.byId(bad.rangeId()))) {
      assertThatThrownBy(read::run)
          .isInstanceOfSatisfying(
              MetaException.class,
              e -> {
                assertThat(e.code()).isEqualTo(MetaException.Code.CORRUPT_RECORD);
                assertThat(e.getMessage()).contains("range " + bad.rangeId());
              });
    }
    assertThatThrownBy(() -> s.lookup(bad.startKey()))
        .hasMessageContaining(ByteArrayUtil.printable(bad.endKey()));
  }

  @Test
  void keyWithoutEndFailsLookupsInItsChunkOnlyNamingTheKey() {
    List<RangeDescriptor> ranges = tiling(new Random(9), 2_000);
    List<KeyValue> rows = new ArrayList<>();
    for (RangeDescriptor d : ranges) rows.add(new KeyValue(KS.rangeKey(d.endKey()), d.encode()));
    int bad = 1_000; // inside a run, not its last row: the load reads only runs' last keys
    byte[] key = rows.get(bad).getKey().clone();
    key[KS.rangeSubspace().getKey().length] = 0x02; // a string, not a byte string: no end key
    rows.set(bad, new KeyValue(key, rows.get(bad).getValue()));
    RouteSnapshot s = loadRows(rows);
    assertThat(s.size()).isEqualTo(ranges.size());
    for (int attempt = 0; attempt < 2; attempt++) { // fails every time, not once
      assertThatThrownBy(() -> s.lookup(ranges.get(bad).startKey()))
          .isInstanceOfSatisfying(
              MetaException.class,
              e -> {
                assertThat(e.code()).isEqualTo(MetaException.Code.CORRUPT_RECORD);
                assertThat(e.getMessage()).contains(ByteArrayUtil.printable(key));
              });
    }
    assertThat(s.lookup(ranges.get(0).startKey())).isEqualTo(ranges.get(0));
    assertThat(s.lookup(ranges.get(1_999).startKey())).isEqualTo(ranges.get(1_999));
  }

  @Test
  void rangeWithoutEndBeforeTheLastRunFailsTheLoad() {
    List<RangeDescriptor> ranges = tiling(new Random(10), 2_000);
    List<KeyValue> rows = new ArrayList<>();
    for (RangeDescriptor d : ranges) rows.add(new KeyValue(KS.rangeKey(d.endKey()), d.encode()));
    rows.set(
        700,
        new KeyValue(
            KS.rangeKey(null),
            rows.get(700).getValue())); // the last row of the second page (PAGE_SIZES)
    assertThatThrownBy(() -> loadRows(rows))
        .isInstanceOfSatisfying(
            MetaException.class,
            e -> assertThat(e.code()).isEqualTo(MetaException.Code.CORRUPT_RECORD));
  }

  @Test
  void valueEndingElsewhereThanItsKeyIsCorrupt() {
    List<RangeDescriptor> ranges = tiling(new Random(6), 300);
    RangeDescriptor bad = ranges.get(100);
    RangeDescriptor elsewhere =
        new RangeDescriptor(
            bad.rangeId(),
            bad.startKey(),
            ranges.get(101).endKey(),
            bad.generation(),
            bad.replicas(),
            bad.leaseholder(),
            bad.leaseEpoch());
    RouteSnapshot s = load(ranges, d -> d == bad ? elsewhere.encode() : d.encode());
    assertThatThrownBy(() -> s.lookup(bad.startKey()))
        .isInstanceOfSatisfying(
            MetaException.class,
            e -> assertThat(e.code()).isEqualTo(MetaException.Code.CORRUPT_RECORD));
  }

  @Test
  void withUniqueIdsKeepsTheNewerOfTwoVersions() {
    List<RangeDescriptor> ranges = tiling(new Random(7), 600);
    RangeDescriptor a = ranges.get(10);
    RangeDescriptor b = ranges.get(400);
    // Pages read at different versions: `a` again at b's place, newer; `b` again at a's place,
    // older.
    RangeDescriptor aNewer =
        new RangeDescriptor(
            a.rangeId(),
            b.startKey(),
            b.endKey(),
            a.generation() + 1,
            a.replicas(),
            a.leaseholder(),
            a.leaseEpoch());
    RangeDescriptor bOlder =
        new RangeDescriptor(
            b.rangeId(),
            a.startKey(),
            a.endKey(),
            b.generation() - 1,
            b.replicas(),
            b.leaseholder(),
            b.leaseEpoch());
    Map<RangeDescriptor, RangeDescriptor> rows = Map.of(a, bOlder, b, aNewer);
    List<RangeDescriptor> read = new ArrayList<>(ranges);
    read.replaceAll(d -> rows.getOrDefault(d, d));
    read.add(
        a.withBounds(
            a.rangeId(),
            a.startKey(),
            new byte[] {(byte) 0xff, 1},
            a.generation())); // the older a, at a third place
    read.add(
        b.withBounds(
            b.rangeId(),
            new byte[] {(byte) 0xff, 1},
            new byte[] {(byte) 0xff, 2},
            b.generation())); // b, as read before the change
    RouteSnapshot s = load(read, RangeDescriptor::encode).withUniqueIds();
    assertThat(s.byId(a.rangeId())).isEqualTo(aNewer);
    assertThat(s.byId(b.rangeId()).generation()).isEqualTo(b.generation());
    assertThat(s.size()).isEqualTo(read.size() - 2);
    assertThat(s.lookup(b.startKey())).isEqualTo(aNewer);
  }

  @Test
  void duplicateIdInATableLoadedWithoutChangesIsCorrupt() {
    List<RangeDescriptor> ranges = new ArrayList<>(tiling(new Random(8), 100));
    RangeDescriptor d = ranges.get(50);
    ranges.set(
        51,
        d.withBounds(
            d.rangeId(), ranges.get(51).startKey(), ranges.get(51).endKey(), d.generation()));
    RouteSnapshot s = load(ranges, RangeDescriptor::encode);
    assertThatThrownBy(() -> s.byId(1))
        .isInstanceOfSatisfying(
            MetaException.class,
            e -> assertThat(e.code()).isEqualTo(MetaException.Code.CORRUPT_RECORD));
  }

  /**
   * Readers racing splits and merges on a loaded table, while both decode lazily and race the id
   * index build.
   */
  @Test
  void readersNeverSeeTornCommitOnALoadedTable() throws Exception {
    List<RangeDescriptor> ranges = new ArrayList<>();
    byte[] prev = new byte[0];
    for (int i = 0; i < 3_000; i++) {
      byte[] end = i == 2_999 ? null : RouteTableTest.b(String.format("k%06d", (i + 1) * 10));
      ranges.add(new RangeDescriptor(Ids.newRangeId(), prev, end, 1, List.of("n1"), "n1", 1));
      prev = end;
    }
    RouteTable t = new RouteTable();
    t.replace(load(ranges, RangeDescriptor::encode));
    AtomicBoolean stop = new AtomicBoolean();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    AtomicLong reads = new AtomicLong();
    List<Thread> readers = new ArrayList<>();
    for (int r = 0; r < 3; r++) {
      long seed = r;
      Thread th =
          new Thread(
              () -> {
                Random rnd = new Random(seed);
                try {
                  while (!stop.get()) {
                    byte[] key = RouteTableTest.b(String.format("k%06d", rnd.nextInt(30_010)));
                    RouteSnapshot s = t.snapshot();
                    RangeDescriptor d = s.lookup(key);
                    if (d == null || !d.contains(key))
                      throw new AssertionError(
                          "lookup of " + new String(key) + " found " + d + " at " + s.cursor());
                    if (!d.equals(s.byId(d.rangeId())))
                      throw new AssertionError("byId disagrees with lookup for " + d);
                    reads.incrementAndGet();
                  }
                } catch (Throwable e) {
                  failure.compareAndSet(null, e);
                }
              });
      th.start();
      readers.add(th);
    }
    Random rnd = new Random(1);
    for (int step = 2; step <= 3_000 && failure.get() == null; step++) {
      byte[] mid = RouteTableTest.b(String.format("k%06d", rnd.nextInt(30_000)));
      RangeDescriptor p = t.lookup(mid);
      if (p.isInterior(mid) && rnd.nextBoolean()) {
        RangeDescriptor l =
            new RangeDescriptor(
                Ids.newRangeId(),
                p.startKey(),
                mid,
                p.generation() + 1,
                p.replicas(),
                p.leaseholder(),
                1);
        RangeDescriptor r =
            new RangeDescriptor(
                Ids.newRangeId(),
                mid,
                p.endKey(),
                p.generation() + 1,
                p.replicas(),
                p.leaseholder(),
                1);
        t.applyBatch(
            at(step),
            List.of(
                ChangeEvent.remove(p.rangeId(), p.endKey()),
                ChangeEvent.upsert(l),
                ChangeEvent.upsert(r)));
      } else if (p.endKey() != null) {
        RangeDescriptor r = t.lookup(p.endKey());
        RangeDescriptor m =
            new RangeDescriptor(
                p.rangeId(),
                p.startKey(),
                r.endKey(),
                Math.max(p.generation(), r.generation()) + 1,
                p.replicas(),
                p.leaseholder(),
                1);
        t.applyBatch(
            at(step), List.of(ChangeEvent.remove(r.rangeId(), r.endKey()), ChangeEvent.upsert(m)));
      }
    }
    stop.set(true);
    for (Thread th : readers) th.join();
    if (failure.get() != null) throw new AssertionError(failure.get());
    RouteTableTest.assertTiles(t.snapshot());
    assertThat(reads.get()).isPositive();
  }
}
