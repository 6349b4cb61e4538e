package io.fdbmeta.router;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.fdbmeta.layer.ChangeEvent;
import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.layer.route.EndKeyIndex;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/*
 * A bounded, ordered cache of range descriptors: the router's local route table.
 *
 * Two structures, one truth. Caffeine decides what stays (keyed by range id, weighed in estimated
 * bytes, W-TinyLFU eviction). EndIndex answers lookups: an immutable chunked array of the cached
 * entries sorted by end key, replaced whole (copy-on-write of the touched chunks) by each write. A
 * lookup reads one volatile reference and does two binary searches over long[]s: no lock, no
 * allocation. It records the access in Caffeine for one lookup in SAMPLE (a W-TinyLFU frequency
 * sketch needs proportions, not every access), so the hot path almost never touches the policy.
 *
 * Writes (loads, change-feed events, redirects, invalidations, evictions) are serialised by the
 * cache's monitor. Caffeine reports evictions through its eviction listener, which may run on any
 * thread inside Caffeine's own lock; it only queues the entry. Every write drains that queue into
 * the index before publishing, so the index never keeps an evicted entry past the next write, and
 * no lock is ever taken inside Caffeine's (no lock-order cycle between the two).
 *
 * The cache is partial, so a lookup's entry holds the key only if its start is at or below it: a
 * gap is a miss, and a miss loads the one descriptor holding the key from the catalog.
 *
 * Never regress. Every insertion follows one rule: a descriptor enters only if it is newer than
 * every cached entry it overlaps (same range: higher (generation, epoch); another range: higher
 * generation, since splits and merges give their results a generation above every range they
 * replace), and then those entries leave. So the change feed, redirects from storage nodes and
 * catalog loads can arrive in any order and the cache only moves forward.
 *
 * Loads race the feed: a load reads the catalog at version v; if the feed already applied a commit
 * after v that touched that range, the loaded descriptor is stale and no later event will fix it.
 * The cache remembers the range ids of recent commits (RING entries) and refuses to cache a load
 * whose range changed after its read version (the request still uses it once; a stale use costs a
 * redirect, never correctness: nodes fence by generation and epoch).
 *
 * Which feed events apply: an event about a range the cache holds, or a descriptor overlapping one
 * it holds (the children of a cached parent). Relevance is decided for a whole commit before any
 * of it is applied, so a split's REMOVE(parent) does not hide its children.
 */
/**
 * The router's route table: a weight-bounded cache of range descriptors, ordered by key, with
 * allocation-free lookups, kept fresh by the change feed and by storage nodes' redirects. Thread
 * safe; lookups never block.
 */
public final class RouteCache {
  /** One lookup in SAMPLE records its access in the eviction policy. */
  static final int SAMPLE = 16;

  private static final int RING = 8192;

  /** A descriptor read from the catalog and the read version it was read at. */
  public record Loaded(RangeDescriptor descriptor, long readVersion) {}

  /** Reads the descriptor holding a key from the catalog. */
  @FunctionalInterface
  public interface Loader {
    /**
     * @return the range holding {@code key}; fails with the store's error
     */
    CompletableFuture<Loaded> load(byte[] key);
  }

  /** Counters since start. {@code weight} is the estimated bytes of the cached entries. */
  public record Stats(
      int size,
      long weight,
      long maxWeight,
      long loads,
      long loadFailures,
      long loadsNotCached,
      long evictions,
      long offered,
      long offersApplied,
      long feedCommits,
      long feedEventsApplied,
      long reloads,
      long appliedVersion) {}

  private final long maxWeight;
  private final Loader loader;
  private final Cache<Long, CachedRange> policy;
  private final ConcurrentLinkedQueue<CachedRange> evicted = new ConcurrentLinkedQueue<>();
  private volatile EndIndex index = EndIndex.EMPTY;

  // Guarded by this.
  private long appliedVersion;
  private final long[] ringVersions = new long[RING];
  private final long[] ringIds = new long[RING];
  private long ringCount;
  private boolean reloading;
  private final List<Object[]> buffered = new ArrayList<>();

