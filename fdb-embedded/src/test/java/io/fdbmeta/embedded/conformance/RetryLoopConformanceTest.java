package io.fdbmeta.embedded.conformance;

import static io.fdbmeta.embedded.conformance.Fdb.COMMIT_UNKNOWN_RESULT;
import static io.fdbmeta.embedded.conformance.Fdb.KEY_OUTSIDE_LEGAL_RANGE;
import static io.fdbmeta.embedded.conformance.Fdb.NOT_COMMITTED;
import static io.fdbmeta.embedded.conformance.Fdb.TRANSACTION_TIMED_OUT;
import static io.fdbmeta.embedded.conformance.Fdb.TRANSACTION_TOO_OLD;
import static io.fdbmeta.embedded.conformance.Fdb.VALUE_TOO_LARGE;
import static io.fdbmeta.embedded.conformance.Fdb.assertFdbError;
import static io.fdbmeta.embedded.conformance.Fdb.await;
import static io.fdbmeta.embedded.conformance.Fdb.b;
import static io.fdbmeta.embedded.conformance.Fdb.filled;
import static io.fdbmeta.embedded.conformance.Fdb.s;
import static org.assertj.core.api.Assertions.assertThat;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.FDBException;
import com.apple.foundationdb.ReadTransaction;
import com.apple.foundationdb.Transaction;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code run}/{@code runAsync} retry what {@code onError} retries (NativeAPI.actor.cpp
 * Transaction::onError: 1020, 1021, 1007, ... retry with backoff; anything else is handed back),
 * and RETRY_LIMIT bounds the retries (ReadYourWrites.cpp onError: {@code retries >= maxRetries}
 * rethrows).
 */
class RetryLoopConformanceTest {

  @ConformanceTest
  void runRetriesAConflict(Backend backend) {
    Database db = backend.db();
    AtomicInteger attempts = new AtomicInteger();
    String result =
        db.run(
            tr -> {
              int attempt = attempts.incrementAndGet();
              byte[] seen = tr.get(b("k")).join();
              if (attempt == 1) {
                db.run(
                    other -> {
                      other.set(b("k"), b("interloper"));
                      return null;
                    });
              }
              tr.set(b("k"), b("mine after " + s(seen)));
              return "attempt " + attempt;
            });
    assertThat(result).isEqualTo("attempt 2");
    assertThat(s(Fdb.get(db, b("k")))).isEqualTo("mine after interloper");
  }

  @ConformanceTest
  void runRetriesRetryableCodes(Backend backend) {
    Database db = backend.db();
    for (int code : new int[] {NOT_COMMITTED, COMMIT_UNKNOWN_RESULT, TRANSACTION_TOO_OLD}) {
      AtomicInteger attempts = new AtomicInteger();
      db.run(
          tr -> {
            tr.set(b("written-" + code), b("attempt " + attempts.get()));
            if (attempts.incrementAndGet() < 3) throw new FDBException("injected", code);
            return null;
          });
      assertThat(attempts).as("attempts for %d", code).hasValue(3);
      // Writes of failed attempts are discarded with the attempt.
      assertThat(s(Fdb.get(db, b("written-" + code)))).isEqualTo("attempt 2");
    }
  }

  @ConformanceTest
  void runGivesUpOnNonRetryableErrors(Backend backend) {
    Database db = backend.db();
    for (int code : new int[] {TRANSACTION_TIMED_OUT, KEY_OUTSIDE_LEGAL_RANGE, 1025}) {
      AtomicInteger attempts = new AtomicInteger();
      assertFdbError(
          code,
          () ->
              db.run(
                  tr -> {
                    attempts.incrementAndGet();
                    throw new FDBException("injected", code);
                  }));
      assertThat(attempts).as("attempts for %d", code).hasValue(1);
    }
    // A real non-retryable commit error.
    AtomicInteger attempts = new AtomicInteger();
    assertFdbError(
        VALUE_TOO_LARGE,
        () ->
            db.run(
                tr -> {
                  attempts.incrementAndGet();
                  tr.set(b("v"), filled(100_001, 'v'));
                  return null;
                }));
    assertThat(attempts).hasValue(1);
    // Not an FDBException: handed back unchanged (possibly wrapped), never retried.
    AtomicInteger plain = new AtomicInteger();
    Fdb.assertFailsWith(
        IllegalArgumentException.class,
        () ->
            db.run(
                tr -> {
                  plain.incrementAndGet();
                  throw new IllegalArgumentException("layer bug");
                }));
    assertThat(plain).hasValue(1);
  }

