package io.fdbmeta.embedded.conformance;

import static io.fdbmeta.embedded.conformance.Fdb.TOO_MANY_WATCHES;
import static io.fdbmeta.embedded.conformance.Fdb.TRANSACTION_CANCELLED;
import static io.fdbmeta.embedded.conformance.Fdb.TRANSACTION_TOO_OLD;
import static io.fdbmeta.embedded.conformance.Fdb.WATCHES_DISABLED;
import static io.fdbmeta.embedded.conformance.Fdb.assertFdbError;
import static io.fdbmeta.embedded.conformance.Fdb.await;
import static io.fdbmeta.embedded.conformance.Fdb.b;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.Transaction;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Watches, as api-common.rst.inc describes them (transaction-watch-blurb, -committed-blurb,
 * -error-blurb, -limit-blurb).
 */
class WatchConformanceTest {

  /** How long a watch that must not fire is given to (wrongly) fire. */
  private static final long QUIET_MILLIS = 300;

  private static void put(Database db, String key, String value) {
    db.run(
        tr -> {
          tr.set(b(key), b(value));
          return null;
        });
  }

  private static CompletableFuture<Void> watch(Database db, String key) {
    return db.run(tr -> tr.watch(b(key)));
  }

  private static void assertStaysQuiet(CompletableFuture<Void> w, String why) {
    try {
      w.get(QUIET_MILLIS, TimeUnit.MILLISECONDS);
      throw new AssertionError("watch fired but should not have: " + why);
    } catch (TimeoutException expected) {
      // still waiting, as it should
    } catch (Exception e) {
      throw new AssertionError("watch failed but should be waiting: " + why, e);
    }
  }

  @ConformanceTest
  void watchFiresAfterACommittedChange(Backend backend) {
    Database db = backend.db();
    put(db, "w", "1");
    CompletableFuture<Void> w = watch(db, "w");
    assertStaysQuiet(w, "nothing changed yet");
    put(db, "w", "2");
    await(w);
  }

  @ConformanceTest
  void watchFiresWhenTheKeyIsClearedOrCreated(Backend backend) {
    Database db = backend.db();
    put(db, "c", "1");
    CompletableFuture<Void> cleared = watch(db, "c");
    CompletableFuture<Void> created = watch(db, "absent");
    db.run(
        tr -> {
          tr.clear(b("c"));
          tr.set(b("absent"), b("now present"));
          return null;
        });
    await(cleared);
    await(created);
  }

  @ConformanceTest
  void watchDoesNotFireOnAnUnchangedValue(Backend backend) {
    Database db = backend.db();
    put(db, "same", "v");
    CompletableFuture<Void> w = watch(db, "same");
    try {
      put(db, "same", "v");
      put(db, "other", "x");
      assertStaysQuiet(w, "the value was rewritten unchanged");
      put(db, "same", "changed");
      await(w);
    } finally {
      w.cancel(true);
    }
  }

  @ConformanceTest
  void watchInAnUncommittedTransactionIgnoresOthersUntilCommit(Backend backend) {
    Database db = backend.db();
    put(db, "u", "1");
    try (Transaction tr = db.createTransaction()) {
      tr.get(b("u")).join(); // fixes the read version, and so the watch's initial value
      CompletableFuture<Void> w = tr.watch(b("u"));
      put(db, "u", "2");
      assertStaysQuiet(w, "its transaction has not committed");
      tr.commit().join();
      await(w); // the committed value differs from the one the watch started from
    }
  }

  @ConformanceTest
  void watchReportsTheOwnTransactionsChangeAtOnce(Backend backend) {
    Database db = backend.db();
    put(db, "own", "1");
    try (Transaction tr = db.createTransaction()) {
      CompletableFuture<Void> w = tr.watch(b("own"));
      tr.set(b("own"), b("2"));
      await(w, 3); // before, and without, any commit
    }
  }

  @ConformanceTest
  void watchOfATransactionClosedWithoutCommitIsCancelled(Backend backend) {
    Database db = backend.db();
    CompletableFuture<Void> w;
    try (Transaction tr = db.createTransaction()) {
      w = tr.watch(b("never"));
    }
    assertFdbError(TRANSACTION_CANCELLED, () -> await(w));

    Transaction tr = db.createTransaction();
    try {
      CompletableFuture<Void> w2 = tr.watch(b("never"));
      tr.cancel();
      assertFdbError(TRANSACTION_CANCELLED, () -> await(w2));
    } finally {
      tr.close();
    }
  }

  @ConformanceTest
  void watchesAreDisabledWithoutReadYourWrites(Backend backend) {
    Database db = backend.db();
    try (Transaction tr = db.createTransaction()) {
      tr.options().setReadYourWritesDisable();
      assertFdbError(WATCHES_DISABLED, () -> await(tr.watch(b("k"))));
    }
  }

  @ConformanceTest
  void tooManyWatches(Backend backend) {
    Database db = backend.db(Backend.Options.defaults().withMaxWatches(2));
    List<CompletableFuture<Void>> outstanding = new ArrayList<>();
    try {
      outstanding.add(watch(db, "m1"));
      outstanding.add(watch(db, "m2"));
      CompletableFuture<Void> third;
      try (Transaction tr = db.createTransaction()) {
        third = tr.watch(b("m3"));
        outstanding.add(third);
        try {
          tr.commit().join();
        } catch (RuntimeException ignored) {
          // FoundationDB fails the watch, not the commit; either way the watch must fail.
        }
      }
      assertFdbError(TOO_MANY_WATCHES, () -> await(third));
      // The two that fit still work.
      put(db, "m1", "changed");
      await(outstanding.get(0));
    } finally {
      outstanding.forEach(f -> f.cancel(true));
    }
  }

  @ConformanceTest
  void setMaxWatchesLimitsOutstandingWatches(Backend backend) {
    Database db = backend.db();
    db.options().setMaxWatches(1);
    CompletableFuture<Void> first = null;
    try {
      first = watch(db, "limited1");
      CompletableFuture<Void> second = watch(db, "limited2");
      assertFdbError(TOO_MANY_WATCHES, () -> await(second));
    } finally {
      if (first != null) first.cancel(true);
      db.options().setMaxWatches(Backend.Options.DEFAULT_MAX_WATCHES);
    }
  }

  @ConformanceTest
  void failedWatchReportsThroughItsFutureAndFreesItsSlot(Backend backend) {
    Database db = backend.db(Backend.Options.defaults().withMaxWatches(1));
    put(db, "slot", "1");
    try (Transaction tr = db.createTransaction()) {
      tr.getReadVersion().join();
      backend.elapse(Duration.ofMillis(6_000));
      CompletableFuture<Void> tooOld = tr.watch(b("slot")); // must not throw
      assertFdbError(TRANSACTION_TOO_OLD, () -> await(tooOld));
    }
    try (Transaction tr = db.createTransaction()) {
      tr.cancel();
      CompletableFuture<Void> cancelled = tr.watch(b("slot")); // must not throw
      assertFdbError(TRANSACTION_CANCELLED, () -> await(cancelled));
    }
    CompletableFuture<Void> fresh = watch(db, "slot");
    try {
      assertStaysQuiet(fresh, "the only slot is free again and nothing changed");
      put(db, "slot", "2");
      await(fresh);
    } finally {
      fresh.cancel(true);
    }
  }
}
