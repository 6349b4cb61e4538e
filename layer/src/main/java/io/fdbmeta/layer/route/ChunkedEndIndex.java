package io.fdbmeta.layer.route;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/*
 * The copy-on-write editing that a route table (RouteSnapshot) and a router's route cache (the
 * router's EndIndex) share. Both keep entries sorted by end key in immutable chunks, with a top
 * EndKeyIndex over each chunk's last end, and each keeps its own chunk type and lookup layout; what
 * lives here once is how an edit reshapes the chunks, and the sizes it keeps them at.
 *
 * An edit of one batch copies a chunk into a run (mutable) when it first touches it. Every end is
 * placed by the base's chunk boundaries, which stay fixed for the batch, so an entry goes to the
 * chunk whose last end is the first not before it (the last chunk if none is). The result is laid
 * out one of two ways:
 *  - In place, the common case: every touched run keeps a healthy size (CHUNK_MIN to CHUNK_MAX) and
 *    its chunk's last end, so the boundaries and the top index stay as they are; only the touched
 *    chunks are rebuilt, and a commit copies one reference per chunk plus the chunks it touched.
 *  - Re-cut: untouched chunks are kept as they are; from each touched run on, a run smaller than
 *    CHUNK_MIN joins its successor (so removals cannot leave a trail of tiny chunks), and one larger
 *    than CHUNK_MAX is cut into pieces of about CHUNK_TARGET. The container builds a new top index.
 */
/**
 * The chunk sizes of a chunked end-key index and the copy-on-write {@link Editor} that keeps them;
 * used by the route table and by a router's route cache.
 */
public final class ChunkedEndIndex {
  /** The most entries a chunk holds after an edit. */
  public static final int CHUNK_MAX = 512;

  /** The entries of a chunk as built from sorted entries, and of the pieces of a cut. */
  public static final int CHUNK_TARGET = 256;

  /** The fewest entries an edited chunk keeps before it joins its successor. */
  public static final int CHUNK_MIN = 64;

  private ChunkedEndIndex() {}

  /**
   * The mutable entries of one chunk during an edit, in strictly increasing end order.
   *
   * @param <C> the chunk it builds
   * @param <R> the run type itself
   */
  public interface Run<C, R extends Run<C, R>> {
    int size();

    /** Appends every entry of {@code next}, whose ends all follow this run's. */
    void append(R next);

    /**
     * The array holding the last entry's end, as {@link EndKeyIndex} takes ends (null: no end); the
     * run is not empty.
     */
    byte @Nullable [] lastEndArray();

    /** Where the last end starts in {@link #lastEndArray()}: 0 for a whole array. */
    int lastEndFrom();

    /** A chunk of the entries at [from, to). */
    C build(int from, int to);
  }

  /**
   * One batch of edits against a base version; single-threaded. A subclass places each edit in
   * {@link #runFor} and builds its new version from {@link #layout}.
   *
   * @param <C> the chunk type
   * @param <R> the run that builds one
   */
  public abstract static class Editor<C, R extends Run<C, R>> {
    private final C[] base;
    private final EndKeyIndex top;
    private final Map<Integer, R> touched = new HashMap<>();

    /**
     * @param base the base's chunks in end order (a slot may be null where the container builds a
     *     chunk on first use: it is handed back as it is, or copied through {@link #copy})
     * @param top the index over each base chunk's last end
     */
    protected Editor(C[] base, EndKeyIndex top) {
      if (top.size() != base.length)
        throw new IllegalArgumentException(
            top.size() + " last ends for " + base.length + " chunks");
      this.base = base;
      this.top = top;
    }

    /** Base chunk {@code c}'s entries, as a new run with room for a few more. */
    protected abstract R copy(int c);

    /** A new, empty run. */
    protected abstract R emptyRun();

