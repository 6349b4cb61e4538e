package io.fdbmeta.embedded.conformance;

import static io.fdbmeta.embedded.conformance.Fdb.KEY_OUTSIDE_LEGAL_RANGE;
import static io.fdbmeta.embedded.conformance.Fdb.KEY_TOO_LARGE;
import static io.fdbmeta.embedded.conformance.Fdb.TRANSACTION_CANCELLED;
import static io.fdbmeta.embedded.conformance.Fdb.TRANSACTION_TIMED_OUT;
import static io.fdbmeta.embedded.conformance.Fdb.TRANSACTION_TOO_LARGE;
import static io.fdbmeta.embedded.conformance.Fdb.TRANSACTION_TOO_OLD;
import static io.fdbmeta.embedded.conformance.Fdb.VALUE_TOO_LARGE;
import static io.fdbmeta.embedded.conformance.Fdb.assertFdbError;
import static io.fdbmeta.embedded.conformance.Fdb.b;
import static io.fdbmeta.embedded.conformance.Fdb.concat;
import static io.fdbmeta.embedded.conformance.Fdb.filled;
import static io.fdbmeta.embedded.conformance.Fdb.s;
import static org.assertj.core.api.Assertions.assertThat;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.MutationType;
import com.apple.foundationdb.Range;
import com.apple.foundationdb.ReadTransaction;
import com.apple.foundationdb.Transaction;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * Size limits, the 5 s transaction lifetime, timeouts, cancellation and the system keyspace, with
 * FoundationDB's error codes (api-error-codes.rst). A mutation's error may surface from the call
 * itself or, as the C client defers it, from the commit: both are accepted, the code is not
 * negotiable.
 */
class LimitsAndErrorsConformanceTest {

  private static final byte[] SYSTEM_TEST_KEY = b("\u00ff\u0002/fdbmeta-conformance/k");

  private static void failsByCommit(Database db, int code, Consumer<Transaction> writes) {
    assertFdbError(
        code,
        () -> {
          try (Transaction tr = db.createTransaction()) {
            writes.accept(tr);
            tr.commit().join();
          }
        });
  }

  @ConformanceTest
  void keySizeLimit(Backend backend) {
    Database db = backend.db();
    byte[] largest = filled(10_000, 'k');
    db.run(
        tr -> {
          tr.set(largest, b("fits"));
          return null;
        });
    assertThat(s(Fdb.get(db, largest))).isEqualTo("fits");
    byte[] tooLarge = filled(10_001, 'k');
    failsByCommit(db, KEY_TOO_LARGE, tr -> tr.set(tooLarge, b("v")));
    failsByCommit(db, KEY_TOO_LARGE, tr -> tr.mutate(MutationType.ADD, tooLarge, Fdb.le64(1)));
    // No key that large can exist, so reading one finds nothing (ReadYourWrites.cpp get()).
    assertThat(Fdb.get(db, filled(20_000, 'k'))).isNull();
  }

  @ConformanceTest
  void valueSizeLimit(Backend backend) {
    Database db = backend.db();
    db.run(
        tr -> {
          tr.set(b("big"), filled(100_000, 'v'));
          return null;
        });
    assertThat(Fdb.get(db, b("big"))).hasSize(100_000);
    failsByCommit(db, VALUE_TOO_LARGE, tr -> tr.set(b("bigger"), filled(100_001, 'v')));
    failsByCommit(
        db,
        VALUE_TOO_LARGE,
        tr -> tr.mutate(MutationType.APPEND_IF_FITS, b("bigger"), filled(100_001, 'v')));
    assertThat(Fdb.get(db, b("bigger"))).isNull();
  }

  @ConformanceTest
  void transactionSizeLimit(Backend backend) {
    Database db = backend.db();
    byte[] value = filled(99_000, 'x');
    // About 10.4 MB of mutations: over the 10,000,000-byte limit.
    failsByCommit(
        db,
        TRANSACTION_TOO_LARGE,
        tr -> {
          for (int i = 0; i < 105; i++) tr.set(b("t/" + i), value);
        });
    assertThat(Fdb.range(db, Range.startsWith(b("t/")))).isEmpty();
    // About 5 MB is fine, and a large clear range counts only its two keys.
    db.run(
        tr -> {
          for (int i = 0; i < 50; i++) tr.set(b("t/" + i), value);
          return null;
        });
    db.run(
        tr -> {
          tr.clear(Range.startsWith(b("t/")));
          return null;
        });
    assertThat(Fdb.range(db, Range.startsWith(b("t/")))).isEmpty();
  }

  @ConformanceTest
  void transactionTooOldAfterFiveSeconds(Backend backend) {
    Database db = backend.db();
    db.run(
        tr -> {
          tr.set(b("k"), b("1"));
          return null;
        });
    try (Transaction reader = db.createTransaction();
        Transaction writer = db.createTransaction()) {
      reader.getReadVersion().join();
      writer.get(b("k")).join();
      writer.set(b("k"), b("2"));
      backend.elapse(Duration.ofMillis(6_000));
      assertFdbError(TRANSACTION_TOO_OLD, () -> reader.get(b("k")).join());
      assertFdbError(TRANSACTION_TOO_OLD, () -> writer.commit().join());
    }
    assertThat(s(Fdb.get(db, b("k")))).isEqualTo("1");
  }

