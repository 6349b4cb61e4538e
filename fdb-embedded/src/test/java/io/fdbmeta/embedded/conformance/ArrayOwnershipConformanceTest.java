package io.fdbmeta.embedded.conformance;

import static io.fdbmeta.embedded.conformance.Fdb.NOT_COMMITTED;
import static io.fdbmeta.embedded.conformance.Fdb.assertFdbError;
import static io.fdbmeta.embedded.conformance.Fdb.b;
import static io.fdbmeta.embedded.conformance.Fdb.le64;
import static io.fdbmeta.embedded.conformance.Fdb.s;
import static org.assertj.core.api.Assertions.assertThat;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.KeySelector;
import com.apple.foundationdb.KeyValue;
import com.apple.foundationdb.MutationType;
import com.apple.foundationdb.ReadTransaction;
import com.apple.foundationdb.Transaction;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The client owns its arrays: fdb-java copies keys and values in during the call and hands out a
 * new array for every result, so changing an array after a call changes neither what was written,
 * nor what others read, nor the read conflicts the transaction recorded.
 */
class ArrayOwnershipConformanceTest {

  private static void put(Database db, String key, String value) {
    db.run(
        tr -> {
          tr.set(b(key), b(value));
          return null;
        });
  }

  @ConformanceTest
  void reusedKeyBufferWritesEveryKey(Backend backend) {
    Database db = backend.db();
    byte[] key = b("buf-000");
    byte[] value = b("v-000");
    db.run(
        tr -> {
          for (int i = 0; i < 1_000; i++) {
            byte[] digits = b(String.format("%03d", i));
            System.arraycopy(digits, 0, key, 4, 3);
            System.arraycopy(digits, 0, value, 2, 3);
            tr.set(key, value);
          }
          return null;
        });
    List<KeyValue> rows = Fdb.range(db, b("buf-"), b("buf."));
    assertThat(rows).hasSize(1_000);
    assertThat(s(rows.get(7).getKey())).isEqualTo("buf-007");
    assertThat(s(rows.get(7).getValue())).isEqualTo("v-007");
  }

  @ConformanceTest
  void arraysChangedAfterAWriteCallChangeNothingWritten(Backend backend) {
    Database db = backend.db();
    put(db, "c1", "old");
    put(db, "c2", "old");
    byte[] key = b("k");
    byte[] value = b("value");
    byte[] counter = b("n");
    byte[] one = le64(1);
    byte[] clearBegin = b("c1");
    byte[] clearEnd = b("c3");
    try (Transaction tr = db.createTransaction()) {
      tr.set(key, value);
      tr.mutate(MutationType.ADD, counter, one);
      tr.clear(clearBegin, clearEnd);
      key[0] = 'x';
      value[0] = 'X';
      one[0] = 9;
      clearBegin[1] = '5';
      clearEnd[1] = '6';
      assertThat(s(tr.get(b("k")).join())).as("read your writes").isEqualTo("value");
      tr.commit().join();
    }
    assertThat(s(Fdb.get(db, b("k")))).isEqualTo("value");
    assertThat(Fdb.get(db, b("x"))).isNull();
    assertThat(Fdb.le64(Fdb.get(db, b("n")))).isEqualTo(1);
    assertThat(Fdb.range(db, b("c"), b("d"))).as("the clear of [c1, c3)").isEmpty();
  }

  @ConformanceTest
  void changingAReturnedArrayChangesNoStoredData(Backend backend) {
    Database db = backend.db();
    put(db, "a", "stored");
    put(db, "b", "stored");
    byte[] got = db.read((ReadTransaction tr) -> tr.get(b("a")).join());
    got[0] = 'X';
    List<KeyValue> rows =
        db.read((ReadTransaction tr) -> tr.getRange(b("a"), b("c")).asList().join());
    rows.get(1).getKey()[0] = 'z';
    rows.get(1).getValue()[0] = 'Z';
    byte[] found =
        db.read((ReadTransaction tr) -> tr.getKey(KeySelector.firstGreaterThan(b("a"))).join());
    found[0] = 'y';
    assertThat(s(Fdb.get(db, b("a")))).isEqualTo("stored");
    assertThat(Fdb.range(db, b("a"), b("c")))
        .extracting(kv -> s(kv.getKey()) + "=" + s(kv.getValue()))
        .containsExactly("a=stored", "b=stored");

    try (Transaction tr = db.createTransaction()) {
      tr.set(b("own"), b("mine"));
      tr.get(b("own")).join()[0] = 'X';
      tr.getRange(b("own"), b("owo")).asList().join().get(0).getValue()[0] = 'X';
      assertThat(s(tr.get(b("own")).join())).as("the transaction's own write").isEqualTo("mine");
    }
  }

  @ConformanceTest
  void changingAKeyAfterAReadKeepsItsReadConflict(Backend backend) {
    Database db = backend.db();
    put(db, "watched", "1");
    try (Transaction tr = db.createTransaction()) {
      byte[] key = b("watched");
      tr.get(key).join();
      byte[] begin = b("r1");
      byte[] end = b("r2");
      tr.getRange(begin, end).asList().join();
      Arrays.fill(key, (byte) 'q');
      begin[0] = 'q';
      end[0] = 'q';
      put(db, "watched", "2"); // both reads now conflict with a later commit
      tr.set(b("out"), b("1"));
      assertFdbError(NOT_COMMITTED, () -> tr.commit().join());
    }
    try (Transaction tr = db.createTransaction()) {
      byte[] begin = b("r1");
      byte[] end = b("r2");
      tr.getRange(begin, end).asList().join();
      begin[0] = 'q';
      end[0] = 'q';
      put(db, "r1x", "1");
      tr.set(b("out"), b("1"));
      assertFdbError(NOT_COMMITTED, () -> tr.commit().join());
    }
  }

  @ConformanceTest
  void changingAVersionstampChangesNoOtherCopy(Backend backend) {
    Database db = backend.db();
    try (Transaction tr = db.createTransaction()) {
      tr.set(b("vs"), b("1"));
      CompletableFuture<byte[]> first = tr.getVersionstamp();
      CompletableFuture<byte[]> second = tr.getVersionstamp();
      tr.commit().join();
      byte[] stamp = first.join();
      byte[] original = stamp.clone();
      Arrays.fill(stamp, (byte) 0);
      assertThat(second.join()).isEqualTo(original);
    }
  }
}