  @ConformanceTest
  void retryLimitIsHonoured(Backend backend) {
    Database db = backend.db();
    AtomicInteger attempts = new AtomicInteger();
    assertFdbError(
        NOT_COMMITTED,
        () ->
            db.run(
                tr -> {
                  tr.options().setRetryLimit(3);
                  attempts.incrementAndGet();
                  throw new FDBException("injected", NOT_COMMITTED);
                }));
    assertThat(attempts).as("one try and three retries").hasValue(4);

    AtomicInteger none = new AtomicInteger();
    assertFdbError(
        NOT_COMMITTED,
        () ->
            db.run(
                tr -> {
                  tr.options().setRetryLimit(0);
                  none.incrementAndGet();
                  throw new FDBException("injected", NOT_COMMITTED);
                }));
    assertThat(none).hasValue(1);
  }

  @ConformanceTest
  void runAsyncRetriesAndGivesUp(Backend backend) {
    Database db = backend.db();
    AtomicInteger attempts = new AtomicInteger();
    Integer result =
        await(
            db.runAsync(
                tr -> {
                  int attempt = attempts.incrementAndGet();
                  return tr.get(b("a"))
                      .thenApply(
                          v -> {
                            if (attempt < 3) throw new FDBException("injected", NOT_COMMITTED);
                            tr.set(b("a"), b("done"));
                            return attempt;
                          });
                }));
    assertThat(result).isEqualTo(3);
    assertThat(s(Fdb.get(db, b("a")))).isEqualTo("done");

    AtomicInteger failing = new AtomicInteger();
    CompletableFuture<Void> gaveUp =
        db.runAsync(
            tr -> {
              failing.incrementAndGet();
              return CompletableFuture.failedFuture(
                  new FDBException("injected", TRANSACTION_TIMED_OUT));
            });
    assertFdbError(TRANSACTION_TIMED_OUT, () -> await(gaveUp));
    assertThat(failing).hasValue(1);

    // A body that throws instead of returning a failed future is treated alike.
    AtomicInteger throwing = new AtomicInteger();
    Integer second =
        await(
            db.runAsync(
                tr -> {
                  if (throwing.incrementAndGet() == 1)
                    throw new FDBException("injected", NOT_COMMITTED);
                  return CompletableFuture.completedFuture(throwing.get());
                }));
    assertThat(second).isEqualTo(2);
  }

  @ConformanceTest
  void onErrorResetsForRetryOrHandsBackTheError(Backend backend) {
    Database db = backend.db();
    Transaction tr = db.createTransaction();
    try {
      tr.set(b("discarded"), b("1"));
      tr = tr.onError(new FDBException("injected", NOT_COMMITTED)).join();
      assertThat(tr.get(b("discarded")).join()).as("writes of the failed attempt").isNull();
      tr.set(b("kept"), b("1"));
      tr.commit().join();
    } finally {
      tr.close();
    }
    assertThat(Fdb.get(db, b("discarded"))).isNull();
    assertThat(s(Fdb.get(db, b("kept")))).isEqualTo("1");

    try (Transaction t2 = db.createTransaction()) {
      assertFdbError(
          KEY_OUTSIDE_LEGAL_RANGE,
          () -> t2.onError(new FDBException("injected", KEY_OUTSIDE_LEGAL_RANGE)).join());
    }
    try (Transaction t3 = db.createTransaction()) {
      Fdb.assertFailsWith(
          IllegalStateException.class,
          () -> t3.onError(new IllegalStateException("not fdb")).join());
    }
  }

  @ConformanceTest
  void readAndReadAsync(Backend backend) {
    Database db = backend.db();
    db.run(
        tr -> {
          tr.set(b("r"), b("1"));
          return null;
        });
    assertThat(s(Fdb.get(db, b("r")))).isEqualTo("1");
    byte[] viaAsync = await(db.readAsync((ReadTransaction tr) -> tr.get(b("r"))));
    assertThat(s(viaAsync)).isEqualTo("1");
  }
}
