package io.fdbmeta.embedded;

import java.util.Iterator;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/*
 * The read versions still in use, so the store can forget older versions long before the 5 s
 * transaction lifetime when nobody needs them (a heavy write load otherwise keeps 5 s of versions
 * alive, and the garbage collector copies all of it).
 *
 * Two kinds of holders:
 *  - Held versions: a transaction's read version, from when it is taken until the transaction is
 *    closed or reset for a retry. Transactions that share a version share one counter, so taking
 *    and releasing a version is an increment and a decrement.
 *  - Pinned versions: versions the client asked for (getReadVersion, getCommittedVersion,
 *    getVersionstamp). FoundationDB lets a client pass such a version to setReadVersion in another
 *    transaction for up to 5 s, so a pin is never released. A pin holds back all pruning, so only
 *    these explicit calls pin: a commit version that reaches the client only inside the data (a
 *    versionstamped key or value) is not pinned, because the layer writes those on every routing
 *    change and pinning them would keep 5 s of versions again. Reading at such a version after
 *    every transaction at or below it has closed may fail with 1007 sooner than on FoundationDB;
 *    it never returns a wrong snapshot.
 * Neither needs a timer: the store never keeps anything older than the version that was readable
 * 5 s ago (its lifetime floor), so a transaction abandoned without close() and an old pin stop
 * mattering once the floor passes them, and oldest() then forgets them.
 *
 * Taking the newest version races with pruning: the pruner may compute a horizon above the version
 * a new transaction just read as readable, before that transaction's hold is visible. So horizon()
 * announces its result before looking at the holders a second time, and holdNewest() holds first
 * and then checks the announcement, taking a newer version if it was passed. Each side writes, then
 * reads what the other writes, so at least one of them sees the other.
 *
 * Thread-safe. horizon() is called by one thread at a time (the store's maintenance).
 */
final class ReadVersions {
  private final ConcurrentSkipListMap<Long, Holder> held = new ConcurrentSkipListMap<>();
  private final ConcurrentSkipListSet<Long> pinned = new ConcurrentSkipListSet<>();
  private volatile long announced; // the last horizon computed; new holds must be at or above it
  private volatile @Nullable Holder newest; // most transactions hold this one: skips the map lookup

  /**
   * The transactions holding one version. A negative count means retired by oldest() and gone from
   * the map: take a new one. So a holder that can still be taken is always in the map.
   */
  static final class Holder implements Cluster.ReadVersion {
    final long version;
    private final AtomicInteger count = new AtomicInteger(1);

    private Holder(long version) {
      this.version = version;
    }

    private boolean tryTake() {
      while (true) {
        int c = count.get();
        if (c < 0) return false;
        if (count.compareAndSet(c, c + 1)) return true;
      }
    }

    @Override
    public long version() {
      return version;
    }

    /** Called exactly once per {@link #hold}. */
    @Override
    public void release() {
      count.decrementAndGet();
    }
  }

  /**
   * Holds the newest readable version for a new transaction: one that pruning has not passed and
   * will not pass until the holder is released.
   */
  Holder holdNewest(LongSupplier readableVersion) {
    while (true) {
      long v = readableVersion.getAsLong();
      Holder h = newest;
      if (h == null || h.version != v || !h.tryTake()) newest = h = hold(v);
      if (v >= announced) return h;
      h.release(); // a horizon passed v before our hold was visible; a newer version is readable
    }
  }

  /**
   * The oldest version anyone may still read: the oldest held or pinned, but no older than {@code
   * floor} (what was readable 5 s ago) and no newer than {@code readable}.
   */
  long horizon(long readable, long floor) {
    long candidate = Math.max(floor, Math.min(readable, oldest(floor)));
    announced = candidate;
    return Math.min(candidate, Math.max(floor, oldest(floor)));
  }

  /**
   * Counts one more transaction reading at {@code version}, which it chose (setReadVersion), so it
   * may already be pruned; release the result when done.
   */
  Holder hold(long version) {
    while (true) {
      Holder h = held.get(version);
      if (h == null) {
        h = new Holder(version);
        if (held.putIfAbsent(version, h) == null) return h;
      } else if (h.tryTake()) {
        return h;
      } else {
        held.remove(version, h);
      }
    }
  }

  /** Keeps {@code version} readable until the lifetime floor passes it. */
  void pin(long version) {
    pinned.add(version);
  }

  /**
   * The oldest version held or pinned at or above {@code floor}, or Long.MAX_VALUE if none. Forgets
   * versions below the floor and versions nobody holds any more (a new transaction at such a
   * version makes a new holder).
   *
   * <p>Held versions are read before pinned ones: a transaction pins its commit version before it
   * releases its read version, so a scan that sees the release also sees the pin.
   */
  private long oldest(long floor) {
    long oldest = Long.MAX_VALUE;
    for (Iterator<Holder> it = held.values().iterator(); it.hasNext(); ) {
      Holder h = it.next();
      if (h.version < floor) {
        h.count.set(
            Integer.MIN_VALUE / 2); // below the floor the store answers 1007 anyway, held or not
        it.remove();
      } else if (h.count.compareAndSet(0, -1)) {
        it.remove();
      } else if (h.count.get() > 0) {
        oldest = Math.min(oldest, h.version);
      }
    }
    pinned.headSet(floor).clear();
    Long pin = pinned.ceiling(floor);
    return pin == null ? oldest : Math.min(oldest, pin);
  }

  /** Distinct versions held or pinned, for diagnostics and tests. */
  int size() {
    return held.size() + pinned.size();
  }
}
