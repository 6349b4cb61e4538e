package io.fdbmeta.layer;

import com.apple.foundationdb.KeyValue;
import com.apple.foundationdb.tuple.Versionstamp;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/*
 * Indexes the pages of a cold load while the scan reads on, so that a load costs about one scan
 * when a second core is free, and no more than scanning and indexing one after the other when
 * none is.
 *
 * Each page becomes chunks of its own (RouteSnapshot.chunksOf), so pages can be indexed in any
 * order by any thread; the snapshot concatenates them in page order at the end. The scan thread
 * queues each page and wakes a helper task on the executor if none is running; the helper indexes
 * queued pages until the queue is empty. When the scan has read the last page, the scan thread
 * indexes whatever is still queued itself, and waits only for a page the helper is in the middle
 * of. So a helper that is slow to get a core (a busy machine) never holds the load up by more than
 * one page; and while MAX_QUEUED pages are queued, the scan thread indexes the page it has just read
 * itself before reading on, which bounds the rows held in memory (that page, still in the scan
 * thread's cache, indexes about a third faster than an older one would).
 *
 * The helper keeps up with the scan only just (indexing a page costs about as much as reading it),
 * and waking a parked helper cost the scan thread 30 to 500 us per wake on a 2-core VM, as much as
 * reading a page of 10,000 rows. So with a second core the helper does not park between pages:
 * having emptied the queue it spins for up to SPIN_NANOS, longer than a page takes to read, and
 * parks only if the scan is slower than that or has ended. A load then wakes it about once instead
 * of once per page.
 *
 * The end of the load does nothing per chunk: each page also records its chunks' last ends while
 * they are in cache, for the snapshot's top index, and finish() only concatenates arrays per page.
 *
 * Completion: `outstanding` counts queued or running pages, plus one until the scan ends; whoever
 * takes it to zero completes `done`. Page results are written before that page's decrement, so
 * they are visible to whoever completes `done`, and through it to the caller.
 */
/** Indexes the pages of one load, on the scan's thread and a helper; see the comment above. */
final class PageIndexer {
  /** Pages queued at most; the scan thread indexes further pages itself. */
  static final int MAX_QUEUED = 4;

  /** How long the helper waits for the next page before it parks, if there is a core to spin on. */
  private static final long SPIN_NANOS = Runtime.getRuntime().availableProcessors() > 1 ? 1_000_000 : 0;

  /** One page: its rows until indexed, then its chunks and each chunk's last end. */
  private static final class Page {
    final int size;
    @Nullable List<KeyValue> rows;
    RouteChunk[] chunks = new RouteChunk[0];
    byte[] @Nullable [] lastEnds = new byte[0][];
    int[] lastFroms = new int[0];

    Page(List<KeyValue> rows) {
      this.size = rows.size();
      this.rows = rows;
    }

    void index(List<KeyValue> rows, RangeRow row) {
      RouteChunk[] cs = RouteSnapshot.chunksOf(rows, row);
      byte[][] ends = new byte[cs.length][];
      int[] froms = new int[cs.length];
      for (int c = 0; c < cs.length; c++) {
        ends[c] = cs[c].lastEndArray();
        froms[c] = cs[c].lastEndFrom();
      }
      lastEnds = ends;
      lastFroms = froms;
      chunks = cs;
    }
  }

  private final int keyPrefixLength;
  private final Executor helper;
  private final List<Page> pages = new ArrayList<>(); // scan thread only, in key order
  private final ConcurrentLinkedQueue<Page> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger queued = new AtomicInteger();
  private final AtomicBoolean helping = new AtomicBoolean();
  private final AtomicInteger outstanding = new AtomicInteger(1);
  private final CompletableFuture<Void> done = new CompletableFuture<>();
  private volatile boolean scanEnded;
  private volatile @Nullable Thread scanThread; // the last to submit; a helper run on it must not spin
  private volatile @Nullable RuntimeException failure;

