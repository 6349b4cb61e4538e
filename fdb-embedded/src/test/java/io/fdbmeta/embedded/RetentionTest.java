package io.fdbmeta.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.apple.foundationdb.FDBException;
import com.apple.foundationdb.Transaction;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * Old versions are kept while a transaction holds a read version at or below them or the client
 * asked for one, and never longer than the 5 s lifetime; reads still see exactly their snapshot.
 */
class RetentionTest {
  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static @Nullable String s(byte @Nullable [] v) {
    return v == null ? null : new String(v, StandardCharsets.UTF_8);
  }

  private static void set(EmbeddedDatabase db, String key, String value) {
    db.run(
        tr -> {
          tr.set(b(key), b(value));
          return null;
        });
  }

  private static void clear(EmbeddedDatabase db, String key) {
    db.run(
        tr -> {
          tr.clear(b(key));
          return null;
        });
  }

  private static int errorCode(Throwable t) {
    Throwable c = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    return c instanceof FDBException ? ((FDBException) c).getCode() : -1;
  }

  @Test
  void aReaderKeepsItsSnapshotWhileWritersChurnAndPruningRuns() {
    try (EmbeddedDatabase db = EmbeddedFdb.inMemory()) {
      Store store = db.store();
      for (int i = 0; i < 5; i++) set(db, "k", "v" + i);
      set(db, "gone", "x");
      try (Transaction reader = db.createTransaction()) {
        assertThat(s(reader.get(b("k")).join()))
            .isEqualTo("v4"); // takes and holds the read version
        for (int i = 0; i < 200; i++) {
          set(db, "k", "w" + i);
          set(db, "n/" + (i % 10), "w" + i);
        }
        clear(db, "gone");
        store.maintainNow();
        // Everything below the reader's version is gone, its own version of k and later ones stay.
        assertThat(store.versionCount(b("k"))).isEqualTo(201);
        assertThat(s(reader.get(b("k")).join())).isEqualTo("v4");
        assertThat(s(reader.get(b("gone")).join())).isEqualTo("x");
        assertThat(reader.getRange(b("n/"), b("n0")).asList().join()).isEmpty();
        assertThat(reader.getRange(b(""), b("z")).asList().join())
            .extracting(kv -> s(kv.getKey()))
            .containsExactly("gone", "k");
      }
      store.maintainNow();
      // Once the reader is gone, so is everything but the newest version; the cleared key entirely.
      assertThat(store.versionCount(b("k"))).isEqualTo(1);
      assertThat(store.versionCount(b("gone"))).isZero();
      assertThat(store.stats()).contains("conflictEntries=0", "readVersionsInUse=0");
      assertThat(s(db.read(tr -> tr.get(b("k")).join()))).isEqualTo("w199");
    }
  }

  @Test
  void oneCommitsSetsClearsAndRewritesOfOneKeyEndAsWrittenAndLeaveNothingToTrim() {
    try (EmbeddedDatabase db = EmbeddedFdb.inMemory()) {
      Store store = db.store();
      set(db, "old", "0");
      db.run(
          tr -> {
            // a run of sets out of key order, two of one key: the later one wins
            tr.set(b("c"), b("c1"));
            tr.set(b("a"), b("a1"));
            tr.set(b("c"), b("c2"));
            tr.set(b("b"), b("b1"));
            // a new key set, cleared and set again; another set then cleared; an old key cleared
            tr.set(b("d"), b("d1"));
            tr.clear(b("d"));
            tr.set(b("d"), b("d2"));
            tr.set(b("e"), b("e1"));
            tr.clear(b("e"));
            tr.clear(b("old"));
            tr.set(b("a"), b("a2"));
            return null;
          });
      assertThat(
              db.read(tr -> tr.getRange(b(""), b("z")).asList().join()).stream()
                  .map(kv -> s(kv.getKey()) + "=" + s(kv.getValue())))
          .containsExactly("a=a2", "b=b1", "c=c2", "d=d2");
      store.maintainNow();
      for (String k : List.of("a", "b", "c", "d")) assertThat(store.versionCount(b(k))).isOne();
      assertThat(store.versionCount(b("e"))).isZero();
      assertThat(store.versionCount(b("old"))).isZero();
    }
  }

  @Test
  void aReaderThatReadNothingYetStillHoldsItsVersion() {
    try (EmbeddedDatabase db = EmbeddedFdb.inMemory()) {
      set(db, "k", "old");
      try (Transaction reader = db.createTransaction()) {
        reader.snapshot().get(b("other")).join(); // a snapshot read takes the version too
        for (int i = 0; i < 20; i++) set(db, "k", "new" + i);
        db.store().maintainNow();
        assertThat(s(reader.get(b("k")).join())).isEqualTo("old");
      }
    }
  }

  @Test
  void versionsTheClientAskedForStayReadableAfterTheirTransactionCloses() {
    try (EmbeddedDatabase db = EmbeddedFdb.inMemory()) {
      set(db, "k", "before");
      long committed;
      try (Transaction tr = db.createTransaction()) {
        tr.set(b("k"), b("mine"));
        tr.commit().join();
        committed = tr.getCommittedVersion();
      }
      long readVersion;
      try (Transaction tr = db.createTransaction()) {
        readVersion = tr.getReadVersion().join();
      }
      for (int i = 0; i < 50; i++) set(db, "k", "later" + i);
      db.store().maintainNow();
      assertThat(s(readAt(db, committed, "k"))).isEqualTo("mine");
      assertThat(s(readAt(db, committed - 1, "k"))).isEqualTo("before");
      assertThat(s(readAt(db, readVersion, "k"))).isEqualTo("mine");
    }
  }