  private final LongAdder loads = new LongAdder();
  private final LongAdder loadFailures = new LongAdder();
  private final LongAdder loadsNotCached = new LongAdder();
  private final LongAdder evictions = new LongAdder();
  private final LongAdder offered = new LongAdder();
  private final LongAdder offersApplied = new LongAdder();
  private final LongAdder feedCommits = new LongAdder();
  private final LongAdder feedEventsApplied = new LongAdder();
  private final LongAdder reloads = new LongAdder();

  /**
   * @param maxWeightBytes the most estimated bytes of descriptors to keep (at least 1 KiB)
   * @param loader where misses are loaded from
   * @throws IllegalArgumentException if the weight is below 1 KiB
   */
  public RouteCache(long maxWeightBytes, Loader loader) {
    if (maxWeightBytes < 1024)
      throw new IllegalArgumentException(
          "route cache weight must be >= 1024 bytes, got " + maxWeightBytes);
    this.maxWeight = maxWeightBytes;
    this.loader = Objects.requireNonNull(loader, "loader");
    this.policy =
        Caffeine.newBuilder()
            .maximumWeight(maxWeightBytes)
            .weigher((Long id, CachedRange r) -> r.weight)
            .evictionListener(
                (Long id, CachedRange r, com.github.benmanes.caffeine.cache.RemovalCause cause) -> {
                  if (r != null && cause.wasEvicted()) evicted.add(r);
                })
            .executor(Runnable::run)
            .build();
  }

  // ---------------------------------------------------------------- reads

  /**
   * The cached range holding {@code key}, or null if none is cached. Never blocks, allocates
   * nothing.
   */
  public @Nullable RangeDescriptor lookup(byte[] key) {
    CachedRange r = find(key);
    return r == null ? null : r.descriptor;
  }

  /** The request path's lookup: the cached entry holding {@code key}, or null. */
  @Nullable CachedRange find(byte[] key) {
    CachedRange r = index.ceiling(key);
    if (r == null || Arrays.compareUnsigned(r.start, key) > 0) return null;
    if ((ThreadLocalRandom.current().nextInt() & (SAMPLE - 1)) == 0) policy.getIfPresent(r.key);
    return r;
  }

  /**
   * The range holding {@code key}: from the cache, or loaded from the catalog (only this caller
   * waits; the loaded descriptor is cached unless it lost a race with the change feed).
   *
   * @return fails with what the loader failed with
   */
  public CompletableFuture<RangeDescriptor> lookupOrLoad(byte[] key) {
    return findOrLoad(key).thenApply(r -> r.descriptor);
  }

  CompletableFuture<CachedRange> findOrLoad(byte[] key) {
    CachedRange r = find(key);
    if (r != null) return CompletableFuture.completedFuture(r);
    return load(key);
  }

  /** Loads the range holding {@code key} from the catalog, bypassing the cache, and caches it. */
  CompletableFuture<CachedRange> load(byte[] key) {
    loads.increment();
    CompletableFuture<Loaded> f;
    try {
      f = loader.load(key);
    } catch (RuntimeException e) {
      f = CompletableFuture.failedFuture(e);
    }
    return f.handle(
        (loaded, e) -> {
          if (e != null) {
            loadFailures.increment();
            throw e instanceof RuntimeException
                ? (RuntimeException) e
                : new java.util.concurrent.CompletionException(e);
          }
          CachedRange fresh = new CachedRange(loaded.descriptor());
          CachedRange kept = insertLoaded(fresh, loaded.readVersion());
          return kept != null ? kept : fresh;
        });
  }

  public int size() {
    return index.size();
  }

  /** Estimated bytes of the cached descriptors. */
  public long weight() {
    return policy.policy().eviction().orElseThrow().weightedSize().orElse(0);
  }

  public long maxWeight() {
    return maxWeight;
  }

  /** Commit version of the last change-feed commit applied (or of the load it started from). */
  public synchronized long appliedVersion() {
    return appliedVersion;
  }

  public synchronized Stats stats() {
    return new Stats(
        index.size(),
        weight(),
        maxWeight,
        loads.sum(),
        loadFailures.sum(),
        loadsNotCached.sum(),
        evictions.sum(),
        offered.sum(),
        offersApplied.sum(),
        feedCommits.sum(),
        feedEventsApplied.sum(),
        reloads.sum(),
        appliedVersion);
  }

