package io.fdbmeta.embedded.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.KeyValue;
import com.apple.foundationdb.ReadTransaction;
import com.apple.foundationdb.Transaction;
import com.apple.foundationdb.subspace.Subspace;
import com.apple.foundationdb.tuple.Tuple;
import io.fdbmeta.embedded.FaultPlan;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Money moves between accounts from concurrent threads through {@code runAsync}; it is never
 * created or destroyed, a concurrent auditor always sees the same total, and every transfer is
 * applied exactly once even when commits fail with 1021 after being applied (the body records the
 * transfer id and checks it first, as FoundationDB's developer guide advises for idempotence).
 */
class StressConformanceTest {

  private static final int ACCOUNTS = 8;
  private static final long INITIAL = 1_000;
  private static final int THREADS = 4;
  private static final int TRANSFERS_PER_THREAD = 60;

  private static final Subspace BALANCE = new Subspace(Tuple.from("balance"));
  private static final Subspace DONE = new Subspace(Tuple.from("transfer"));

  @ConformanceTest
  void moneyIsConservedUnderConcurrency(Backend backend) throws Exception {
    runBank(backend.db(), 17L);
  }

  @ConformanceTest
  void moneyIsConservedUnderInjectedFaults(Backend backend) throws Exception {
    long seed = 20240611L;
    FaultPlan faults =
        FaultPlan.seeded(seed)
            .notCommitted(0.10)
            .commitUnknownResultApplied(0.10)
            .commitUnknownResultDropped(0.05)
            .transactionTooOld(0.02)
            .build();
    backend.assumeEmbedded("fault injection");
    runBank(backend.db(Backend.Options.defaults().withFaults(faults)), seed);
  }

  private static void runBank(Database db, long seed) throws Exception {
    db.run(
        tr -> {
          for (int a = 0; a < ACCOUNTS; a++)
            tr.set(BALANCE.pack(Tuple.from(a)), Tuple.from(INITIAL).pack());
          return null;
        });
    ExecutorService pool = Executors.newFixedThreadPool(THREADS + 1);
    ExecutorService callbacks = Executors.newFixedThreadPool(2); // runAsync's executor
    AtomicInteger completed = new AtomicInteger();
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger audits = new AtomicInteger();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    try {
      Future<?> auditor =
          pool.submit(
              () -> {
                // at least one audit even if a loaded machine schedules this thread only after the
                // workers
                do {
                  long total = db.read((ReadTransaction tr) -> sum(tr));
                  assertThat(total)
                      .as("total seen by a concurrent reader")
                      .isEqualTo(ACCOUNTS * INITIAL);
                  audits.incrementAndGet();
                } while (running.get());
                return null;
              });
      List<Future<?>> workers = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        int thread = t;
        workers.add(
            pool.submit(
                () -> {
                  Random random = new Random(seed * 31 + thread);
                  for (int i = 0; i < TRANSFERS_PER_THREAD && System.nanoTime() < deadline; i++) {
                    String id = thread + "-" + i; // chosen outside the retry loop
                    int from = random.nextInt(ACCOUNTS);
                    int to = (from + 1 + random.nextInt(ACCOUNTS - 1)) % ACCOUNTS;
                    long amount = 1 + random.nextInt(200);
                    db.runAsync(tr -> transfer(tr, id, from, to, amount), callbacks)
                        .get(30, TimeUnit.SECONDS);
                    completed.incrementAndGet();
                  }
                  return null;
                }));
      }
      for (Future<?> w : workers) w.get(60, TimeUnit.SECONDS);
      running.set(false);
      auditor.get(30, TimeUnit.SECONDS);
    } finally {
      running.set(false);
      pool.shutdownNow();
      callbacks.shutdownNow();
    }

    // Replay the transfer records: each applied once, balances follow from them exactly.
    long[] expected = new long[ACCOUNTS];
    java.util.Arrays.fill(expected, INITIAL);
    List<KeyValue> records = Fdb.range(db, DONE.range());
    for (KeyValue kv : records) {
      Tuple r = Tuple.fromBytes(kv.getValue());
      if (r.getBoolean(3)) {
        expected[(int) r.getLong(0)] -= r.getLong(2);
        expected[(int) r.getLong(1)] += r.getLong(2);
      }
    }
    assertThat(completed.get()).as("transfers done within the time budget").isPositive();
    assertThat(records).as("one record per completed transfer").hasSize(completed.get());
    long[] actual =
        db.read(
            (ReadTransaction tr) -> {
              long[] out = new long[ACCOUNTS];
              for (int a = 0; a < ACCOUNTS; a++) {
                out[a] = Tuple.fromBytes(tr.get(BALANCE.pack(Tuple.from(a))).join()).getLong(0);
              }
              return out;
            });
    assertThat(actual).isEqualTo(expected);
    assertThat(java.util.Arrays.stream(actual).sum()).isEqualTo(ACCOUNTS * INITIAL);
    assertThat(audits.get()).isPositive();
  }

  /** Moves {@code amount} if covered; records the outcome under the transfer id, once. */
  private static CompletableFuture<Void> transfer(
      Transaction tr, String id, int from, int to, long amount) {
    byte[] doneKey = DONE.pack(Tuple.from(id));
    byte[] fromKey = BALANCE.pack(Tuple.from(from));
    byte[] toKey = BALANCE.pack(Tuple.from(to));
    return tr.get(doneKey)
        .thenCompose(
            done -> {
              if (done != null)
                return CompletableFuture.completedFuture(null); // applied by an earlier try
              CompletableFuture<byte[]> f = tr.get(fromKey);
              CompletableFuture<byte[]> t = tr.get(toKey);
              return f.thenCombine(
                  t,
                  (fv, tv) -> {
                    long fromBalance = Tuple.fromBytes(fv).getLong(0);
                    long toBalance = Tuple.fromBytes(tv).getLong(0);
                    boolean covered = fromBalance >= amount;
                    if (covered) {
                      tr.set(fromKey, Tuple.from(fromBalance - amount).pack());
                      tr.set(toKey, Tuple.from(toBalance + amount).pack());
                    }
                    tr.set(doneKey, Tuple.from(from, to, amount, covered).pack());
                    return null;
                  });
            });
  }

  private static long sum(ReadTransaction tr) {
    long total = 0;
    for (KeyValue kv : tr.getRange(BALANCE.range()).asList().join()) {
      total += Tuple.fromBytes(kv.getValue()).getLong(0);
    }
    return total;
  }
}
