package io.fdbmeta.embedded;

import static io.fdbmeta.embedded.StoreServerFixture.ANY_PORT;
import static io.fdbmeta.embedded.StoreServerFixture.b;
import static io.fdbmeta.embedded.StoreServerFixture.errorCode;
import static io.fdbmeta.embedded.StoreServerFixture.eventually;
import static io.fdbmeta.embedded.StoreServerFixture.hostPort;
import static io.fdbmeta.embedded.StoreServerFixture.set;
import static org.assertj.core.api.Assertions.assertThat;

import com.apple.foundationdb.KeyValue;
import com.apple.foundationdb.MutationType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** RemoteCluster against a real StoreServer on 127.0.0.1: the Cluster contract over TCP. */
class RemoteClusterIT {
  private final EmbeddedDatabase db = EmbeddedFdb.inMemory();
  private final StoreServer server = StoreServer.start(db, ANY_PORT);
  private final RemoteCluster remote = RemoteCluster.connect(hostPort(server));

  @AfterEach
  void close() {
    remote.close();
    server.close();
    db.close();
  }

  @Test
  void commitGetAndRangeRoundTrip() {
    CommitResult first = set(remote, b("a"), b("1"));
    set(remote, b("b"), b("2"));
    set(remote, b("c"), b("3"));
    Cluster.ReadVersion rv = remote.readVersion().join();
    assertThat(rv.version()).isGreaterThan(first.version());
    assertThat(remote.get(b("b"), rv.version()).join()).isEqualTo(b("2"));
    assertThat(remote.get(b("zz"), rv.version()).join()).isNull();
    Cluster.RangePage all = remote.range(b("a"), b("z"), false, 100, rv.version()).join();
    assertThat(all.rows()).extracting(kv -> new String(kv.getKey())).containsExactly("a", "b", "c");
    assertThat(all.more()).isFalse();
    Cluster.RangePage lastTwo = remote.range(b("a"), b("z"), true, 2, rv.version()).join();
    assertThat(lastTwo.rows()).extracting(kv -> new String(kv.getKey())).containsExactly("c", "b");
    assertThat(lastTwo.more()).isTrue();
    rv.release();
  }

  @Test
  void aVersionstampedKeyCarriesTheCommitsVersionstamp() {
    byte[] key =
        ByteBuffer.allocate(1 + 10 + 4)
            .order(ByteOrder.LITTLE_ENDIAN)
            .put((byte) 'v')
            .put(new byte[10])
            .putInt(1)
            .array();
    Cluster.ReadVersion rv = remote.readVersion().join();
    CommitResult result =
        remote
            .commit(
                new CommitRequest(
                    rv.version(),
                    List.of(),
                    List.of(),
                    List.of(Mutation.atomic(MutationType.SET_VERSIONSTAMPED_KEY, key, b("x")))))
            .join();
    rv.release();
    assertThat(result.versionstamp()).hasSize(10);
    long now = remote.readVersion().join().version();
    List<KeyValue> rows = remote.range(b("v"), b("w"), false, 10, now).join().rows();
    assertThat(rows).hasSize(1);
    assertThat(Arrays.copyOfRange(rows.get(0).getKey(), 1, 11)).isEqualTo(result.versionstamp());
  }