  /** Every cached descriptor in key order; O(n), for tests and tools. */
  public List<RangeDescriptor> snapshot() {
    List<RangeDescriptor> out = new ArrayList<>();
    for (CachedRange r : index.all()) out.add(r.descriptor);
    return out;
  }

  // ---------------------------------------------------------------- writes

  /**
   * Offers a descriptor learned outside the change feed (a storage node's redirect): cached at once
   * if it is newer than every cached range it overlaps.
   *
   * @return true if the cache changed
   */
  public synchronized boolean offer(RangeDescriptor d) {
    offered.increment();
    Write w = new Write();
    boolean applied = w.insertNewer(new CachedRange(d));
    w.publish();
    if (applied) offersApplied.increment();
    return applied;
  }

  /**
   * Drops the cached range with this id, if any (a node does not know it, or a retry budget ran
   * out).
   */
  public synchronized void invalidate(long rangeId) {
    Write w = new Write();
    CachedRange r = policy.getIfPresent(rangeId);
    if (r != null) w.remove(r);
    w.publish();
  }

  /** Drops every entry; the next lookups load from the catalog. */
  public synchronized void clear() {
    policy.invalidateAll();
    evicted.clear();
    index = EndIndex.EMPTY;
  }

  /** The range cached by id, or null; for the write path and tests (boxes the id). */
  @Nullable CachedRange byId(long rangeId) {
    return policy.getIfPresent(rangeId);
  }

  private synchronized @Nullable CachedRange insertLoaded(CachedRange r, long readVersion) {
    if (readVersion <= appliedVersion && changedSince(r.rangeId, readVersion)) {
      loadsNotCached.increment();
      return null;
    }
    Write w = new Write();
    boolean applied = w.insertNewer(r);
    w.publish();
    if (!applied) {
      loadsNotCached.increment();
      return null;
    }
    return r;
  }

  /**
   * True if a commit after {@code version} touched {@code rangeId}, or the ring no longer reaches
   * back that far.
   */
  private boolean changedSince(long rangeId, long version) {
    long n = Math.min(ringCount, RING);
    for (long i = 1; i <= n; i++) {
      int at = (int) ((ringCount - i) % RING);
      if (ringVersions[at] <= version) return false;
      if (ringIds[at] == rangeId) return true;
    }
    return ringCount > RING; // older entries were overwritten: cannot tell
  }

  /**
   * Applies one change-feed commit: events about cached ranges, or with descriptors overlapping
   * cached ranges, in order; the rest are ignored (a miss loads them when needed).
   *
   * @param commitVersion the commit's version; the cache remembers the ranges it touched
   */
  public synchronized void applyChanges(long commitVersion, List<ChangeEvent> events) {
    if (reloading) {
      buffered.add(new Object[] {commitVersion, events});
      return;
    }
    feedCommits.increment();
    Write w = new Write();
    boolean[] relevant = new boolean[events.size()];
    for (int i = 0; i < events.size(); i++) {
      ChangeEvent e = events.get(i);
      if (e.kind() == ChangeEvent.Kind.REMOVE) {
        relevant[i] = policy.getIfPresent(e.removedRangeId()) != null;
      } else {
        RangeDescriptor d = e.descriptor();
        relevant[i] =
            policy.getIfPresent(d.rangeId()) != null || w.anyOverlap(d.startKey(), d.endKey());
      }
    }
    for (int i = 0; i < events.size(); i++) {
      ChangeEvent e = events.get(i);
      long id = e.kind() == ChangeEvent.Kind.REMOVE ? e.removedRangeId() : e.descriptor().rangeId();
      int at = (int) (ringCount++ % RING);
      ringVersions[at] = commitVersion;
      ringIds[at] = id;
      if (!relevant[i]) continue;
      feedEventsApplied.increment();
      if (e.kind() == ChangeEvent.Kind.REMOVE) {
        CachedRange r = w.current(id);
        if (r != null) w.remove(r);
      } else {
        w.insertNewer(new CachedRange(e.descriptor()));
      }
    }
    appliedVersion = Math.max(appliedVersion, commitVersion);
    w.publish();
  }

  /**
   * From now until {@link #replaceAll}, change-feed commits are held back (a reload is being read).
   */
  synchronized void beginReload() {
    reloading = true;
  }