    /**
     * The run of the chunk that holds, or would hold, an entry ending at {@code end} (null: no
     * end), copied from the base when first touched.
     */
    protected final R runFor(byte @Nullable [] end) {
      int n = base.length;
      int c;
      if (n == 0) {
        c = 0;
      } else if (end == null) {
        c = n - 1;
      } else {
        c = top.upperBound(end);
        // the chunk whose last end is exactly this one
        if (c > 0 && EndKeyIndex.compare(top.array(c - 1), top.from(c - 1), end, 0) == 0) c--;
        if (c == n) c = n - 1;
      }
      return touched.computeIfAbsent(c, k -> k < n ? copy(k) : emptyRun());
    }

    /**
     * The chunks after the edits (see the top of this file), or null if none touched any. Call it
     * once, after the last edit: laying out may append runs to one another.
     */
    protected final @Nullable Layout<C> layout() {
      if (touched.isEmpty()) return null;
      Layout<C> inPlace = inPlace();
      return inPlace != null ? inPlace : recut();
    }

    private @Nullable Layout<C> inPlace() {
      C[] out = base.clone();
      for (Map.Entry<Integer, R> e : touched.entrySet()) {
        int c = e.getKey();
        R t = e.getValue();
        if (c >= out.length || t.size() < CHUNK_MIN || t.size() > CHUNK_MAX) return null;
        if (EndKeyIndex.compare(t.lastEndArray(), t.lastEndFrom(), top.array(c), top.from(c)) != 0)
          return null;
        out[c] = t.build(0, t.size());
      }
      return new Layout<>(out, base, null);
    }

    private Layout<C> recut() {
      List<C> out = new ArrayList<>(base.length + 2);
      List<Integer> keptFrom = new ArrayList<>(base.length + 2); // in step with `out`
      @Nullable R carry = null;
      int n = Math.max(base.length, 1);
      for (int c = 0; c < n; c++) {
        R t = touched.get(c);
        if (t == null && carry == null) {
          if (c < base.length) {
            out.add(base[c]);
            keptFrom.add(c);
          }
          continue;
        }
        R run = t != null ? t : copy(c);
        if (carry == null) carry = run;
        else carry.append(run);
        // A small chunk joins its successor, so removals cannot leave a trail of tiny chunks.
        if (carry.size() < CHUNK_MIN && c < n - 1) continue;
        emit(out, keptFrom, carry);
        carry = null;
      }
      int[] from = new int[keptFrom.size()];
      for (int j = 0; j < from.length; j++) from[j] = keptFrom.get(j);
      return new Layout<>(out.toArray(Arrays.copyOf(base, 0)), base, from);
    }

    private void emit(List<C> out, List<Integer> keptFrom, R run) {
      int n = run.size();
      int pieces = n <= CHUNK_MAX ? Math.min(n, 1) : (n + CHUNK_TARGET - 1) / CHUNK_TARGET;
      for (int p = 0; p < pieces; p++) {
        out.add(run.build(p * n / pieces, (p + 1) * n / pieces));
        keptFrom.add(-1);
      }
    }
  }

  /**
   * The chunks of an edited version, in end order.
   *
   * @param <C> the chunk type
   */
  public static final class Layout<C> {
    private final C[] chunks;
    private final C[] base;
    private final int @Nullable [] keptFrom;

    /**
     * @param keptFrom null if laid out in place: a chunk is then kept from its own slot unless it
     *     was rebuilt
     */
    private Layout(C[] chunks, C[] base, int @Nullable [] keptFrom) {
      this.chunks = chunks;
      this.base = base;
      this.keptFrom = keptFrom;
    }

    /** The chunks; a new array, the container's to keep. */
    public C[] chunks() {
      return chunks;
    }

    /**
     * True if the chunk boundaries are the base's: the base's top index (and anything else kept per
     * chunk slot) still holds, but for the rebuilt chunks.
     */
    public boolean inPlace() {
      return keptFrom == null;
    }

    /** The base slot chunk {@code j} is kept from as it is, or -1 if it was rebuilt. */
    public int keptFrom(int j) {
      if (keptFrom != null) return keptFrom[j];
      return chunks[j] == base[j] ? j : -1;
    }
  }
}
