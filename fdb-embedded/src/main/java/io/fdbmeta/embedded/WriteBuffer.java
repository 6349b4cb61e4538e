package io.fdbmeta.embedded;

import com.apple.foundationdb.KeyValue;
import com.apple.foundationdb.MutationType;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NoSuchElementException;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/*
 * A transaction's own uncommitted writes, for read-your-writes.
 *
 * Point entries record what the transaction did to single keys: either a value it fully determined
 * (a set, a clear, or an atomic operation on a value it knew), or a stack of atomic operations on
 * top of whatever the database holds, evaluated when read. Cleared ranges make every key inside
 * them absent without asking the database. Versionstamped writes make their keys unreadable until
 * commit, as in FoundationDB (1036 accessed_unreadable).
 */
final class WriteBuffer {
  private final TreeMap<byte[], Entry> points = new TreeMap<>(Bytes.ORDER);

  /** Disjoint cleared ranges, begin to end. */
  private final TreeMap<byte[], byte[]> cleared = new TreeMap<>(Bytes.ORDER);

  /** Ranges where a versionstamped key may land, begin to end. */
  private final List<KeyRange> unreadable = new ArrayList<>();

  WriteBuffer() {}

  /** A copy that later writes to this buffer leave unchanged (entries are immutable). */
  WriteBuffer copy() {
    WriteBuffer c = new WriteBuffer();
    c.points.putAll(points);
    c.cleared.putAll(cleared);
    c.unreadable.addAll(unreadable);
    return c;
  }

  private static final class Entry {
    final boolean known;
    final byte @Nullable [] value;
    final List<Mutation> ops;
    final boolean unreadable;

    private Entry(boolean known, byte @Nullable [] value, List<Mutation> ops, boolean unreadable) {
      this.known = known;
      this.value = value;
      this.ops = ops;
      this.unreadable = unreadable;
    }

    static Entry known(byte @Nullable [] value) {
      return new Entry(true, value, List.of(), false);
    }
  }

  /** The result of looking a key up in the buffer alone. */
  enum Lookup {
    /** The buffer decides the value; no database read is needed. */
    KNOWN,
    /** The value is the database's, possibly with atomic operations on top. */
    DEPENDS_ON_DATABASE
  }

  void set(byte[] key, byte[] value) {
    points.put(key, Entry.known(value));
  }

  void clear(byte[] key) {
    points.put(key, Entry.known(null));
  }

  void clearRange(byte[] begin, byte[] end) {
    if (Bytes.compare(begin, end) >= 0) return;
    points.subMap(begin, end).clear();
    byte[] b = begin;
    byte[] e = end;
    Map.Entry<byte[], byte[]> before = cleared.floorEntry(b);
    if (before != null && Bytes.compare(before.getValue(), b) >= 0) {
      b = before.getKey();
      e = Bytes.max(e, before.getValue());
    }
    NavigableMap<byte[], byte[]> overlapping = cleared.subMap(b, true, e, true);
    for (byte[] end2 : overlapping.values()) e = Bytes.max(e, end2);
    overlapping.clear();
    cleared.put(b, e);
  }

  void atomic(MutationType type, byte[] key, byte[] operand) {
    Entry e = points.get(key);
    if (e != null && e.unreadable) return;
    if (e != null && e.known) {
      points.put(key, Entry.known(Atomics.apply(type, e.value, operand)));
    } else if (e == null && isCleared(key)) {
      points.put(key, Entry.known(Atomics.apply(type, null, operand)));
    } else {
      List<Mutation> ops = new ArrayList<>(e == null ? List.of() : e.ops);
      ops.add(Mutation.atomic(type, key, operand));
      points.put(key, new Entry(false, null, ops, false));
    }
  }

  void versionstampedValue(byte[] key) {
    points.put(key, new Entry(false, null, List.of(), true));
  }

  void versionstampedKeyRange(KeyRange possibleKeys) {
    unreadable.add(possibleKeys);
  }

  /** Whether reading {@code key} needs the database, or throws 1036 if it is unreadable. */
  Lookup lookup(byte[] key) {
    Entry e = points.get(key);
    if (e != null) {
      if (e.unreadable) throw Errors.error(Errors.ACCESSED_UNREADABLE);
      return e.known ? Lookup.KNOWN : Lookup.DEPENDS_ON_DATABASE;
    }
    if (isCleared(key)) return Lookup.KNOWN;
    for (KeyRange r : unreadable) {
      if (Bytes.compare(r.begin(), key) <= 0 && Bytes.compare(key, r.end()) < 0) {
        throw Errors.error(Errors.ACCESSED_UNREADABLE);
      }
    }
    return Lookup.DEPENDS_ON_DATABASE;
  }

