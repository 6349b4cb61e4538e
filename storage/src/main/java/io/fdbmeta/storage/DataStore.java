package io.fdbmeta.storage;

import io.fdbmeta.wire.NodeCodec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/*
 * One sorted map per node holds every range's data, ordered by unsigned bytes like the catalog.
 * Ranges are views of it, so a split moves no data and the children of a split need nothing
 * copied: the two-phase split only has to prepare their lease guards. The price is that dropping a
 * range (this node stopped being a replica) clears a sub-map instead of dropping a map.
 *
 * Every entry remembers the write that produced it: the writer (the leaseholder node that applied
 * it) and that writer's sequence number. A sequence number carries the writer's incarnation in its
 * high bits (WriteSequence), so "same writer process" is "same writer and same high bits". A
 * replica applies a replicated write to a key unless the key holds a later write of the same
 * process; a write of another process always wins, because a replica only takes writes at the
 * lease epoch it currently knows (RequestProcessor), so anything stored before came from an
 * earlier leaseholder. This is what keeps a reordered or duplicated REPLICATE from regressing a
 * value. Deletes leave tombstones for the same reason; they are swept after TOMBSTONE_MILLIS, long
 * after any retry of the write that made them.
 *
 * The leaseholder applies its own writes under one lock so that, for every key, the order of
 * sequence numbers is the order in which values were stored: followers then converge on the
 * leaseholder's value whatever order the REPLICATEs arrive in. A read-modify-write command (INCR,
 * SET NX, EXPIRE ...) reads and writes its key under the same lock (update), so two of them on one
 * key never interleave.
 *
 * Expiry: an entry may carry an absolute expiry time (epoch milliseconds, 0 for none), replicated
 * and fetched with its value, so every replica knows the same time. A live entry is one whose
 * value is not null and whose time has not passed (Redis: alive while now <= expiresAt); every
 * read asks with the reader's clock, so a key read after its time is absent on every replica
 * whether or not anything removed it yet. The periodic sweep turns entries past their time into
 * tombstones of the same write (same writer and sequence number), which the tombstone sweep drops
 * later: like a delete's tombstone it keeps a delayed older REPLICATE from bringing the value back.
 */
/**
 * The node's in-memory data: all ranges in one unsigned-ordered map, with per-key write versions.
 */
final class DataStore {
  /** Writer of values copied by FETCH: any replicated write supersedes them. */
  static final String FETCHED = "";

  /** How long a tombstone stays after the delete that made it. */
  static final long TOMBSTONE_MILLIS = 60_000;

  /**
   * A stored value and the write that produced it; {@code value == null} is a tombstone. {@code
   * expiresAt}: absolute expiry time in epoch milliseconds, 0 for none.
   */
  record Entry(byte @Nullable [] value, String writer, long seq, long deletedAt, long expiresAt) {
    Entry(byte @Nullable [] value, String writer, long seq, long deletedAt) {
      this(value, writer, seq, deletedAt, 0);
    }

    long size(byte[] key) {
      return value == null ? 0 : key.length + value.length;
    }

    /** Whether the entry holds a value at {@code now} (Redis: alive while now <= expiresAt). */
    boolean live(long now) {
      return value != null && (expiresAt == 0 || now <= expiresAt);
    }
  }

  /**
   * A read-modify-write's new state of its key: a value (null deletes) and its expiry (0: none).
   */
  record Change(byte @Nullable [] value, long expiresAt) {}

  /** A read-modify-write of one key at the leaseholder, run under the leaseholder's write lock. */
  interface Update {
    /**
     * Given the key's live value (null: absent or expired) and its expiry (0: none), returns the
     * key's new state, or null to leave it as it is.
     */
    @Nullable Change apply(byte @Nullable [] value, long expiresAt);
  }

  /** The result of a leaseholder's write: its sequence number and what the op counts. */
  record Applied(long seq, long count) {}

  /**
   * One page of a scan: alternating keys and values, their expiry times (0: none) one per pair, and
   * whether more live pairs follow.
   */
  record Page(List<byte[]> pairs, List<Long> expiries, boolean more) {
    Page(List<byte[]> pairs, boolean more) {
      this(pairs, List.of(), more);
    }
  }

  private final ConcurrentSkipListMap<byte[], Entry> map =
      new ConcurrentSkipListMap<>(Arrays::compareUnsigned);
  private final ConcurrentLinkedQueue<Map.Entry<byte[], Long>> tombstones =
      new ConcurrentLinkedQueue<>();
  private final AtomicLong bytes = new AtomicLong();
  private final Object leaderOrder = new Object();
  private final ConcurrentLinkedQueue<Map.Entry<byte[], Long>> expiring =
      new ConcurrentLinkedQueue<>();

