package io.fdbmeta.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.FDBException;
import com.apple.foundationdb.KeySelector;
import com.apple.foundationdb.KeyValue;
import com.apple.foundationdb.MutationType;
import com.apple.foundationdb.Transaction;
import com.apple.foundationdb.directory.DirectoryLayer;
import com.apple.foundationdb.directory.DirectorySubspace;
import com.apple.foundationdb.tuple.Tuple;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Fast end-to-end checks of the engine's main paths; the conformance suite goes deeper. */
class EngineSmokeTest {
  private static byte[] b(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  @Test
  void setGetRangeAndReadYourWrites() {
    try (Database db = EmbeddedFdb.inMemory()) {
      db.run(
          tr -> {
            tr.set(b("a"), b("1"));
            tr.set(b("b"), b("2"));
            tr.set(b("c"), b("3"));
            return null;
          });
      List<KeyValue> rows =
          db.run(
              tr -> {
                tr.clear(b("b"));
                tr.set(b("bb"), b("x"));
                tr.mutate(MutationType.ADD, b("n"), new byte[] {1, 0});
                tr.mutate(MutationType.ADD, b("n"), new byte[] {1, 0});
                return tr.getRange(b("a"), b("z")).asList().join();
              });
      assertThat(rows)
          .extracting(kv -> new String(kv.getKey()))
          .containsExactly("a", "bb", "c", "n");
      assertThat(rows.get(3).getValue()).containsExactly(2, 0);
      byte[] cleared = db.run(tr -> tr.get(b("b")).join());
      assertThat(cleared).isNull();
      byte[] before = db.run(tr -> tr.getKey(KeySelector.lastLessThan(b("c"))).join());
      assertThat(before).isEqualTo(b("bb"));
      byte[] pastEnd = db.run(tr -> tr.getKey(KeySelector.firstGreaterThan(b("n")).add(5)).join());
      assertThat(pastEnd).isEqualTo(new byte[] {(byte) 0xff});
      List<KeyValue> lastTwo = db.run(tr -> tr.getRange(b("a"), b("z"), 2, true).asList().join());
      assertThat(lastTwo).extracting(kv -> new String(kv.getKey())).containsExactly("n", "c");
    }
  }

  @Test
  void lostUpdateIsPrevented() {
    try (Database db = EmbeddedFdb.inMemory()) {
      Transaction t1 = db.createTransaction();
      Transaction t2 = db.createTransaction();
      t1.get(b("k")).join();
      t2.get(b("k")).join();
      t1.set(b("k"), b("1"));
      t2.set(b("k"), b("2"));
      t1.commit().join();
      assertThatThrownBy(() -> t2.commit().join())
          .hasCauseInstanceOf(FDBException.class)
          .satisfies(e -> assertThat(((FDBException) e.getCause()).getCode()).isEqualTo(1020));
    }
  }

  @Test
  void watchFiresAfterChange() throws Exception {
    try (Database db = EmbeddedFdb.inMemory()) {
      CompletableFuture<Void> w = db.run(tr -> tr.watch(b("w")));
      Thread.sleep(20);
      assertThat(w).isNotDone();
      db.run(
          tr -> {
            tr.set(b("w"), b("1"));
            return null;
          });
      w.get(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void versionstampedKeysAreOrdered() {
    try (Database db = EmbeddedFdb.inMemory()) {
      for (int i = 0; i < 3; i++) {
        db.run(
            tr -> {
              byte[] key = new byte[] {'v', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0};
              tr.mutate(MutationType.SET_VERSIONSTAMPED_KEY, key, b("x"));
              return null;
            });
      }
      List<KeyValue> rows = db.run(tr -> tr.getRange(b("v"), b("w")).asList().join());
      assertThat(rows).hasSize(3);
    }
  }

  @Test
  void durableStoreKeepsCommitsAcrossReopenAndCheckpoints(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    try (Database db = EmbeddedFdb.builder().directory(dir).checkpointBytes(4096).build()) {
      for (int i = 0; i < 2000; i++) {
        int n = i;
        db.run(
            tr -> {
              tr.set(b("k" + (n % 300)), b("v" + n));
              return null;
            });
      }
      Thread.sleep(300); // let maintenance write at least one checkpoint
    }
    try (Database db = EmbeddedFdb.open(dir)) {
      List<KeyValue> rows = db.run(tr -> tr.getRange(b("k"), b("l")).asList().join());
      assertThat(rows).hasSize(300);
      byte[] last = db.run(tr -> tr.get(b("k" + (1999 % 300))).join());
      assertThat(last).isEqualTo(b("v1999"));
      assertThatThrownBy(() -> EmbeddedFdb.open(dir))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("already open");
    }
  }

  @Test
  void directoryLayerWorks() {
    try (Database db = EmbeddedFdb.inMemory()) {
      DirectorySubspace dir =
          DirectoryLayer.getDefault().createOrOpen(db, List.of("fdbmeta", "test")).join();
      db.run(
          tr -> {
            tr.set(dir.pack(Tuple.from("x")), b("1"));
            return null;
          });
      DirectorySubspace again =
          DirectoryLayer.getDefault().open(db, List.of("fdbmeta", "test")).join();
      byte[] value = db.run(tr -> tr.get(again.pack(Tuple.from("x"))).join());
      assertThat(value).isEqualTo(b("1"));
      assertThat(DirectoryLayer.getDefault().list(db, List.of("fdbmeta")).join())
          .containsExactly("test");
    }
  }
}