  /**
   * Replaces the whole cache by {@code ranges} (read from the catalog after the changelog position
   * of {@code commitVersion}, possibly in several transactions: of overlapping ones the newer
   * wins), as many as fit, then applies the commits held back since {@link #beginReload}.
   */
  public synchronized void replaceAll(List<RangeDescriptor> ranges, long commitVersion) {
    reloads.increment();
    List<CachedRange> sorted = new ArrayList<>(ranges.size());
    for (RangeDescriptor d : ranges) sorted.add(new CachedRange(d));
    sorted.sort(Comparator.comparing((CachedRange r) -> r.end, EndKeyIndex::compareEnds));
    List<CachedRange> kept = new ArrayList<>(sorted.size());
    for (CachedRange r : sorted) {
      boolean drop = false;
      while (!kept.isEmpty()) {
        CachedRange top = kept.get(kept.size() - 1);
        if (!top.overlaps(r.start, r.end)) break;
        if (r.newerThan(top)) {
          kept.remove(kept.size() - 1);
        } else {
          drop = true;
          break;
        }
      }
      if (!drop) kept.add(r);
    }
    policy.invalidateAll();
    evicted.clear();
    for (CachedRange r : kept) policy.put(r.key, r);
    policy.cleanUp();
    java.util.Set<CachedRange> gone =
        java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    for (CachedRange r; (r = evicted.poll()) != null; ) {
      gone.add(r);
      evictions.increment();
    }
    if (!gone.isEmpty()) kept.removeIf(gone::contains);
    index = EndIndex.of(kept);
    appliedVersion = commitVersion;
    ringCount = 0;
    reloading = false;
    List<Object[]> held = new ArrayList<>(buffered);
    buffered.clear();
    for (Object[] b : held) {
      @SuppressWarnings("unchecked")
      List<ChangeEvent> events = (List<ChangeEvent>) b[1];
      applyChanges((Long) b[0], events);
    }
  }

  /** One write: edits against the current index, published once. Only under the monitor. */
  private final class Write {
    private final EndIndex.Editor editor = index.edit();

    /** Entries removed or added in this write, so overlap searches see them. */
    private final List<CachedRange> added = new ArrayList<>(2);

    private final java.util.Set<CachedRange> removed =
        java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());

    /** The entry cached under this id, as of this write. */
    @Nullable CachedRange current(long id) {
      for (CachedRange r : added) if (r.rangeId == id) return r;
      CachedRange r = policy.getIfPresent(id);
      return r == null || removed.contains(r) ? null : r;
    }

    boolean anyOverlap(byte[] start, byte @Nullable [] end) {
      return !overlapping(start, end).isEmpty();
    }

    /** Entries overlapping [start, end) as of this write. */
    List<CachedRange> overlapping(byte[] start, byte @Nullable [] end) {
      List<CachedRange> out = new ArrayList<>(2);
      EndIndex base = index;
      CachedRange r = base.ceiling(start);
      while (r != null && r.overlaps(start, end)) {
        if (!removed.contains(r)) out.add(r);
        if (r.end == null) break;
        r = base.ceiling(r.end);
      }
      for (CachedRange a : added) if (a.overlaps(start, end)) out.add(a);
      return out;
    }

    boolean insertNewer(CachedRange r) {
      List<CachedRange> over = overlapping(r.start, r.end);
      CachedRange sameId = current(r.rangeId);
      if (sameId != null && !over.contains(sameId)) over.add(sameId);
      for (CachedRange o : over) {
        if (!r.newerThan(o)) return false;
      }
      for (CachedRange o : over) remove(o);
      add(r);
      return true;
    }

    void remove(CachedRange r) {
      if (added.remove(r)) {
        editor.remove(r);
        policy.asMap().remove(r.key, r);
        return;
      }
      if (!removed.add(r)) return;
      editor.remove(r);
      policy.asMap().remove(r.key, r);
    }

    void add(CachedRange r) {
      editor.add(r);
      added.add(r);
      policy.put(r.key, r);
    }

    void publish() {
      for (CachedRange r; (r = evicted.poll()) != null; ) {
        evictions.increment();
        if (added.remove(r) || removed.add(r)) editor.remove(r);
      }
      index = editor.build();
    }
  }
}
