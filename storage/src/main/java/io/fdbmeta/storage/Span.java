package io.fdbmeta.storage;

import io.fdbmeta.layer.RangeDescriptor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** A key interval [start, end), end null meaning "no end", in unsigned byte order. */
record Span(byte[] start, byte @Nullable [] end) {
  static Span of(RangeDescriptor d) {
    return new Span(d.startKey(), d.endKey());
  }

  /** Compares ends, null (no end) after every key. */
  static int compareEnds(byte @Nullable [] a, byte @Nullable [] b) {
    if (a == null) return b == null ? 0 : 1;
    if (b == null) return -1;
    return Arrays.compareUnsigned(a, b);
  }

  boolean sameAs(Span o) {
    return Arrays.equals(start, o.start) && Arrays.equals(end, o.end);
  }

  /** True if this span and {@code o} share a key. */
  boolean overlaps(Span o) {
    return (o.end == null || Arrays.compareUnsigned(start, o.end) < 0)
        && (end == null || Arrays.compareUnsigned(o.start, end) < 0);
  }

  /** True if {@code parts} together cover all of this span. */
  boolean coveredBy(List<Span> parts) {
    return uncovered(parts).isEmpty();
  }

  /** The pieces of this span that none of {@code parts} covers, in order. */
  List<Span> uncovered(List<Span> parts) {
    List<Span> sorted = new ArrayList<>(parts);
    sorted.sort(Comparator.comparing(Span::start, Arrays::compareUnsigned));
    List<Span> out = new ArrayList<>();
    byte[] cursor = start;
    for (Span p : sorted) {
      if (compareEnds(p.end, cursor) <= 0) continue; // entirely before the cursor
      if (end != null && Arrays.compareUnsigned(p.start, end) >= 0)
        break; // entirely after this span
      if (Arrays.compareUnsigned(p.start, cursor) > 0) out.add(new Span(cursor, p.start));
      if (p.end == null) return out;
      cursor = p.end;
      if (end != null && Arrays.compareUnsigned(cursor, end) >= 0) return out;
    }
    out.add(new Span(cursor, end));
    return out;
  }
}
