package io.fdbmeta.layer;

import static org.assertj.core.api.Assertions.assertThat;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.ReadTransaction;
import com.apple.foundationdb.Transaction;
import com.apple.foundationdb.TransactionContext;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HeartbeatBatcherTest {
  private final Fixture f = new Fixture();

  @AfterEach
  void close() {
    f.close();
  }

  @Test
  void coalescesManyNodesIntoFewTransactionsAndKeepsIndexesConsistent() {
    int nodes = 300;
    registerFleet(f.db, nodes);
    f.clock.advanceMillis(2000);
    try (HeartbeatBatcher batcher = new HeartbeatBatcher(f.registry, f.db, 100, 2)) {
      List<CompletableFuture<NodeRecord>> results = new ArrayList<>();
      for (int i = 0; i < nodes; i++) results.add(batcher.submit(heartbeat(i, 1)));
      for (CompletableFuture<NodeRecord> r : results) {
        assertThat(r.join().livenessExpiresAt())
            .isEqualTo(f.clock.millis() + f.config.livenessMillis());
      }
    }
    f.assertLivenessMatchesRecords();
  }

  /**
   * Regression: on a store that commits synchronously, every heartbeat ran as its own transaction
   * inside submit().
   */
  @Test
  void batchesRunOnTheExecutorAndTakeEverythingQueuedWhenTheyStart() {
    int nodes = 300;
    registerFleet(f.db, nodes);
    ArrayDeque<Runnable> executor = new ArrayDeque<>();
    AtomicInteger transactions = new AtomicInteger();
    TransactionContext counting =
        new TransactionContext() {
          @Override
          public <T> T run(Function<? super Transaction, T> body) {
            throw new UnsupportedOperationException();
          }

          @Override
          public <T> CompletableFuture<T> runAsync(
              Function<? super Transaction, ? extends CompletableFuture<T>> body) {
            transactions.incrementAndGet();
            return f.db.runAsync(body);
          }

          @Override
          public <T> T read(Function<? super ReadTransaction, T> body) {
            throw new UnsupportedOperationException();
          }

          @Override
          public <T> CompletableFuture<T> readAsync(
              Function<? super ReadTransaction, ? extends CompletableFuture<T>> body) {
            throw new UnsupportedOperationException();
          }

          @Override
          public Executor getExecutor() {
            return executor::add;
          }
        };
    try (HeartbeatBatcher batcher = new HeartbeatBatcher(f.registry, counting, 100, 2)) {
      List<CompletableFuture<NodeRecord>> results = new ArrayList<>();
      for (int i = 0; i < nodes; i++) results.add(batcher.submit(heartbeat(i, 1)));
      assertThat(transactions).as("nothing runs on the submitting thread").hasValue(0);
      assertThat(executor).hasSize(2); // one task per slot
      for (Runnable task; (task = executor.poll()) != null; ) task.run();
      assertThat(results).allMatch(r -> r.isDone() && !r.isCompletedExceptionally());
      assertThat(transactions).hasValue(3);
    }
    f.assertLivenessMatchesRecords();
  }

  @Test
  void oneRejectedHeartbeatFailsOnlyItself() {
    registerFleet(f.db, 3);
    f.registry.register(
        f.db, Fixture.reg(nodeId(1)), "restarted"); // node 1 is now at incarnation 2
    try (HeartbeatBatcher batcher = new HeartbeatBatcher(f.registry, f.db, 100, 1)) {
      CompletableFuture<NodeRecord> ok0 = batcher.submit(heartbeat(0, 1));
      CompletableFuture<NodeRecord> stale = batcher.submit(heartbeat(1, 1));
      CompletableFuture<NodeRecord> unknown =
          batcher.submit(
              new NodeRegistry.Heartbeat("ghost", 1, NodeRecord.Load.NONE, Fixture.CAPACITY));
      CompletableFuture<NodeRecord> ok2 = batcher.submit(heartbeat(2, 1));

      assertThat(ok0.join().nodeId()).isEqualTo(nodeId(0));
      assertThat(ok2.join().nodeId()).isEqualTo(nodeId(2));
      assertThat(stale)
          .failsWithin(5, TimeUnit.SECONDS)
          .withThrowableOfType(java.util.concurrent.ExecutionException.class)
          .havingCause()
          .isInstanceOfSatisfying(
              MetaException.class,
              e -> assertThat(e.code()).isEqualTo(MetaException.Code.STALE_GENERATION));
      assertThat(unknown)
          .failsWithin(5, TimeUnit.SECONDS)
          .withThrowableOfType(java.util.concurrent.ExecutionException.class)
          .havingCause()
          .isInstanceOfSatisfying(
              MetaException.class,
              e -> assertThat(e.code()).isEqualTo(MetaException.Code.UNKNOWN_NODE));
    }
    f.assertLivenessMatchesRecords();
  }

  @Test
  void twoHeartbeatsOfOneNodeBothLand() {
    registerFleet(f.db, 1);
    try (HeartbeatBatcher batcher = new HeartbeatBatcher(f.registry, f.db, 100, 1)) {
      CompletableFuture<NodeRecord> first =
          batcher.submit(
              new NodeRegistry.Heartbeat(
                  nodeId(0), 1, new NodeRecord.Load(1, 0, 0, 0), Fixture.CAPACITY));
      CompletableFuture<NodeRecord> second =
          batcher.submit(
              new NodeRegistry.Heartbeat(
                  nodeId(0), 1, new NodeRecord.Load(2, 0, 0, 0), Fixture.CAPACITY));
      first.join();
      assertThat(second.join().load().rangeCount()).isEqualTo(2);
    }
    assertThat(f.registry.get(f.db, nodeId(0)).orElseThrow().load().rangeCount()).isEqualTo(2);
    f.assertLivenessMatchesRecords();
  }

  @Test
  void closedBatcherRefusesNewHeartbeats() {
    HeartbeatBatcher batcher = new HeartbeatBatcher(f.registry, f.db);
    batcher.close();
    assertThat(batcher.submit(heartbeat(0, 1))).isCompletedExceptionally();
  }

  /**
   * Open-loop load: a fleet of 10,000 nodes, heartbeats sent at a fixed rate whatever the latency,
   * latency measured from the intended send time (no coordinated omission). Prints the achieved
   * rate and latency percentiles; asserts only a loose floor so slow CI stays green. Reproduce: mvn
   * -B -q -pl layer -am verify -Dtest=HeartbeatBatcherTest#throughput
   * -Dsurefire.failIfNoSpecifiedTests=false -Dheartbeat.rate=20000 -Dheartbeat.seconds=5
   */
  @Test
  void throughput() throws Exception {
    int fleet = 10_000;
    int rate = Integer.getInteger("heartbeat.rate", 20_000);
    double seconds = Double.parseDouble(System.getProperty("heartbeat.seconds", "2"));
    registerFleet(f.db, fleet);
    int maxBatch = Integer.getInteger("heartbeat.maxBatch", HeartbeatBatcher.DEFAULT_MAX_BATCH);
    int inFlight = Integer.getInteger("heartbeat.inFlight", HeartbeatBatcher.DEFAULT_MAX_IN_FLIGHT);
    try (HeartbeatBatcher batcher = new HeartbeatBatcher(f.registry, f.db, maxBatch, inFlight)) {
      runLoad(batcher, fleet, rate, 0.5); // warm-up: JIT, pools
      Result r = runLoad(batcher, fleet, rate, seconds);
      System.out.printf(
          "heartbeats: fleet=%d target=%d/s achieved=%.0f/s over %.1fs, latency p50=%.2fms p90=%.2fms p99=%.2fms max=%.2fms, failures=%d (maxBatch=%d inFlight=%d)%n",
          fleet,
          rate,
          r.achieved,
          seconds,
          r.p50Ms,
          r.p90Ms,
          r.p99Ms,
          r.maxMs,
          r.failures,
          maxBatch,
          inFlight);
      assertThat(r.failures).isZero();
      assertThat(r.achieved).isGreaterThan(1000);
    }
  }

  private record Result(
      double achieved, double p50Ms, double p90Ms, double p99Ms, double maxMs, long failures) {}

  private static Result runLoad(HeartbeatBatcher batcher, int fleet, int rate, double seconds)
      throws Exception {
    int total = (int) (rate * seconds);
    long[] latencies = new long[total];
    AtomicLong failures = new AtomicLong();
    ConcurrentLinkedQueue<CompletableFuture<NodeRecord>> pending = new ConcurrentLinkedQueue<>();
    long start = System.nanoTime();
    long intervalNanos = 1_000_000_000L / rate;
    NodeRegistry.Heartbeat[] beats = new NodeRegistry.Heartbeat[fleet];
    for (int n = 0; n < fleet; n++)
      beats[n] = new NodeRegistry.Heartbeat(nodeId(n), 1, NodeRecord.Load.NONE, Fixture.CAPACITY);
    int i = 0;
    while (i < total) {
      // send everything due, then sleep ~1 ms: one park per tick, not per heartbeat, so the sender
      // keeps up
      long now = System.nanoTime();
      for (; i < total && start + i * intervalNanos <= now; i++) {
        long intended = start + i * intervalNanos;
        int slot = i;
        CompletableFuture<NodeRecord> fut = batcher.submit(beats[i % fleet]);
        fut.whenComplete(
            (rec, err) -> {
              latencies[slot] = System.nanoTime() - intended;
              if (err != null) failures.incrementAndGet();
            });
        pending.add(fut);
      }
      LockSupport.parkNanos(1_000_000);
    }
    for (CompletableFuture<NodeRecord> p : pending) {
      try {
        p.join();
      } catch (CompletionException ignored) {
        // counted above
      }
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    Arrays.sort(latencies);
    return new Result(
        total / elapsed,
        latencies[total / 2] / 1e6,
        latencies[(int) (total * 0.9)] / 1e6,
        latencies[(int) (total * 0.99)] / 1e6,
        latencies[total - 1] / 1e6,
        failures.get());
  }

  private static String nodeId(int i) {
    return String.format("node-%05d", i);
  }

  private static NodeRegistry.Heartbeat heartbeat(int i, long incarnation) {
    return new NodeRegistry.Heartbeat(
        nodeId(i), incarnation, new NodeRecord.Load(i, i, i, i), Fixture.CAPACITY);
  }

  /**
   * Registers {@code n} nodes, 500 per transaction: a Transaction is itself a TransactionContext.
   */
  private void registerFleet(Database db, int n) {
    for (int from = 0; from < n; from += 500) {
      int start = from;
      int end = Math.min(n, from + 500);
      db.run(
          tr -> {
            List<CompletableFuture<NodeRecord>> all = new ArrayList<>();
            for (int i = start; i < end; i++)
              all.add(
                  f.registry.registerAsync(
                      tr, Fixture.reg(nodeId(i)), UUID.randomUUID().toString()));
            all.forEach(CompletableFuture::join);
            return null;
          });
    }
  }
}
