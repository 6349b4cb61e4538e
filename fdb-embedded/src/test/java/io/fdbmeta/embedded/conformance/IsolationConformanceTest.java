package io.fdbmeta.embedded.conformance;

import static io.fdbmeta.embedded.conformance.Fdb.NOT_COMMITTED;
import static io.fdbmeta.embedded.conformance.Fdb.assertFdbError;
import static io.fdbmeta.embedded.conformance.Fdb.b;
import static io.fdbmeta.embedded.conformance.Fdb.le64;
import static io.fdbmeta.embedded.conformance.Fdb.s;
import static org.assertj.core.api.Assertions.assertThat;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.KeySelector;
import com.apple.foundationdb.Range;
import com.apple.foundationdb.Transaction;

/**
 * Strict serializability by optimistic concurrency: the anomalies snapshot isolation allows are
 * refused with 1020 not_committed for the transaction that commits second.
 */
class IsolationConformanceTest {

  private static void put(Database db, String key, String value) {
    db.run(
        tr -> {
          tr.set(b(key), b(value));
          return null;
        });
  }

  private static String get(Database db, String key) {
    return s(Fdb.get(db, b(key)));
  }

  @ConformanceTest
  void lostUpdateIsRefused(Backend backend) {
    Database db = backend.db();
    put(db, "counter", "0");
    try (Transaction t1 = db.createTransaction();
        Transaction t2 = db.createTransaction()) {
      int v1 = Integer.parseInt(s(t1.get(b("counter")).join()));
      int v2 = Integer.parseInt(s(t2.get(b("counter")).join()));
      t1.set(b("counter"), b(Integer.toString(v1 + 1)));
      t2.set(b("counter"), b(Integer.toString(v2 + 1)));
      t1.commit().join();
      assertFdbError(NOT_COMMITTED, () -> t2.commit().join());
    }
    assertThat(get(db, "counter")).isEqualTo("1");
  }

  @ConformanceTest
  void writeSkewIsRefused(Backend backend) {
    Database db = backend.db();
    // Invariant: at least one of x, y is "on". Each transaction turns one off if the other is on.
    put(db, "x", "on");
    put(db, "y", "on");
    try (Transaction t1 = db.createTransaction();
        Transaction t2 = db.createTransaction()) {
      assertThat(s(t1.get(b("x")).join())).isEqualTo("on");
      assertThat(s(t1.get(b("y")).join())).isEqualTo("on");
      assertThat(s(t2.get(b("x")).join())).isEqualTo("on");
      assertThat(s(t2.get(b("y")).join())).isEqualTo("on");
      t1.set(b("x"), b("off"));
      t2.set(b("y"), b("off"));
      t1.commit().join();
      assertFdbError(NOT_COMMITTED, () -> t2.commit().join());
    }
    assertThat(get(db, "x")).isEqualTo("off");
    assertThat(get(db, "y")).isEqualTo("on");
  }

  @ConformanceTest
  void readSkewSeesOneSnapshotAndCannotCommit(Backend backend) {
    Database db = backend.db();
    put(db, "a", "50");
    put(db, "b", "50");
    try (Transaction reader = db.createTransaction()) {
      assertThat(s(reader.get(b("a")).join())).isEqualTo("50");
      // A transfer commits between the reader's two reads.
      db.run(
          tr -> {
            tr.set(b("a"), b("0"));
            tr.set(b("b"), b("100"));
            return null;
          });
      // The second read is at the same read version: the total is still 100.
      assertThat(s(reader.get(b("b")).join())).isEqualTo("50");
      reader.set(b("audit"), b("100"));
      assertFdbError(NOT_COMMITTED, () -> reader.commit().join());
    }
    assertThat(get(db, "audit")).isNull();
  }

  @ConformanceTest
  void readOnlyTransactionCommitsEvenIfItsReadsChanged(Backend backend) {
    Database db = backend.db();
    put(db, "k", "1");
    try (Transaction t = db.createTransaction()) {
      t.get(b("k")).join();
      put(db, "k", "2");
      t.commit().join();
      assertThat(t.getCommittedVersion()).isEqualTo(-1L);
    }
  }

  @ConformanceTest
  void conflictsOnlyWithCommitsAfterTheReadVersion(Backend backend) {
    Database db = backend.db();
    put(db, "k", "1");
    try (Transaction t = db.createTransaction()) {
      // Committed before t takes its read version: no conflict.
      put(db, "k", "2");
      assertThat(s(t.get(b("k")).join())).isEqualTo("2");
      t.set(b("k"), b("3"));
      t.commit().join();
    }
    assertThat(get(db, "k")).isEqualTo("3");
  }

  @ConformanceTest
  void disjointTransactionsBothCommit(Backend backend) {
    Database db = backend.db();
    try (Transaction t1 = db.createTransaction();
        Transaction t2 = db.createTransaction()) {
      t1.get(b("a")).join();
      t2.get(b("b")).join();
      t1.set(b("a"), b("1"));
      t2.set(b("b"), b("2"));
      t1.commit().join();
      t2.commit().join();
    }
    assertThat(get(db, "a")).isEqualTo("1");
    assertThat(get(db, "b")).isEqualTo("2");
  }

