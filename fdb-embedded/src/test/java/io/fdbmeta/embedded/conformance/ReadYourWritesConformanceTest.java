package io.fdbmeta.embedded.conformance;

import static io.fdbmeta.embedded.conformance.Fdb.b;
import static io.fdbmeta.embedded.conformance.Fdb.le64;
import static io.fdbmeta.embedded.conformance.Fdb.s;
import static org.assertj.core.api.Assertions.assertThat;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.KeySelector;
import com.apple.foundationdb.KeyValue;
import com.apple.foundationdb.MutationType;
import com.apple.foundationdb.Transaction;
import java.util.List;

/** A transaction sees its own uncommitted writes, unless READ_YOUR_WRITES_DISABLE is set. */
class ReadYourWritesConformanceTest {

  private static void seed(Database db, String... keys) {
    db.run(
        tr -> {
          for (String k : keys) tr.set(b(k), b("db:" + k));
          return null;
        });
  }

  private static List<String> keysAndValues(List<KeyValue> kvs) {
    return kvs.stream().map(kv -> s(kv.getKey()) + "=" + s(kv.getValue())).toList();
  }

  /**
   * A read sees the writes made before it was issued, not one made while it is in flight: the
   * bindings' HighContentionAllocator issues a get, then sets the same key, and relies on the get
   * returning the database's value (on a served store it looped for seconds when it did not).
   */
  @ConformanceTest
  void readsIssuedBeforeAWriteDoNotSeeIt(Backend backend) {
    Database db = backend.db();
    seed(db, "a", "r1", "r2");
    try (Transaction t = db.createTransaction()) {
      t.getReadVersion().join(); // so the reads below are in flight together with the writes
      var point = t.get(b("a"));
      var range = t.getRange(b("r"), b("s")).asList();
      t.set(b("a"), b("mine"));
      t.set(b("r3"), b("mine"));
      assertThat(s(point.join())).isEqualTo("db:a");
      assertThat(keysAndValues(range.join())).containsExactly("r1=db:r1", "r2=db:r2");
      assertThat(s(t.get(b("a")).join())).isEqualTo("mine");
    }
  }

  @ConformanceTest
  void pointReadsSeeUncommittedSetsAndClears(Backend backend) {
    Database db = backend.db();
    seed(db, "a", "b");
    try (Transaction t = db.createTransaction()) {
      t.set(b("a"), b("mine"));
      t.clear(b("b"));
      t.set(b("c"), b("new"));
      assertThat(s(t.get(b("a")).join())).isEqualTo("mine");
      assertThat(t.get(b("b")).join()).isNull();
      assertThat(s(t.get(b("c")).join())).isEqualTo("new");
      // Another transaction sees none of it.
      assertThat(s(Fdb.get(db, b("a")))).isEqualTo("db:a");
    }
  }

  @ConformanceTest
  void rangeReadsMergeUncommittedSetsAndClears(Backend backend) {
    Database db = backend.db();
    seed(db, "k1", "k2", "k3", "k4", "k5", "k6");
    try (Transaction t = db.createTransaction()) {
      t.clear(b("k2"));
      t.clear(b("k4"), b("k6")); // k4, k5
      t.set(b("k3"), b("mine"));
      t.set(b("k45"), b("inserted into a cleared range"));
      t.set(b("k0"), b("before"));
      List<String> forward = keysAndValues(t.getRange(b("k"), b("l")).asList().join());
      assertThat(forward)
          .containsExactly(
              "k0=before", "k1=db:k1", "k3=mine", "k45=inserted into a cleared range", "k6=db:k6");
      List<String> reverse = keysAndValues(t.getRange(b("k"), b("l"), 3, true).asList().join());
      assertThat(reverse)
          .containsExactly("k6=db:k6", "k45=inserted into a cleared range", "k3=mine");
      List<String> limited = keysAndValues(t.getRange(b("k"), b("l"), 2).asList().join());
      assertThat(limited).containsExactly("k0=before", "k1=db:k1");
    }
  }