  /** The value of {@code key}, expiry not considered (tests). */
  byte @Nullable [] get(byte[] key) {
    return get(key, 0);
  }

  /** The value of {@code key} if it is live at {@code now}, else null. */
  byte @Nullable [] get(byte[] key, long now) {
    Entry e = map.get(key);
    return e == null || !e.live(now) ? null : e.value;
  }

  /** The entry of {@code key} if it is live at {@code now}, else null. */
  @Nullable Entry live(byte[] key, long now) {
    Entry e = map.get(key);
    return e == null || !e.live(now) ? null : e;
  }

  boolean exists(byte[] key, long now) {
    Entry e = map.get(key);
    return e != null && e.live(now);
  }

  /**
   * Live pairs in [start, end) (end null: no end), at most {@code limit}, and at most {@code
   * maxBytes} of them as reply values ({@link NodeCodec#valueBytes} each key and value). A page
   * whose first pair alone is above {@code maxBytes} is returned with that pair, for the caller to
   * refuse.
   */
  Page scan(byte[] start, byte @Nullable [] end, int limit, long maxBytes) {
    return scan(start, end, limit, maxBytes, 0, 0);
  }

  /**
   * As {@link #scan(byte[], byte[], int, long)}, of the pairs live at {@code now}, counting {@code
   * perPair} more bytes for each (FETCH's expiry).
   */
  Page scan(byte[] start, byte @Nullable [] end, int limit, long maxBytes, long perPair, long now) {
    ConcurrentNavigableMap<byte[], Entry> view =
        end == null ? map.tailMap(start, true) : map.subMap(start, true, end, false);
    List<byte[]> pairs = new ArrayList<>();
    List<Long> expiries = new ArrayList<>();
    int n = 0;
    long bytes = 0;
    Iterator<Map.Entry<byte[], Entry>> it = view.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<byte[], Entry> e = it.next();
      Entry entry = e.getValue();
      if (!entry.live(now)) continue;
      byte[] value = entry.value;
      bytes += NodeCodec.valueBytes(e.getKey()) + NodeCodec.valueBytes(value) + perPair;
      if (n == limit || (n > 0 && bytes > maxBytes)) return new Page(pairs, expiries, true);
      pairs.add(e.getKey());
      pairs.add(value);
      expiries.add(entry.expiresAt);
      n++;
    }
    return new Page(pairs, expiries, false);
  }

  /** Live keys in [start, end) (end null: no end) at {@code now}. */
  long count(byte[] start, byte @Nullable [] end, long now) {
    ConcurrentNavigableMap<byte[], Entry> view =
        end == null ? map.tailMap(start, true) : map.subMap(start, true, end, false);
    long n = 0;
    for (Entry e : view.values()) if (e.live(now)) n++;
    return n;
  }

  /**
   * The leaseholder's write: takes the next sequence number and stores every key under it, in one
   * step with respect to other leaseholder writes. A null value deletes.
   *
   * @return the sequence number and, for a delete, how many keys existed; for a set, how many keys
   */
  Applied applyAsLeader(
      String writer, WriteSequence sequence, byte[][] keys, byte[] @Nullable [] values, long now) {
    synchronized (leaderOrder) {
      long seq = sequence.next();
      long count = 0;
      for (int i = 0; i < keys.length; i++) {
        byte[] value = values[i];
        Entry next = new Entry(value, writer, seq, value == null ? now : 0);
        Entry old = map.put(keys[i], next);
        account(keys[i], old, next);
        if (value != null || (old != null && old.live(now))) count++;
      }
      return new Applied(seq, count);
    }
  }

  /**
   * The leaseholder's read-modify-write of {@code key}: {@code update} sees the key's live value
   * and expiry at {@code now} and returns its new state; that is stored under the next sequence
   * number, in one step with respect to other leaseholder writes.
   *
   * @return the sequence number of the write, or -1 if {@code update} changed nothing
   */
  long updateAsLeader(String writer, WriteSequence sequence, byte[] key, long now, Update update) {
    synchronized (leaderOrder) {
      Entry old = map.get(key);
      boolean live = old != null && old.live(now);
      Change c = update.apply(live ? old.value : null, live ? old.expiresAt : 0);
      if (c == null) return -1;
      long seq = sequence.next();
      Entry next = new Entry(c.value(), writer, seq, c.value() == null ? now : 0, c.expiresAt());
      old = map.put(key, next);
      account(key, old, next);
      return seq;
    }
  }

  /**
   * A replicated write of {@code key}: stored unless the key holds a later write of the same writer
   * process. Returns true if it was stored.
   */
  boolean applyReplicated(byte[] key, byte @Nullable [] value, String writer, long seq, long now) {
    return applyReplicated(key, value, 0, writer, seq, now);
  }

  /** As {@link #applyReplicated(byte[], byte[], String, long, long)}, with an expiry (0: none). */
  boolean applyReplicated(
      byte[] key, byte @Nullable [] value, long expiresAt, String writer, long seq, long now) {
    Entry incoming = new Entry(value, writer, seq, value == null ? now : 0, expiresAt);
    Entry[] replaced = new Entry[1];
    Entry result =
        map.compute(
            key,
            (k, old) -> {
              replaced[0] =
                  old; // compute may call this again; the last call is the one that took effect
              return supersedes(incoming, old) ? incoming : old;
            });
    if (result != incoming) return false;
    account(key, replaced[0], incoming);
    return true;
  }

  /**
   * A value copied by FETCH: stored only where the key holds nothing yet (not even a tombstone).
   */
  boolean applyFetched(byte[] key, byte[] value) {
    return applyFetched(key, value, 0);
  }

  /** As {@link #applyFetched(byte[], byte[])}, with the value's expiry (0: none). */
  boolean applyFetched(byte[] key, byte[] value, long expiresAt) {
    Entry e = new Entry(value, FETCHED, 0, 0, expiresAt);
    if (map.putIfAbsent(key, e) != null) return false;
    account(key, null, e);
    return true;
  }

  static boolean supersedes(Entry incoming, @Nullable Entry old) {
    if (old == null) return true;
    boolean sameProcess =
        old.writer.equals(incoming.writer) && WriteSequence.sameProcess(old.seq, incoming.seq);
    return !sameProcess || incoming.seq > old.seq;
  }

  /** Removes everything in [start, end) (end null: no end). */
  void clear(byte[] start, byte @Nullable [] end) {
    ConcurrentNavigableMap<byte[], Entry> view =
        end == null ? map.tailMap(start, true) : map.subMap(start, true, end, false);
    for (Iterator<Map.Entry<byte[], Entry>> it = view.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<byte[], Entry> e = it.next();
      if (map.remove(e.getKey(), e.getValue())) bytes.addAndGet(-e.getValue().size(e.getKey()));
    }
  }

  /**
   * Turns entries whose expiry passed into tombstones of the same write (see the header), then
   * drops tombstones older than {@link #TOMBSTONE_MILLIS}; returns how many it dropped.
   */
  int sweepTombstones(long now) {
    expire(now);
    int n = 0;
    Map.Entry<byte[], Long> t;
    while ((t = tombstones.peek()) != null && t.getValue() < now - TOMBSTONE_MILLIS) {
      tombstones.poll();
      Entry e = map.get(t.getKey());
      if (e != null && e.value == null && e.deletedAt == t.getValue() && map.remove(t.getKey(), e))
        n++;
    }
    return n;
  }

  /** Turns entries past their expiry at {@code now} into tombstones; returns how many. */
  int expire(long now) {
    int n = 0;
    int left = expiring.size();
    Map.Entry<byte[], Long> t;
    while (left-- > 0 && (t = expiring.poll()) != null) {
      Entry e = map.get(t.getKey());
      if (e == null || e.value == null || e.expiresAt != t.getValue()) continue; // since rewritten
      if (e.live(now)) {
        expiring.add(t); // not yet
        continue;
      }
      Entry dead = new Entry(null, e.writer, e.seq, e.expiresAt, 0);
      if (map.replace(t.getKey(), e, dead)) {
        account(t.getKey(), e, dead);
        n++;
      }
    }
    return n;
  }

  /** Bytes of live keys and values. */
  long bytes() {
    return bytes.get();
  }

  /** Keys stored, tombstones included (approximate under concurrent writes). */
  int entries() {
    return map.size();
  }

  private void account(byte[] key, @Nullable Entry old, Entry next) {
    long delta = next.size(key) - (old == null ? 0 : old.size(key));
    if (delta != 0) bytes.addAndGet(delta);
    if (next.value == null) tombstones.add(Map.entry(key, next.deletedAt));
    else if (next.expiresAt != 0) expiring.add(Map.entry(key, next.expiresAt));
  }
}