  @Test
  void aRangeLargerThanOneReplyIsReadInPagesInBothDirections() {
    byte[] value = new byte[10_000];
    List<Mutation> sets = new ArrayList<>();
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      keys.add(String.format("r%03d", i));
      sets.add(Mutation.set(b(keys.get(i)), value));
    }
    remote
        .commit(
            new CommitRequest(remote.readVersion().join().version(), List.of(), List.of(), sets))
        .join();
    long rv = remote.readVersion().join().version();
    assertThat(pages(rv, false)).isEqualTo(keys);
    List<String> reversed = new ArrayList<>(keys);
    java.util.Collections.reverse(reversed);
    assertThat(pages(rv, true)).isEqualTo(reversed);
  }

  /** Every key of [r, s), reading page after page as a transaction does. */
  private List<String> pages(long rv, boolean reverse) {
    byte[] begin = b("r");
    byte[] end = b("s");
    List<String> keys = new ArrayList<>();
    int pages = 0;
    while (true) {
      Cluster.RangePage page = remote.range(begin, end, reverse, Integer.MAX_VALUE, rv).join();
      pages++;
      for (KeyValue kv : page.rows()) keys.add(new String(kv.getKey()));
      if (!page.more()) break;
      byte[] last = page.rows().get(page.rows().size() - 1).getKey();
      if (reverse) end = last;
      else begin = Bytes.keyAfter(last);
    }
    assertThat(pages).as("3 MB in replies of about 1 MiB").isBetween(3, 4);
    return keys;
  }

  @Test
  void aConflictFailsWith1020() {
    Cluster.ReadVersion rv = remote.readVersion().join();
    set(remote, b("k"), b("theirs"));
    CompletableFuture<CommitResult> mine =
        remote.commit(
            new CommitRequest(
                rv.version(),
                List.of(KeyRange.single(b("k"))),
                List.of(KeyRange.single(b("k"))),
                List.of(Mutation.set(b("k"), b("mine")))));
    assertThat(errorCode(mine)).isEqualTo(Errors.NOT_COMMITTED);
    rv.release();
  }

  @Test
  void aPrunedReadVersionFailsWith1007ForReadsAndCommits() {
    long old =
        remote
            .readVersion()
            .thenApply(
                rv -> {
                  rv.release();
                  return rv.version();
                })
            .join();
    set(db.cluster(), b("k"), b("1"));
    // The release travels on its own; the version goes once the server has had it.
    CompletableFuture<byte[]> read = new CompletableFuture<>();
    for (int i = 0; i < 100 && !read.isCompletedExceptionally(); i++) {
      db.store().maintainNow();
      read = remote.get(b("k"), old);
      read.exceptionally(e -> null).join();
    }
    assertThat(errorCode(read)).isEqualTo(Errors.TRANSACTION_TOO_OLD);
    assertThat(
            errorCode(
                remote.commit(
                    new CommitRequest(
                        old, List.of(), List.of(), List.of(Mutation.set(b("k"), b("2")))))))
        .isEqualTo(Errors.TRANSACTION_TOO_OLD);
  }

  @Test
  void aReadAtAFutureVersionFailsWith1009() {
    assertThat(errorCode(remote.get(b("k"), Long.MAX_VALUE))).isEqualTo(Errors.FUTURE_VERSION);
  }

  @Test
  void aHeldReadVersionStaysReadableAcrossPruning() {
    Cluster.ReadVersion held = remote.readVersion().join();
    set(remote, b("k"), b("1"));
    db.store().maintainNow();
    assertThat(remote.get(b("k"), held.version()).join()).isNull();
    held.release();
  }

  @Test
  void aVersionHeldBySetReadVersionStaysReadable() {
    long v =
        remote
            .readVersion()
            .thenApply(
                rv -> {
                  Cluster.ReadVersion again = remote.holdVersion(rv.version());
                  rv.release();
                  return again;
                })
            .join()
            .version();
    set(remote, b("k"), b("1"));
    db.store().maintainNow();
    assertThat(remote.get(b("k"), v).join()).isNull();
  }

  @Test
  void aWatchFiresWhenTheValueChanges() throws Exception {
    set(remote, b("w"), b("1"));
    CompletableFuture<Void> watch = remote.watch(b("w"), b("1"));
    Thread.sleep(50);
    assertThat(watch).isNotDone();
    set(remote, b("w"), b("2"));
    watch.get(5, TimeUnit.SECONDS);
  }

  @Test
  void aWatchOnAValueAlreadyChangedFiresAtOnce() throws Exception {
    set(remote, b("w"), b("1"));
    remote.watch(b("w"), b("0")).get(5, TimeUnit.SECONDS);
  }

  @Test
  void aCancelledWatchIsDroppedByTheServer() throws Exception {
    CompletableFuture<Void> watch = remote.watch(b("w"), null);
    watch.cancel(false);
    // CANCEL_WATCH follows WATCH on the same connection; a later watch still works normally.
    CompletableFuture<Void> second = remote.watch(b("w"), null);
    set(remote, b("w"), b("1"));
    second.get(5, TimeUnit.SECONDS);
    assertThat(watch).isCancelled();
  }

  @Test
  void errorsKeepTheirCodeAndMessage() {
    byte[] key = {'k', 100, 0, 0, 0};
    CompletableFuture<CommitResult> bad =
        remote.commit(
            new CommitRequest(
                remote.readVersion().join().version(),
                List.of(),
                List.of(),
                List.of(Mutation.atomic(MutationType.SET_VERSIONSTAMPED_KEY, key, b("v")))));
    assertThat(errorCode(bad)).isEqualTo(Errors.CLIENT_INVALID_OPERATION);
    assertThat(StoreServerFixture.errorMessage(bad)).contains("versionstamp offset 100");
  }

  @Test
  void aClosedClientsReadVersionsAreReleasedByTheServer() throws Exception {
    long held = remote.readVersion().join().version(); // never released by the caller
    set(db.cluster(), b("k"), b("1"));
    db.store().maintainNow();
    assertThat(db.cluster().get(b("k"), held).join()).isNull(); // still held
    remote.close();
    eventually(
        5,
        () -> {
          db.store().maintainNow();
          return db.cluster().get(b("k"), held).isCompletedExceptionally();
        });
  }

  @Test
  void describeNamesTheServerAndItsStore() {
    assertThat(remote.describe())
        .startsWith("fdb-embedded served by " + hostPort(server))
        .contains("fdb-embedded (memory)");
  }

  @Test
  void futuresCompleteOnTheClientsEventLoop() {
    CompletableFuture<String> thread =
        remote.watch(b("t"), null).thenApply(x -> Thread.currentThread().getName());
    set(remote, b("t"), b("1"));
    assertThat(thread.join()).startsWith("store-client-");
  }

  @Test
  void aDurableDatabaseAnswersCommitsOnceLoggedAndKeepsThem(@TempDir Path dir) {
    try (EmbeddedDatabase durable = EmbeddedFdb.open(dir);
        StoreServer logged = StoreServer.start(durable, ANY_PORT);
        RemoteCluster client = RemoteCluster.connect(hostPort(logged))) {
      for (int i = 0; i < 20; i++) set(client, b("d" + i), b("v" + i));
      Cluster.ReadVersion rv = client.readVersion().join();
      assertThat(client.range(b("d"), b("e"), false, 100, rv.version()).join().rows()).hasSize(20);
      rv.release();
    }
    try (EmbeddedDatabase reopened = EmbeddedFdb.open(dir)) {
      Cluster.ReadVersion rv = reopened.cluster().readVersion().join();
      assertThat(reopened.cluster().get(b("d19"), rv.version()).join()).isEqualTo(b("v19"));
      rv.release();
    }
  }

  @Test
  void manyCallersOnOneConnectionEachGetTheirOwnReply() throws Exception {
    List<Mutation> sets = new ArrayList<>();
    for (int i = 0; i < 1000; i++) sets.add(Mutation.set(b("m" + i), b("value of m" + i)));
    remote
        .commit(
            new CommitRequest(remote.readVersion().join().version(), List.of(), List.of(), sets))
        .join();
    long rv = remote.readVersion().join().version();
    List<Thread> callers = new ArrayList<>();
    List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    for (int t = 0; t < 8; t++) {
      int first = t;
      Thread caller =
          new Thread(
              () -> {
                List<CompletableFuture<byte[]>> reads = new ArrayList<>();
                for (int i = first; i < 1000; i += 8) reads.add(remote.get(b("m" + i), rv));
                for (int k = 0; k < reads.size(); k++) {
                  byte[] got = reads.get(k).join();
                  if (!Arrays.equals(got, b("value of m" + (first + 8 * k)))) {
                    failures.add(new AssertionError("m" + (first + 8 * k) + " got " + got));
                  }
                }
              });
      caller.setUncaughtExceptionHandler((th, e) -> failures.add(e));
      callers.add(caller);
      caller.start();
    }
    for (Thread caller : callers) caller.join(10_000);
    assertThat(callers).noneMatch(Thread::isAlive);
    assertThat(failures).isEmpty();
  }

  @Test
  void aGrvAfterACommitCompletedSeesItThoughGrvsAreBatched() throws Exception {
    List<Thread> threads = new ArrayList<>();
    List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    for (int t = 0; t < 8; t++) {
      byte[] key = b("causal" + t);
      Thread thread =
          new Thread(
              () -> {
                for (int i = 0; i < 100; i++) {
                  long committed = set(remote, key, b("v" + i)).version();
                  Cluster.ReadVersion rv = remote.readVersion().join();
                  if (rv.version() < committed) {
                    failures.add(new AssertionError(rv.version() + " < " + committed));
                  }
                  rv.release();
                }
              });
      thread.setUncaughtExceptionHandler((th, e) -> failures.add(e));
      threads.add(thread);
      thread.start();
    }
    for (Thread t : threads) t.join(30_000);
    assertThat(threads).noneMatch(Thread::isAlive);
    assertThat(failures).isEmpty();
  }

  @Test
  void everyCallerOfABatchedGrvReleasesItsOwnHold() throws Exception {
    List<CompletableFuture<Cluster.ReadVersion>> grvs = new ArrayList<>();
    for (int i = 0; i < 500; i++) grvs.add(remote.readVersion());
    List<Cluster.ReadVersion> held = grvs.stream().map(CompletableFuture::join).toList();
    long oldest = held.stream().mapToLong(Cluster.ReadVersion::version).min().orElseThrow();
    set(db.cluster(), b("k"), b("1"));
    db.store().maintainNow();
    assertThat(db.cluster().get(b("k"), oldest).join()).isNull(); // held
    held.forEach(Cluster.ReadVersion::release);
    eventually(
        5,
        () -> {
          db.store().maintainNow();
          return db.cluster().get(b("k"), oldest).isCompletedExceptionally();
        });
  }

  @Test
  void aBadAddressIsRefusedWithWhatIsWrong() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> RemoteCluster.connect("localhost"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("host:port");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> RemoteCluster.connect("h:99999"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("99999");
  }
}
