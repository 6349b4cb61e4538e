package io.fdbmeta.router;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;

/*
 * The order-of-effects check of one connection (see ReplyQueue): may a new command start, or does
 * it touch a key that an unanswered earlier command of the same connection writes, or write a key
 * one touches?
 *
 * Its cost is proportional to the keys involved, not to their product: the keys of unanswered
 * commands are counted in two sorted maps (writers and readers of each key), so a new command looks
 * each of its keys up once, and a RANGE asks the writers' map for any key in its interval. A write
 * also meets the unanswered RANGE walks, whose intervals shrink as they go (a walk no longer reads
 * below its cursor): with walks running, the write's keys are sorted once and each walk is one
 * binary search. A pipelined MSET and MGET of 60,000 keys thus cost about 120,000 lookups, where
 * comparing every key with every key cost 3.6 billion and held the event loop for seconds.
 *
 * Sorted maps rather than hash maps: the RANGE check needs order, and with the few unanswered keys
 * a connection usually has, a lookup is a few comparisons.
 */
/** Counts the keys of a connection's unanswered commands and says whether a new one must wait. */
final class KeyGate {
  /** A RANGE walk: reads [from(), to()), to() empty meaning no end; from() moves up as it goes. */
  interface Walk {
    byte[] from();

    byte[] to();
  }

  private final TreeMap<byte[], int[]> writers = new TreeMap<>(Arrays::compareUnsigned);
  private final TreeMap<byte[], int[]> readers = new TreeMap<>(Arrays::compareUnsigned);
  private final List<Walk> walks = new ArrayList<>();

  /** Key lookups and interval checks so far: what the checks cost, for tests. */
  long probes;

  boolean idle() {
    return writers.isEmpty() && readers.isEmpty() && walks.isEmpty();
  }

  /** True if reading {@code keys} must wait for an unanswered write of one of them. */
  boolean readMustWait(byte[]... keys) {
    if (writers.isEmpty()) return false;
    for (byte[] k : keys) {
      probes++;
      if (writers.containsKey(k)) return true;
    }
    return false;
  }

  /** True if writing {@code keys} must wait: an unanswered command reads or writes one of them. */
  boolean writeMustWait(byte[]... keys) {
    if (!writers.isEmpty() || !readers.isEmpty()) {
      for (byte[] k : keys) {
        probes++;
        if (writers.containsKey(k) || readers.containsKey(k)) return true;
      }
    }
    if (walks.isEmpty()) return false;
    byte[][] sorted = keys;
    if (keys.length > 1) {
      sorted = keys.clone();
      Arrays.sort(sorted, Arrays::compareUnsigned);
    }
    for (Walk w : walks) {
      probes++;
      if (anyWithin(sorted, w.from(), w.to())) return true;
    }
    return false;
  }

  /** True if a walk of [from, to) must wait for an unanswered write of a key in it. */
  boolean walkMustWait(byte[] from, byte[] to) {
    if (writers.isEmpty()) return false;
    probes++;
    byte[] k = writers.ceilingKey(from);
    return k != null && (to.length == 0 || Arrays.compareUnsigned(k, to) < 0);
  }

  void started(byte[][] keys, boolean write) {
    TreeMap<byte[], int[]> m = write ? writers : readers;
    for (byte[] k : keys) {
      int[] n = m.get(k);
      if (n == null) m.put(k, new int[] {1});
      else n[0]++;
    }
  }

  void finished(byte[][] keys, boolean write) {
    TreeMap<byte[], int[]> m = write ? writers : readers;
    for (byte[] k : keys) {
      int[] n = m.get(k);
      if (n != null && --n[0] == 0) m.remove(k);
    }
  }

  void started(Walk w) {
    walks.add(w);
  }

  void finished(Walk w) {
    walks.remove(w);
  }

  /** True if a key of {@code sorted} lies in [from, to). */
  private static boolean anyWithin(byte[][] sorted, byte[] from, byte[] to) {
    int lo = 0;
    int hi = sorted.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (Arrays.compareUnsigned(sorted[mid], from) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo < sorted.length && (to.length == 0 || Arrays.compareUnsigned(sorted[lo], to) < 0);
  }
}