  @ConformanceTest
  void keySelectorsResolveAgainstUncommittedWrites(Backend backend) {
    Database db = backend.db();
    seed(db, "a", "c", "e");
    try (Transaction t = db.createTransaction()) {
      t.set(b("b"), b("1"));
      t.clear(b("c"));
      assertThat(s(t.getKey(KeySelector.firstGreaterThan(b("a"))).join())).isEqualTo("b");
      assertThat(s(t.getKey(KeySelector.firstGreaterThan(b("b"))).join())).isEqualTo("e");
      assertThat(s(t.getKey(KeySelector.lastLessThan(b("e"))).join())).isEqualTo("b");
    }
  }

  @ConformanceTest
  void clearRangeThenSetInsideIt(Backend backend) {
    Database db = backend.db();
    seed(db, "p/1", "p/2", "p/3");
    try (Transaction t = db.createTransaction()) {
      t.clear(b("p/"), b("p0"));
      t.set(b("p/2"), b("again"));
      assertThat(keysAndValues(t.getRange(b("p/"), b("p0")).asList().join()))
          .containsExactly("p/2=again");
      t.commit().join();
    }
    assertThat(keysAndValues(Fdb.range(db, b("p/"), b("p0")))).containsExactly("p/2=again");
  }

  @ConformanceTest
  void atomicOpsAreEvaluatedOnRead(Backend backend) {
    Database db = backend.db();
    db.run(
        tr -> {
          tr.set(b("n"), le64(40));
          return null;
        });
    try (Transaction t = db.createTransaction()) {
      t.mutate(MutationType.ADD, b("n"), le64(1));
      t.mutate(MutationType.ADD, b("n"), le64(1));
      t.mutate(MutationType.ADD, b("fresh"), le64(7));
      t.mutate(MutationType.BYTE_MAX, b("bm"), b("zz"));
      assertThat(Fdb.le64(t.get(b("n")).join())).isEqualTo(42);
      assertThat(Fdb.le64(t.get(b("fresh")).join())).isEqualTo(7);
      // An atomic op inside a range read shows its evaluated value too.
      assertThat(keysAndValues(t.getRange(b("b"), b("c")).asList().join()))
          .containsExactly("bm=zz");
      // A set after an atomic op replaces it; an op after a set applies to the set value.
      t.set(b("n"), le64(100));
      t.mutate(MutationType.ADD, b("n"), le64(5));
      assertThat(Fdb.le64(t.get(b("n")).join())).isEqualTo(105);
      t.commit().join();
    }
    assertThat(Fdb.le64(Fdb.get(db, b("n")))).isEqualTo(105);
  }

  @ConformanceTest
  void snapshotReadsAlsoSeeOwnWrites(Backend backend) {
    Database db = backend.db();
    try (Transaction t = db.createTransaction()) {
      t.set(b("s"), b("mine"));
      assertThat(s(t.snapshot().get(b("s")).join())).isEqualTo("mine");
      assertThat(t.snapshot().getRange(b("s"), b("t")).asList().join()).hasSize(1);
    }
  }

  @ConformanceTest
  void readYourWritesDisableReadsTheDatabase(Backend backend) {
    Database db = backend.db();
    seed(db, "a", "b");
    try (Transaction t = db.createTransaction()) {
      t.options().setReadYourWritesDisable();
      t.set(b("a"), b("mine"));
      t.clear(b("b"));
      t.set(b("c"), b("new"));
      assertThat(s(t.get(b("a")).join())).isEqualTo("db:a");
      assertThat(s(t.get(b("b")).join())).isEqualTo("db:b");
      assertThat(t.get(b("c")).join()).isNull();
      assertThat(keysAndValues(t.getRange(b("a"), b("z")).asList().join()))
          .containsExactly("a=db:a", "b=db:b");
      t.commit().join();
    }
    assertThat(s(Fdb.get(db, b("a")))).isEqualTo("mine");
    assertThat(Fdb.get(db, b("b"))).isNull();
  }
}
