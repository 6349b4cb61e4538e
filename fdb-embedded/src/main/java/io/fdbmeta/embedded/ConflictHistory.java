package io.fdbmeta.embedded;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;
import java.util.TreeMap;

/**
 * The write-conflict ranges of recent commits, to decide whether a committing transaction read
 * anything written after its read version (FoundationDB's resolver). Single-key writes, by far the
 * most common, live in a sorted map of key to last write version so a read range is checked by a
 * sub-map scan; wider writes (range clears, explicit ranges, versionstamped keys) are kept in
 * version order and scanned newest first down to the reader's version. To forget point writes, each
 * commit's write list is kept as it came (one entry per commit, not per key).
 *
 * <p>Not thread-safe: the engine calls it under its commit lock.
 */
final class ConflictHistory {
  private final TreeMap<byte[], Long> pointWrites = new TreeMap<>(Bytes.ORDER);
  private final ArrayDeque<Commit> pointLog = new ArrayDeque<>();
  private final ArrayDeque<Written> rangeWrites = new ArrayDeque<>();

  private record Written(long version, byte[] begin, byte[] end) {}

  private record Commit(long version, List<KeyRange> writes) {}

  /**
   * True if any range in {@code reads} was written by a commit with a version above {@code
   * readVersion}.
   */
  boolean conflicts(List<KeyRange> reads, long readVersion) {
    for (KeyRange read : reads) {
      if (read.isEmpty()) continue;
      if (read.isSingleKey()) {
        Long v = pointWrites.get(read.begin());
        if (v != null && v > readVersion) return true;
      } else {
        for (Long v : pointWrites.subMap(read.begin(), true, read.end(), false).values()) {
          if (v > readVersion) return true;
        }
      }
      Iterator<Written> newestFirst = rangeWrites.descendingIterator();
      while (newestFirst.hasNext()) {
        Written w = newestFirst.next();
        if (w.version <= readVersion) break;
        if (read.intersects(w.begin, w.end)) return true;
      }
    }
    return false;
  }

  /** Records a commit's write-conflict ranges; {@code writes} must not change afterwards. */
  void record(List<KeyRange> writes, long version) {
    boolean points = false;
    for (KeyRange w : writes) {
      if (w.isEmpty()) continue;
      if (w.isSingleKey()) {
        pointWrites.put(w.begin(), version);
        points = true;
      } else {
        rangeWrites.addLast(new Written(version, w.begin(), w.end()));
      }
    }
    if (points) pointLog.addLast(new Commit(version, writes));
  }

  /** Forgets writes at or below {@code version}: no transaction that old may commit any more. */
  void prune(long version) {
    while (!pointLog.isEmpty() && pointLog.peekFirst().version <= version) {
      Commit c = pointLog.pollFirst();
      for (KeyRange w : c.writes) {
        if (w.isEmpty() || !w.isSingleKey()) continue;
        Long last = pointWrites.get(w.begin());
        if (last != null && last == c.version)
          pointWrites.remove(w.begin()); // unless written again since
      }
    }
    while (!rangeWrites.isEmpty() && rangeWrites.peekFirst().version <= version) {
      rangeWrites.pollFirst();
    }
  }

  int size() {
    return pointWrites.size() + rangeWrites.size();
  }
}
