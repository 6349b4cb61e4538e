package io.fdbmeta.layer.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.apple.foundationdb.tuple.Versionstamp;
import io.fdbmeta.layer.ChangeEvent;
import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.layer.Versionstamps;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class RouteTableTest {
  private static final RangeDescriptor ROOT =
      new RangeDescriptor(1, new byte[0], null, 1, List.of("n1"), "n1", 1);

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static Versionstamp at(long n) {
    byte[] v = new byte[10];
    for (int i = 0; i < 8; i++) v[7 - i] = (byte) (n >>> (8 * i));
    return Versionstamp.complete(v, 0);
  }

  /**
   * Asserts the ranges tile the keyspace: start at "", each starts at the previous end, the last
   * has no end.
   */
  static void assertTiles(RouteSnapshot s) {
    List<RangeDescriptor> ranges = s.ranges();
    assertThat(ranges).isNotEmpty();
    byte[] expectedStart = new byte[0];
    for (int i = 0; i < ranges.size(); i++) {
      RangeDescriptor d = ranges.get(i);
      assertThat(d.startKey())
          .as("start of %s (range %d of %d)", d, i, ranges.size())
          .isEqualTo(expectedStart);
      assertThat(s.byId(d.rangeId())).isEqualTo(d);
      expectedStart = d.endKey();
      if (i < ranges.size() - 1) assertThat(expectedStart).as("end of %s", d).isNotNull();
    }
    assertThat(expectedStart).as("last range is unbounded").isNull();
    assertThat(s.size()).isEqualTo(ranges.size());
  }

  @Test
  void emptyTableFindsNothing() {
    RouteTable t = new RouteTable();
    assertThat(t.lookup(b("a"))).isNull();
    assertThat(t.byId(1)).isNull();
    assertThat(t.size()).isZero();
    assertThat(t.cursor()).isEqualTo(Versionstamps.ORIGIN);
  }

  @Test
  void splitAndMergeAreAppliedPerCommit() {
    RouteTable t = new RouteTable();
    t.replaceAll(List.of(ROOT), at(1));
    RangeDescriptor left = new RangeDescriptor(2, new byte[0], b("m"), 2, List.of("n1"), "n1", 1);
    RangeDescriptor right = new RangeDescriptor(3, b("m"), null, 2, List.of("n1"), "n1", 1);
    t.applyBatch(
        at(2),
        List.of(ChangeEvent.remove(1, null), ChangeEvent.upsert(left), ChangeEvent.upsert(right)));
    assertThat(t.lookup(b(""))).isEqualTo(left);
    assertThat(t.lookup(b("l\u00ff"))).isEqualTo(left);
    assertThat(t.lookup(b("m"))).isEqualTo(right);
    assertThat(t.lookup(new byte[] {(byte) 0xff, (byte) 0xff})).isEqualTo(right);
    assertThat(t.byId(1)).isNull();
    assertThat(t.cursor()).isEqualTo(at(2));
    assertTiles(t.snapshot());

    RangeDescriptor merged = new RangeDescriptor(2, new byte[0], null, 3, List.of("n1"), "n1", 1);
    t.applyBatch(at(3), List.of(ChangeEvent.remove(3, b("m")), ChangeEvent.upsert(merged)));
    assertThat(t.snapshot().ranges()).containsExactly(merged);
    assertThat(t.byId(3)).isNull();
  }

  @Test
  void olderUpsertDoesNotRegressNewerDescriptor() {
    RouteTable t = new RouteTable();
    RangeDescriptor v5 = new RangeDescriptor(1, new byte[0], null, 5, List.of("n1", "n2"), "n1", 3);
    t.replaceAll(List.of(v5), at(10));
    t.applyBatch(
        at(11),
        List.of(
            ChangeEvent.upsert(
                new RangeDescriptor(1, new byte[0], null, 4, List.of("n1"), "n1", 9))));
    t.applyBatch(
        at(12),
        List.of(
            ChangeEvent.upsert(
                new RangeDescriptor(1, new byte[0], null, 5, List.of("n1"), "n1", 2))));
    assertThat(t.byId(1)).isEqualTo(v5);
    RangeDescriptor leaseMoved =
        new RangeDescriptor(1, new byte[0], null, 5, List.of("n1", "n2"), "n2", 4);
    t.applyBatch(at(13), List.of(ChangeEvent.upsert(leaseMoved)));
    assertThat(t.lookup(b("x"))).isEqualTo(leaseMoved);
  }

  @Test
  void cursorMustNotGoBack() {
    RouteTable t = new RouteTable();
    t.replaceAll(List.of(ROOT), at(5));
    assertThatThrownBy(() -> t.applyBatch(at(4), List.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void replaceAllRejectsDuplicateEndsOrIds() {
    RouteTable t = new RouteTable();
    RangeDescriptor a = new RangeDescriptor(2, new byte[0], b("m"), 1, List.of(), null, 0);
    RangeDescriptor sameEnd = new RangeDescriptor(3, b("a"), b("m"), 1, List.of(), null, 0);
    RangeDescriptor sameId = new RangeDescriptor(2, b("m"), null, 1, List.of(), null, 0);
    assertThatThrownBy(() -> t.replaceAll(List.of(a, sameEnd), at(1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> t.replaceAll(List.of(a, sameId), at(1)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  /** Random splits and merges against a plain list model, with keys that share long prefixes. */
  @Test
  void randomSplitsAndMergesMatchModel() {
    Random rnd = new Random(7);
    RouteTable t = new RouteTable();
    List<RangeDescriptor> model = new ArrayList<>(List.of(ROOT));
    t.replaceAll(model, at(0));
    long nextId = 2;
    for (int step = 1; step <= 6_000; step++) {
      boolean split = model.size() < 3 || rnd.nextInt(10) < 7;
      List<ChangeEvent> events = new ArrayList<>();
      if (split) {
        byte[] key = randomKey(rnd);
        int i = 0;
        while (!model.get(i).contains(key)) i++;
        RangeDescriptor p = model.get(i);
        if (!p.isInterior(key)) continue;
        RangeDescriptor l =
            new RangeDescriptor(
                nextId++,
                p.startKey(),
                key,
                p.generation() + 1,
                p.replicas(),
                p.leaseholder(),
                p.leaseEpoch());
        RangeDescriptor r =
            new RangeDescriptor(
                nextId++,
                key,
                p.endKey(),
                p.generation() + 1,
                p.replicas(),
                p.leaseholder(),
                p.leaseEpoch());
        events.add(ChangeEvent.remove(p.rangeId(), p.endKey()));
        events.add(ChangeEvent.upsert(l));
        events.add(ChangeEvent.upsert(r));
        model.remove(i);
        model.add(i, r);
        model.add(i, l);
      } else {
        int i = rnd.nextInt(model.size() - 1);
        RangeDescriptor l = model.get(i);
        RangeDescriptor r = model.get(i + 1);
        RangeDescriptor m =
            new RangeDescriptor(
                l.rangeId(),
                l.startKey(),
                r.endKey(),
                Math.max(l.generation(), r.generation()) + 1,
                l.replicas(),
                l.leaseholder(),
                l.leaseEpoch());
        events.add(ChangeEvent.remove(r.rangeId(), r.endKey()));
        events.add(ChangeEvent.upsert(m));
        model.remove(i + 1);
        model.set(i, m);
      }
      t.applyBatch(at(step), events);
      if (step % 500 == 0) {
        assertThat(t.snapshot().ranges()).isEqualTo(model);
        assertTiles(t.snapshot());
        for (int k = 0; k < 200; k++) {
          byte[] key = randomKey(rnd);
          RangeDescriptor d = t.lookup(key);
          assertThat(d).isNotNull();
          assertThat(d.contains(key)).as("%s holds %s", d, Arrays.toString(key)).isTrue();
        }
        for (RangeDescriptor d : model) {
          assertThat(t.lookup(d.startKey())).isEqualTo(d);
          if (d.endKey() != null) assertThat(t.lookup(d.endKey())).isNotEqualTo(d);
        }
      }
    }
    assertThat(model.size()).isGreaterThan(1_000); // enough ranges for several chunks
  }

  static byte[] randomKey(Random rnd) {
    byte[] k = b("user:000000" + rnd.nextInt(1_000_000));
    if (rnd.nextInt(20) == 0) k = Arrays.copyOf(k, rnd.nextInt(k.length + 1));
    if (rnd.nextInt(20) == 0) k = Arrays.copyOf(k, k.length + 2);
    return k;
  }

  /**
   * Readers racing a writer that splits and merges never find a gap, an overlap or a missing id.
   */
  @Test
  void readersNeverSeeTornCommit() throws Exception {
    RouteTable t = new RouteTable();
    List<RangeDescriptor> initial = new ArrayList<>();
    byte[] prev = new byte[0];
    for (int i = 0; i < 2_000; i++) {
      byte[] end = i == 1_999 ? null : b(String.format("k%06d", (i + 1) * 10));
      initial.add(new RangeDescriptor(i + 10, prev, end, 1, List.of("n1"), "n1", 1));
      prev = end;
    }
    t.replaceAll(initial, at(0));
    AtomicBoolean stop = new AtomicBoolean();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    AtomicLong lookups = new AtomicLong();
    List<Thread> readers = new ArrayList<>();
    for (int r = 0; r < 2; r++) {
      long seed = r;
      Thread th =
          new Thread(
              () -> {
                Random rnd = new Random(seed);
                try {
                  while (!stop.get()) {
                    byte[] key = b(String.format("k%06d", rnd.nextInt(20_010)));
                    RouteSnapshot s = t.snapshot();
                    RangeDescriptor d = s.lookup(key);
                    if (d == null || !d.contains(key))
                      throw new AssertionError(
                          "lookup of " + new String(key) + " found " + d + " at " + s.cursor());
                    if (s.byId(d.rangeId()) != d)
                      throw new AssertionError("byId disagrees with lookup for " + d);
                    RangeDescriptor direct = t.lookup(key);
                    if (direct == null || !direct.contains(key))
                      throw new AssertionError("direct lookup found " + direct);
                    lookups.incrementAndGet();
                  }
                } catch (Throwable e) {
                  failure.compareAndSet(null, e);
                }
              });
      th.start();
      readers.add(th);
    }
    long id = 100_000;
    Random rnd = new Random(1);
    for (int step = 1; step <= 5_000 && failure.get() == null; step++) {
      byte[] mid = b(String.format("k%06d", rnd.nextInt(20_000)));
      RangeDescriptor p = t.lookup(mid);
      if (p.isInterior(mid) && t.size() < 4_000 && rnd.nextBoolean()) {
        RangeDescriptor l =
            new RangeDescriptor(
                id++, p.startKey(), mid, p.generation() + 1, p.replicas(), p.leaseholder(), 1);
        RangeDescriptor r =
            new RangeDescriptor(
                id++, mid, p.endKey(), p.generation() + 1, p.replicas(), p.leaseholder(), 1);
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
    assertTiles(t.snapshot());
    assertThat(lookups.get()).isPositive();
  }
}
