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
 * one page; and if the queue grows past MAX_QUEUED pages, the scan thread indexes one itself before
 * reading on, which bounds the rows held in memory.
 *
 * Completion: `outstanding` counts queued or running pages, plus one until the scan ends; whoever
 * takes it to zero completes `done`. Page results are written before that page's decrement, so
 * they are visible to whoever completes `done`, and through it to the caller.
 */
/** Indexes the pages of one load, on the scan's thread and a helper; see the comment above. */
final class PageIndexer {
  /** Pages queued at most before the scan thread indexes one itself. */
  static final int MAX_QUEUED = 4;

  /** One page: its rows until indexed, then its chunks. */
  private static final class Page {
    @Nullable List<KeyValue> rows;
    RouteChunk @Nullable [] chunks;

    Page(List<KeyValue> rows) {
      this.rows = rows;
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
    Page page = new Page(rows);
    pages.add(page);
    outstanding.incrementAndGet();
    queue.add(page);
    if (queued.incrementAndGet() > MAX_QUEUED) indexOne();
    else wakeHelper();
    return CompletableFuture.completedFuture(null);
  }

  /**
   * The snapshot of every page, at {@code cursor}. Scan thread only, after the last page: indexes
   * what is still queued, then completes once the helper's page (if any) is done too.
   *
   * @return fails with MetaException CORRUPT_RECORD if a row's key holds no end key
   */
  CompletableFuture<RouteSnapshot> finish(Versionstamp cursor) {
    while (indexOne()) {
      // the scan thread helps with the rest
    }
    arrive();
    return done.thenApply(v -> {
      RuntimeException f = failure;
      if (f != null) throw f;
      List<RouteChunk> chunks = new ArrayList<>();
      int size = 0;
      for (Page p : pages) {
        for (RouteChunk c : p.chunks) {
          chunks.add(c);
          size += c.size();
        }
      }
      return RouteSnapshot.loaded(chunks.toArray(new RouteChunk[0]), size, cursor);
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
    while (indexOne()) {
      // until the queue is empty
    }
    helping.set(false);
    if (!queue.isEmpty()) wakeHelper(); // queued after the last poll, before helping was cleared
  }

  /** Indexes one queued page on this thread; false if none was queued. */
  private boolean indexOne() {
    Page page = queue.poll();
    if (page == null) return false;
    queued.decrementAndGet();
    try {
      if (failure == null) page.chunks = RouteSnapshot.chunksOf(page.rows, new RangeRow(keyPrefixLength));
    } catch (RuntimeException e) {
      failure = e;
    } finally {
      page.rows = null;
      arrive();
    }
    return true;
  }

  private void arrive() {
    if (outstanding.decrementAndGet() == 0) done.complete(null);
  }
}