  @Test
  void aVersionstampTheClientAskedForStaysReadable() {
    try (EmbeddedDatabase db = EmbeddedFdb.inMemory()) {
      set(db, "k", "before");
      byte[] stamp;
      try (Transaction tr = db.createTransaction()) {
        tr.set(b("k"), b("mine"));
        var future = tr.getVersionstamp();
        tr.commit().join();
        stamp = future.join();
      }
      for (int i = 0; i < 50; i++) set(db, "k", "later" + i);
      db.store().maintainNow();
      long version = java.nio.ByteBuffer.wrap(stamp).getLong();
      assertThat(s(readAt(db, version, "k"))).isEqualTo("mine");
    }
  }

  private static byte @Nullable [] readAt(EmbeddedDatabase db, long version, String key) {
    try (Transaction tr = db.createTransaction()) {
      tr.setReadVersion(version);
      return tr.get(b(key)).join();
    }
  }

  @Test
  void anAbandonedTransactionHoldsVersionsForAtMostTheLifetime() {
    ShiftedClock clock = new ShiftedClock();
    try (EmbeddedDatabase db = EmbeddedFdb.builder().clock(clock).build()) {
      Store store = db.store();
      set(db, "k", "v0");
      Transaction abandoned = db.createTransaction(); // never closed
      abandoned.get(b("k")).join();
      for (int i = 1; i <= 10; i++) set(db, "k", "v" + i);
      store.maintainNow();
      assertThat(store.versionCount(b("k"))).isEqualTo(11);
      clock.advance(Duration.ofSeconds(6));
      set(db, "k", "v11");
      store.maintainNow();
      assertThat(store.versionCount(b("k"))).isLessThanOrEqualTo(2);
      assertThat(store.stats()).contains("readVersionsInUse=0");
      assertThatThrownBy(() -> abandoned.get(b("k")).join())
          .satisfies(e -> assertThat(errorCode(e)).isEqualTo(Errors.TRANSACTION_TOO_OLD));
    }
  }

  @Test
  void aVersionTheClientAskedForIsTooOldAfterTheLifetime() {
    ShiftedClock clock = new ShiftedClock();
    try (EmbeddedDatabase db = EmbeddedFdb.builder().clock(clock).build()) {
      set(db, "k", "v0");
      long readVersion = db.read(tr -> tr.getReadVersion().join());
      set(db, "k", "v1");
      db.store().maintainNow();
      assertThat(s(readAt(db, readVersion, "k"))).isEqualTo("v0");
      clock.advance(Duration.ofSeconds(6));
      set(db, "k", "v2");
      db.store().maintainNow();
      assertThatThrownBy(() -> readAt(db, readVersion, "k"))
          .satisfies(e -> assertThat(errorCode(e)).isEqualTo(Errors.TRANSACTION_TOO_OLD));
    }
  }

  /** Taking a read version races with pruning; a new transaction must never see 1007 for it. */
  @Test
  void newTransactionsNeverFindTheirVersionPrunedWhilePruningRuns() throws Exception {
    try (EmbeddedDatabase db = EmbeddedFdb.inMemory()) {
      Store store = db.store();
      AtomicBoolean stop = new AtomicBoolean();
      AtomicLong tooOld = new AtomicLong();
      AtomicLong reads = new AtomicLong();
      List<Thread> threads = new ArrayList<>();
      threads.add(
          new Thread(
              () -> {
                while (!stop.get()) store.maintainNow();
              }));
      threads.add(
          new Thread(
              () -> {
                for (int i = 0; !stop.get(); i++) set(db, "k" + (i % 100), "v" + i);
              }));
      for (int t = 0; t < 2; t++) {
        threads.add(
            new Thread(
                () -> {
                  while (!stop.get()) {
                    try (Transaction tr = db.createTransaction()) {
                      tr.get(b("k1")).join();
                      Thread.yield(); // let the writer and the pruner move on before reading again
                      tr.getRange(b("k"), b("l")).asList().join();
                      reads.incrementAndGet();
                    } catch (CompletionException e) {
                      if (errorCode(e) == Errors.TRANSACTION_TOO_OLD) tooOld.incrementAndGet();
                      else throw e;
                    }
                  }
                }));
      }
      threads.forEach(Thread::start);
      Thread.sleep(1_000);
      stop.set(true);
      for (Thread t : threads) t.join();
      assertThat(reads.get()).isPositive();
      assertThat(tooOld.get()).isZero();
    }
  }

  /** The system clock plus an offset the test moves forward. */
  static final class ShiftedClock extends Clock {
    private final AtomicLong offsetNanos = new AtomicLong();

    void advance(Duration d) {
      offsetNanos.addAndGet(d.toNanos());
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Instant instant() {
      return Instant.now().plusNanos(offsetNanos.get());
    }
  }
}