  @ConformanceTest
  void readsAnsweredFromOwnWritesOutliveFiveSeconds(Backend backend) {
    Database db = backend.db();
    db.run(
        tr -> {
          tr.set(b("old/1"), b("db"));
          return null;
        });
    try (Transaction tr = db.createTransaction()) {
      tr.clear(b(""), b("\u00ff"));
      tr.set(b("mine/1"), b("1"));
      tr.set(b("mine/2"), b("2"));
      assertThat(s(tr.get(b("mine/1")).join())).isEqualTo("1");
      backend.elapse(Duration.ofMillis(6_000));
      // FoundationDB answers these from the write map, without a storage read.
      assertThat(s(tr.get(b("mine/2")).join())).isEqualTo("2");
      assertThat(tr.get(b("old/1")).join()).as("cleared by this transaction").isNull();
      assertThat(tr.getRange(b("m"), b("n")).asList().join())
          .extracting(kv -> s(kv.getKey()))
          .containsExactly("mine/1", "mine/2");
      assertThat(tr.getRange(b(""), b("\u00ff")).asList().join()).hasSize(2);
    }
  }

  @ConformanceTest
  void timeoutOption(Backend backend) {
    Database db = backend.db();
    try (Transaction tr = db.createTransaction()) {
      tr.options().setTimeout(1_000);
      tr.get(b("k")).join(); // within the timeout
      tr.set(b("k"), b("late"));
      backend.elapse(Duration.ofMillis(1_500));
      assertFdbError(TRANSACTION_TIMED_OUT, () -> tr.get(b("k")).join());
      assertFdbError(TRANSACTION_TIMED_OUT, () -> tr.commit().join());
      // 1031 is not retryable: onError hands it back.
      assertFdbError(
          TRANSACTION_TIMED_OUT,
          () ->
              tr.onError(
                      new com.apple.foundationdb.FDBException("timed out", TRANSACTION_TIMED_OUT))
                  .join());
    }
    assertThat(Fdb.get(db, b("k"))).isNull();
  }

  @ConformanceTest
  void cancelledTransaction(Backend backend) {
    Database db = backend.db();
    try (Transaction tr = db.createTransaction()) {
      tr.set(b("k"), b("v"));
      tr.cancel();
      assertFdbError(TRANSACTION_CANCELLED, () -> tr.get(b("k")).join());
      assertFdbError(TRANSACTION_CANCELLED, () -> tr.commit().join());
    }
    assertThat(Fdb.get(db, b("k"))).isNull();
  }

  @ConformanceTest
  void systemKeyspaceIsRefusedWithoutOptions(Backend backend) {
    Database db = backend.db();
    failsByCommit(db, KEY_OUTSIDE_LEGAL_RANGE, tr -> tr.set(SYSTEM_TEST_KEY, b("v")));
    failsByCommit(db, KEY_OUTSIDE_LEGAL_RANGE, tr -> tr.clear(SYSTEM_TEST_KEY));
    try (Transaction tr = db.createTransaction()) {
      assertFdbError(KEY_OUTSIDE_LEGAL_RANGE, () -> tr.get(SYSTEM_TEST_KEY).join());
      assertFdbError(
          KEY_OUTSIDE_LEGAL_RANGE,
          () -> tr.getRange(b("a"), concat(b("\u00ff"), new byte[] {0})).asList().join());
      // Up to \xff itself is the user keyspace.
      assertThat(tr.getRange(new byte[0], b("\u00ff")).asList().join()).isEmpty();
    }
  }

  @ConformanceTest
  void systemKeyspaceWithAccessOptions(Backend backend) {
    Database db = backend.db();
    try {
      db.run(
          tr -> {
            tr.options().setAccessSystemKeys();
            tr.set(SYSTEM_TEST_KEY, b("sys"));
            return null;
          });
      assertThat(
              s(
                  db.read(
                      (ReadTransaction tr) -> {
                        tr.options().setReadSystemKeys();
                        return tr.get(SYSTEM_TEST_KEY).join();
                      })))
          .isEqualTo("sys");
      // Reading alone is not writing.
      failsByCommit(
          db,
          KEY_OUTSIDE_LEGAL_RANGE,
          tr -> {
            tr.options().setReadSystemKeys();
            tr.set(SYSTEM_TEST_KEY, b("v"));
          });
    } finally {
      db.run(
          tr -> {
            tr.options().setAccessSystemKeys();
            tr.clear(SYSTEM_TEST_KEY);
            return null;
          });
    }
  }

  @ConformanceTest
  void readVersions(Backend backend) {
    Database db = backend.db();
    long committed;
    long firstReadVersion;
    try (Transaction tr = db.createTransaction()) {
      firstReadVersion = tr.getReadVersion().join();
      assertThat(tr.getReadVersion().join()).isEqualTo(firstReadVersion);
      tr.set(b("k"), b("old"));
      tr.commit().join();
      committed = tr.getCommittedVersion();
      assertThat(committed).isGreaterThan(firstReadVersion);
    }
    db.run(
        tr -> {
          tr.set(b("k"), b("new"));
          return null;
        });
    try (Transaction tr = db.createTransaction()) {
      assertThat(tr.getReadVersion().join()).isGreaterThan(committed);
      assertThat(s(tr.get(b("k")).join())).isEqualTo("new");
    }
    try (Transaction tr = db.createTransaction()) {
      tr.setReadVersion(committed);
      assertThat(tr.getReadVersion().join()).isEqualTo(committed);
      assertThat(s(tr.get(b("k")).join())).isEqualTo("old");
    }
    try (Transaction tr = db.createTransaction()) {
      tr.setReadVersion(committed - 1);
      assertThat(tr.get(b("k")).join()).isNull();
    }
    // Versions are positive: setReadVersion refuses v <= 0 with 2011 version_invalid
    // (NativeAPI.actor.cpp Transaction::setVersion), so a read version of 0 could not be reused.
    assertThat(firstReadVersion).as("read version of the first transaction").isPositive();
  }
}