  @ConformanceTest
  void snapshotReadsDoNotConflict(Backend backend) {
    Database db = backend.db();
    put(db, "x", "1");
    try (Transaction t = db.createTransaction()) {
      assertThat(s(t.snapshot().get(b("x")).join())).isEqualTo("1");
      t.snapshot().getRange(b("a"), b("z")).asList().join();
      put(db, "x", "2");
      put(db, "m", "new");
      t.set(b("y"), b("1"));
      t.commit().join();
    }
    assertThat(get(db, "y")).isEqualTo("1");
  }

  @ConformanceTest
  void rangeReadConflictsWithAPhantomInsert(Backend backend) {
    Database db = backend.db();
    put(db, "r/a", "1");
    put(db, "r/c", "1");
    try (Transaction t = db.createTransaction()) {
      assertThat(t.getRange(Range.startsWith(b("r/"))).asList().join()).hasSize(2);
      put(db, "r/b", "phantom");
      t.set(b("count"), b("2"));
      assertFdbError(NOT_COMMITTED, () -> t.commit().join());
    }
  }

  @ConformanceTest
  void rangeReadDoesNotConflictWithWritesOutsideTheRange(Backend backend) {
    Database db = backend.db();
    put(db, "r/a", "1");
    try (Transaction t = db.createTransaction()) {
      t.getRange(b("r/"), b("r0")).asList().join();
      put(db, "r0", "just past the end");
      put(db, "q", "before");
      t.set(b("count"), b("1"));
      t.commit().join();
    }
  }

  @ConformanceTest
  void keySelectorReadConflictsWithAKeyThatChangesItsResolution(Backend backend) {
    Database db = backend.db();
    put(db, "a", "1");
    put(db, "d", "1");
    try (Transaction t = db.createTransaction()) {
      assertThat(s(t.getKey(KeySelector.firstGreaterThan(b("a"))).join())).isEqualTo("d");
      put(db, "b", "now first after a");
      t.set(b("out"), b("d"));
      assertFdbError(NOT_COMMITTED, () -> t.commit().join());
    }
  }

  @ConformanceTest
  void explicitReadConflictRangeConflicts(Backend backend) {
    Database db = backend.db();
    try (Transaction t = db.createTransaction()) {
      t.getReadVersion().join();
      t.addReadConflictRange(b("p/"), b("p0"));
      put(db, "p/x", "1");
      t.set(b("other"), b("1"));
      assertFdbError(NOT_COMMITTED, () -> t.commit().join());
    }
    try (Transaction t = db.createTransaction()) {
      t.getReadVersion().join();
      t.addReadConflictKey(b("single"));
      put(db, "single\u0000", "next key, outside the single-key range");
      t.set(b("other"), b("1"));
      t.commit().join();
    }
  }

  @ConformanceTest
  void explicitWriteConflictRangeConflicts(Backend backend) {
    Database db = backend.db();
    try (Transaction reader = db.createTransaction()) {
      reader.get(b("w/k")).join();
      try (Transaction writer = db.createTransaction()) {
        // Writes nothing into w/, but declares it.
        writer.addWriteConflictRange(b("w/"), b("w0"));
        writer.set(b("elsewhere"), b("1"));
        writer.commit().join();
      }
      reader.set(b("r"), b("1"));
      assertFdbError(NOT_COMMITTED, () -> reader.commit().join());
    }
  }

  @ConformanceTest
  void nextWriteNoWriteConflictRangeAppliesToOneWriteOnly(Backend backend) {
    Database db = backend.db();
    try (Transaction reader = db.createTransaction()) {
      reader.get(b("quiet")).join();
      try (Transaction writer = db.createTransaction()) {
        writer.options().setNextWriteNoWriteConflictRange();
        writer.set(b("quiet"), b("1"));
        writer.commit().join();
      }
      reader.set(b("r1"), b("1"));
      reader.commit().join(); // "quiet" was written without a conflict range
    }
    assertThat(get(db, "quiet")).isEqualTo("1");

    try (Transaction reader = db.createTransaction()) {
      reader.get(b("loud")).join();
      try (Transaction writer = db.createTransaction()) {
        writer.options().setNextWriteNoWriteConflictRange();
        writer.set(b("quiet"), b("2"));
        writer.set(b("loud"), b("1")); // the option was used up by the write before
        writer.commit().join();
      }
      reader.set(b("r2"), b("1"));
      assertFdbError(NOT_COMMITTED, () -> reader.commit().join());
    }
  }

  @ConformanceTest
  void atomicOpsDoNotAddReadConflicts(Backend backend) {
    Database db = backend.db();
    try (Transaction t1 = db.createTransaction();
        Transaction t2 = db.createTransaction()) {
      t1.getReadVersion().join();
      t2.getReadVersion().join();
      t1.mutate(com.apple.foundationdb.MutationType.ADD, b("n"), le64(1));
      t2.mutate(com.apple.foundationdb.MutationType.ADD, b("n"), le64(1));
      t1.commit().join();
      t2.commit().join(); // blind atomic adds never conflict
    }
    assertThat(Fdb.le64(Fdb.get(db, b("n")))).isEqualTo(2);
  }

  @ConformanceTest
  void clearRangeConflictsWithAReaderOfAnyKeyInside(Backend backend) {
    Database db = backend.db();
    put(db, "c/1", "x");
    try (Transaction reader = db.createTransaction()) {
      reader.get(b("c/5")).join(); // absent, still a read
      db.run(
          tr -> {
            tr.clear(Range.startsWith(b("c/")));
            return null;
          });
      reader.set(b("r"), b("1"));
      assertFdbError(NOT_COMMITTED, () -> reader.commit().join());
    }
  }
}
