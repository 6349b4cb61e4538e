package io.fdbmeta.layer;

import com.apple.foundationdb.FDBException;
import com.apple.foundationdb.TransactionContext;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/*
 * Group commit for heartbeats. A fleet of 10,000 nodes heartbeating every few seconds means
 * thousands of tiny transactions per second; most of their cost is per transaction (read
 * version, commit, conflict check), not per key. So heartbeats queue here and run together: at
 * most maxInFlight transactions at a time, each taking up to maxBatch queued heartbeats. There is
 * no timer: a heartbeat that finds a free slot starts a batch at once, and under load the batches
 * grow by themselves while earlier ones commit, which keeps latency near one commit.
 *
 * Batches run on an executor, never on the thread that submits: a batch takes what is queued when
 * it starts, so heartbeats submitted while one commits join the next. Run inline, a store that
 * commits synchronously (fdb-embedded) would finish each batch inside submit() and never see a
 * second heartbeat queued: one transaction per heartbeat, all on the submitter's thread, which at
 * 20,000/s is most of a core and the tail latency of every heartbeat behind it.
 *
 * Heartbeats of different nodes read and write disjoint keys, so they cannot conflict with each
 * other inside a batch; two heartbeats of the same node are never put in one batch (the later waits
 * for the next). One member's rejection (stale incarnation, unknown node) fails only its own
 * future and writes nothing for it; the others still commit. A FoundationDB error fails the
 * whole batch after the retry loop gives up.
 */
/**
 * Coalesces concurrent heartbeats from many nodes into few transactions. Thread-safe.
 *
 * <p>{@link #submit}'s future completes after the batch holding the heartbeat commits, with the
 * node's new record, or with the {@link MetaException} {@link NodeRegistry#heartbeatAsync} would
 * have raised for it alone (or STORE_ERROR if the batch's transaction failed).
 */
public final class HeartbeatBatcher implements AutoCloseable {
  public static final int DEFAULT_MAX_BATCH = 1000;
  public static final int DEFAULT_MAX_IN_FLIGHT = 2;

  private record Pending(NodeRegistry.Heartbeat heartbeat, CompletableFuture<NodeRecord> result) {}

  /** One member's result inside a batch: the record, or the error that rejected it. */
  private record Outcome(@Nullable NodeRecord record, @Nullable Throwable error) {}

  private final NodeRegistry registry;
  private final TransactionContext db;
  private final int maxBatch;
  private final int maxInFlight;
  private final Executor executor;
  private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile boolean closed;

  /**
   * @param maxBatch heartbeats per transaction at most (keeps each transaction small and short)
   * @param maxInFlight batch transactions running at once
   * @param executor runs the batches (and completes their futures)
   * @throws IllegalArgumentException if a limit is out of range
   */
  public HeartbeatBatcher(
      NodeRegistry registry,
      TransactionContext db,
      int maxBatch,
      int maxInFlight,
      Executor executor) {
    if (maxBatch < 1 || maxBatch > 10_000)
      throw new IllegalArgumentException("maxBatch must be in [1, 10000], got " + maxBatch);
    if (maxInFlight < 1 || maxInFlight > 64)
      throw new IllegalArgumentException("maxInFlight must be in [1, 64], got " + maxInFlight);
    this.registry = Objects.requireNonNull(registry, "registry");
    this.db = Objects.requireNonNull(db, "db");
    this.maxBatch = maxBatch;
    this.maxInFlight = maxInFlight;
    this.executor = Objects.requireNonNull(executor, "executor");
  }

  /** Batches run on the database's executor. */
  public HeartbeatBatcher(
      NodeRegistry registry, TransactionContext db, int maxBatch, int maxInFlight) {
    this(registry, db, maxBatch, maxInFlight, db.getExecutor());
  }

  public HeartbeatBatcher(NodeRegistry registry, TransactionContext db) {
    this(registry, db, DEFAULT_MAX_BATCH, DEFAULT_MAX_IN_FLIGHT);
  }