  /**
   * @param keyPrefixLength the length of the range subspace's prefix in the rows' keys
   * @param helper runs the helper task
   */
  PageIndexer(int keyPrefixLength, Executor helper) {
    this.keyPrefixLength = keyPrefixLength;
    this.helper = helper;
  }

  /**
   * Queues the next page of range-index rows (in key order). Scan thread only.
   *
   * @return completes when the scan may read on; failed once a page failed to index
   */
  CompletableFuture<Void> submit(List<KeyValue> rows) {
    RuntimeException f = failure;
    if (f != null) return CompletableFuture.failedFuture(f);
    scanThread = Thread.currentThread();
    Page page = new Page(rows);
    pages.add(page);
    outstanding.incrementAndGet();
    if (queued.get() >= MAX_QUEUED) {
      index(page); // the page just read, still in this core's cache, not an older queued one
    } else {
      queued.incrementAndGet();
      queue.add(page);
      wakeHelper();
    }
    return CompletableFuture.completedFuture(null);
  }

  /**
   * The snapshot of every page, at {@code cursor}. Scan thread only, after the last page: indexes
   * what is still queued, then completes once the helper's page (if any) is done too.
   *
   * @return fails with MetaException CORRUPT_RECORD if a row's key holds no end key
   */
  CompletableFuture<RouteSnapshot> finish(Versionstamp cursor) {
    scanEnded = true;
    while (indexOne()) {
      // the scan thread helps with the rest
    }
    arrive();
    return done.thenApply(v -> {
      RuntimeException f = failure;
      if (f != null) throw f;
      int n = 0;
      int size = 0;
      for (Page p : pages) {
        n += p.chunks.length;
        size += p.size;
      }
      RouteChunk[] chunks = new RouteChunk[n];
      byte[][] lastEnds = new byte[n][];
      int[] lastFroms = new int[n];
      int at = 0;
      for (Page p : pages) {
        System.arraycopy(p.chunks, 0, chunks, at, p.chunks.length);
        System.arraycopy(p.lastEnds, 0, lastEnds, at, p.chunks.length);
        System.arraycopy(p.lastFroms, 0, lastFroms, at, p.chunks.length);
        at += p.chunks.length;
      }
      return RouteSnapshot.loaded(chunks, lastEnds, lastFroms, size, cursor);
    });
  }

  private void wakeHelper() {
    if (!helping.compareAndSet(false, true)) return;
    try {
      helper.execute(this::help);
    } catch (RejectedExecutionException e) {
      helping.set(false); // the scan thread indexes everything in finish()
    }
  }

  private void help() {
    do {
      while (indexOne()) {
        // until the queue is empty
      }
    } while (awaitPage());
    helping.set(false);
    if (!queue.isEmpty()) wakeHelper(); // queued after the last poll, before helping was cleared
  }

  /**
   * Spins until a page is queued (true), or SPIN_NANOS pass or the scan ends (false); false at once
   * on the scan thread (an executor that runs the helper in submit()), which would wait for itself.
   */
  private boolean awaitPage() {
    if (Thread.currentThread() == scanThread) return false;
    long deadline = System.nanoTime() + SPIN_NANOS;
    while (queue.isEmpty()) {
      if (scanEnded || System.nanoTime() - deadline >= 0) return false;
      Thread.onSpinWait();
    }
    return true;
  }

  /** Indexes one queued page on this thread; false if none was queued. */
  private boolean indexOne() {
    Page page = queue.poll();
    if (page == null) return false;
    queued.decrementAndGet();
    index(page);
    return true;
  }

  private void index(Page page) {
    try {
      if (failure == null) page.index(page.rows, new RangeRow(keyPrefixLength));
    } catch (RuntimeException e) {
      failure = e;
    } finally {
      page.rows = null;
      arrive();
    }
  }

  private void arrive() {
    if (outstanding.decrementAndGet() == 0) done.complete(null);
  }
}
