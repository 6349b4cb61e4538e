package io.fdbmeta.embedded.conformance;

import static io.fdbmeta.embedded.conformance.Fdb.KEY_OUTSIDE_LEGAL_RANGE;
import static io.fdbmeta.embedded.conformance.Fdb.NOT_COMMITTED;
import static io.fdbmeta.embedded.conformance.Fdb.USED_DURING_COMMIT;
import static io.fdbmeta.embedded.conformance.Fdb.assertFdbError;
import static io.fdbmeta.embedded.conformance.Fdb.b;
import static io.fdbmeta.embedded.conformance.Fdb.s;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.FDBException;
import com.apple.foundationdb.KeySelector;
import com.apple.foundationdb.Transaction;

/**
 * A transaction object's life as fdb-java gives it: after commit every call fails with 2017
 * used_during_commit (ReadYourWrites.actor.cpp checkUsedDuringCommit; a void write defers it to the
 * next future), and onError hands the next attempt a new object and retires the old one
 * (FDBTransaction.transfer(): later calls throw IllegalStateException).
 */
class TransactionLifecycleConformanceTest {

  @ConformanceTest
  void committedTransactionRefusesReadsWatchesAndASecondCommit(Backend backend) {
    Database db = backend.db();
    try (Transaction tr = db.createTransaction()) {
      tr.set(b("k"), b("v"));
      tr.commit().join();
      assertFdbError(USED_DURING_COMMIT, () -> tr.get(b("k")).join());
      assertFdbError(USED_DURING_COMMIT, () -> tr.getRange(b("a"), b("z")).asList().join());
      assertFdbError(
          USED_DURING_COMMIT, () -> tr.getKey(KeySelector.firstGreaterOrEqual(b("k"))).join());
      assertFdbError(USED_DURING_COMMIT, () -> tr.snapshot().get(b("k")).join());
      assertFdbError(USED_DURING_COMMIT, () -> tr.watch(b("k")).join());
      assertFdbError(USED_DURING_COMMIT, () -> tr.commit().join());
    }
    try (Transaction readOnly = db.createTransaction()) {
      assertThat(s(readOnly.get(b("k")).join())).isEqualTo("v");
      readOnly.commit().join();
      assertFdbError(USED_DURING_COMMIT, () -> readOnly.get(b("k")).join());
    }
  }

  @ConformanceTest
  void writeAfterCommitFailsTheNextFutureNotTheCall(Backend backend) {
    Database db = backend.db();
    try (Transaction tr = db.createTransaction()) {
      tr.set(b("first"), b("1"));
      tr.commit().join();
      tr.set(b("late"), b("1")); // does not throw
      tr.clear(b("first"));
      assertFdbError(USED_DURING_COMMIT, () -> tr.getReadVersion().join());
    }
    assertThat(Fdb.get(db, b("late"))).isNull();
    assertThat(s(Fdb.get(db, b("first")))).isEqualTo("1");
  }

  @ConformanceTest
  void onErrorHandsBackANewTransactionAndRetiresTheOld(Backend backend) {
    Database db = backend.db();
    Transaction old = db.createTransaction();
    Transaction next = old.onError(new FDBException("injected", NOT_COMMITTED)).join();
    try {
      assertThat(next).isNotSameAs(old);
      assertThatThrownBy(() -> old.get(b("k"))).isInstanceOf(IllegalStateException.class);
      assertThatThrownBy(() -> old.set(b("k"), b("v"))).isInstanceOf(IllegalStateException.class);
      assertThatThrownBy(old::commit).isInstanceOf(IllegalStateException.class);
      assertThatThrownBy(() -> old.onError(new FDBException("again", NOT_COMMITTED)))
          .isInstanceOf(IllegalStateException.class);
      old.close(); // still allowed
      next.set(b("k"), b("v"));
      next.commit().join();
    } finally {
      next.close();
    }
    assertThat(s(Fdb.get(db, b("k")))).isEqualTo("v");
  }

  @ConformanceTest
  void onErrorRetiresTheTransactionEvenWhenItWillNotRetry(Backend backend) {
    Database db = backend.db();
    try (Transaction tr = db.createTransaction()) {
      assertFdbError(
          KEY_OUTSIDE_LEGAL_RANGE,
          () -> tr.onError(new FDBException("fatal", KEY_OUTSIDE_LEGAL_RANGE)).join());
      assertThatThrownBy(() -> tr.get(b("k"))).isInstanceOf(IllegalStateException.class);
    }
    try (Transaction tr = db.createTransaction()) {
      Fdb.assertFailsWith(
          IllegalArgumentException.class,
          () -> tr.onError(new IllegalArgumentException("not fdb")).join());
      tr.set(b("still"), b("usable")); // a non-FoundationDB error leaves it as it was
      tr.commit().join();
    }
    assertThat(s(Fdb.get(db, b("still")))).isEqualTo("usable");
  }

  @ConformanceTest
  void theNextTransactionKeepsTheRetryLimit(Backend backend) {
    Database db = backend.db();
    Transaction tr = db.createTransaction();
    try {
      tr.options().setRetryLimit(1);
      tr = tr.onError(new FDBException("first", NOT_COMMITTED)).join();
      Transaction second = tr;
      assertFdbError(
          NOT_COMMITTED, () -> second.onError(new FDBException("second", NOT_COMMITTED)).join());
    } finally {
      tr.close();
    }
  }
}