  /** The value of {@code key} given the database's value (ignored if the buffer decides alone). */
  byte @Nullable [] value(byte[] key, byte @Nullable [] databaseValue) {
    Entry e = points.get(key);
    if (e == null) return isCleared(key) ? null : databaseValue;
    if (e.known) return e.value;
    byte[] v = databaseValue;
    for (Mutation op : e.ops) v = Atomics.apply(op.type(), v, op.param());
    return v;
  }

  /**
   * What the buffer does now to a key whose value depends on the database, as a function of the
   * database's value, to apply once that value arrives (the buffer may have changed by then).
   */
  UnaryOperator<byte @Nullable []> overDatabase(byte[] key) {
    Entry e = points.get(key);
    List<Mutation> ops = e == null ? List.of() : e.ops; // entries are immutable
    return databaseValue -> {
      byte[] v = databaseValue;
      for (Mutation op : ops) v = Atomics.apply(op.type(), v, op.param());
      return v;
    };
  }

  /** Throws 1036 if a read of [begin, end) would touch an unreadable key. */
  void checkRangeReadable(byte[] begin, byte[] end) {
    for (KeyRange r : unreadable) {
      if (r.intersects(begin, end)) throw Errors.error(Errors.ACCESSED_UNREADABLE);
    }
    for (Entry e : points.subMap(begin, end).values()) {
      if (e.unreadable) throw Errors.error(Errors.ACCESSED_UNREADABLE);
    }
  }

  /** True if one clear of this transaction covers all of [begin, end). */
  boolean clearedThroughout(byte[] begin, byte[] end) {
    if (Bytes.compare(begin, end) >= 0) return false;
    Map.Entry<byte[], byte[]> r = cleared.floorEntry(begin);
    return r != null && Bytes.compare(end, r.getValue()) <= 0;
  }

  private boolean isCleared(byte[] key) {
    Map.Entry<byte[], byte[]> r = cleared.floorEntry(key);
    return r != null && Bytes.compare(key, r.getValue()) < 0;
  }

  /**
   * Merges the database's live keys in [begin, end) (in the iteration order) with this buffer,
   * yielding what the transaction sees. The database iterator must be in the same order.
   */
  Iterator<KeyValue> merge(Iterator<KeyValue> database, byte[] begin, byte[] end, boolean reverse) {
    checkRangeReadable(begin, end);
    if (points.isEmpty() && cleared.isEmpty()) return database;
    NavigableMap<byte[], Entry> own = points.subMap(begin, true, end, false);
    Iterator<Map.Entry<byte[], Entry>> mine =
        (reverse ? own.descendingMap() : own).entrySet().iterator();
    return new Iterator<>() {
      private @Nullable KeyValue db = nextOrNull(database);
      private Map.@Nullable Entry<byte[], Entry> buf = nextOrNull(mine);
      private @Nullable KeyValue next = advance();

      private @Nullable KeyValue advance() {
        while (db != null || buf != null) {
          int c;
          if (db == null) c = 1;
          else if (buf == null) c = -1;
          else
            c =
                reverse
                    ? Bytes.compare(buf.getKey(), db.getKey())
                    : Bytes.compare(db.getKey(), buf.getKey());
          byte[] key;
          byte[] value;
          if (c < 0) { // only in the database
            key = db.getKey();
            value = isCleared(key) ? null : db.getValue();
            db = nextOrNull(database);
          } else {
            key = buf.getKey();
            byte[] base = c == 0 ? db.getValue() : null;
            value = WriteBuffer.this.value(key, base);
            buf = nextOrNull(mine);
            if (c == 0) db = nextOrNull(database);
          }
          if (value != null) return new KeyValue(key, value);
        }
        return null;
      }

      @Override
      public boolean hasNext() {
        return next != null;
      }

      @Override
      public KeyValue next() {
        KeyValue r = next;
        if (r == null) throw new NoSuchElementException();
        next = advance();
        return r;
      }
    };
  }

  private static <T> @Nullable T nextOrNull(Iterator<T> it) {
    return it.hasNext() ? it.next() : null;
  }
}