  /**
   * Queues a heartbeat for the next batch.
   *
   * @return completes with the node's record after commit, or exceptionally as {@link
   *     NodeRegistry#heartbeatAsync} would; fails with IllegalStateException once closed
   */
  public CompletableFuture<NodeRecord> submit(NodeRegistry.Heartbeat heartbeat) {
    CompletableFuture<NodeRecord> result = new CompletableFuture<>();
    if (closed) {
      result.completeExceptionally(new IllegalStateException("heartbeat batcher is closed"));
      return result;
    }
    queue.add(new Pending(heartbeat, result));
    pump();
    return result;
  }

  /** Heartbeats waiting for a batch (approximate). */
  public int queued() {
    return queue.size();
  }

  /** Stops accepting heartbeats; those already queued still run. */
  @Override
  public void close() {
    closed = true;
  }

  /**
   * Starts batches on the executor while there is work and a free slot. Called after every submit
   * and after every batch ends, so a heartbeat queued while all slots were busy is picked up by the
   * batch that frees one.
   */
  private void pump() {
    while (!queue.isEmpty()) {
      int n = inFlight.get();
      if (n >= maxInFlight) return;
      if (!inFlight.compareAndSet(n, n + 1)) continue;
      try {
        executor.execute(this::runBatch);
      } catch (RejectedExecutionException e) {
        inFlight.decrementAndGet();
        failQueued(e);
        return;
      }
    }
  }

  /** One slot's batch: whatever is queued by the time it runs. */
  private void runBatch() {
    List<Pending> batch = takeBatch();
    if (batch.isEmpty()) { // an earlier batch took it all
      inFlight.decrementAndGet();
      pump(); // anything queued since was left to this slot
      return;
    }
    run(batch);
  }

  /** The executor refused work (shut down): nothing queued can run. */
  private void failQueued(RejectedExecutionException e) {
    Pending p;
    while ((p = queue.poll()) != null)
      p.result()
          .completeExceptionally(
              new IllegalStateException("heartbeat batcher's executor refused a batch", e));
  }

  private List<Pending> takeBatch() {
    List<Pending> batch =
        new ArrayList<>(); // batches are often small: under light load each one starts at once
    List<Pending> later = new ArrayList<>();
    Set<String> nodes = new HashSet<>();
    Pending p;
    while (batch.size() < maxBatch && (p = queue.poll()) != null) {
      (nodes.add(p.heartbeat().nodeId()) ? batch : later).add(p);
    }
    queue.addAll(later); // same node twice: the later heartbeat goes in a later batch
    return batch;
  }

  private void run(List<Pending> batch) {
    CompletableFuture<List<Outcome>> committed;
    try {
      committed =
          db.runAsync(
              tr -> {
                List<CompletableFuture<Outcome>> outcomes = new ArrayList<>(batch.size());
                for (Pending p : batch)
                  outcomes.add(
                      registry.heartbeatIn(tr, p.heartbeat()).handle(HeartbeatBatcher::outcome));
                return CompletableFuture.allOf(outcomes.toArray(new CompletableFuture<?>[0]))
                    .thenApply(
                        v -> {
                          List<Outcome> out = new ArrayList<>(outcomes.size());
                          for (CompletableFuture<Outcome> o : outcomes) out.add(o.join());
                          return out;
                        });
              });
    } catch (RuntimeException e) {
      committed = CompletableFuture.failedFuture(e);
    }
    committed.whenComplete(
        (outcomes, err) -> {
          inFlight.decrementAndGet();
          pump();
          for (int i = 0; i < batch.size(); i++) {
            CompletableFuture<NodeRecord> f = batch.get(i).result();
            if (err != null) {
              f.completeExceptionally(FdbErrors.translate(err));
            } else if (outcomes.get(i).error() != null) {
              f.completeExceptionally(outcomes.get(i).error());
            } else {
              f.complete(outcomes.get(i).record());
            }
          }
        });
  }

  /**
   * A member's rejection becomes its outcome; a FoundationDB error stays an error so the whole
   * batch retries (or fails) as one transaction.
   */
  private static Outcome outcome(@Nullable NodeRecord record, @Nullable Throwable error) {
    if (error == null) return new Outcome(record, null);
    Throwable cause = FdbErrors.cause(error);
    if (cause instanceof FDBException) throw new CompletionException(cause);
    return new Outcome(null, cause);
  }
}
