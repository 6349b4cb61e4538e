package io.fdbmeta.embedded;

import static io.fdbmeta.embedded.StoreServerFixture.b;
import static io.fdbmeta.embedded.StoreServerFixture.errorCode;
import static io.fdbmeta.embedded.StoreServerFixture.errorMessage;
import static io.fdbmeta.embedded.StoreServerFixture.eventually;
import static io.fdbmeta.embedded.StoreServerFixture.set;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What a RemoteCluster's callers see when the server goes away while requests are in flight, while
 * it is away, and when it comes back on the same port.
 */
class RemoteClusterFailureIT {
  private final EmbeddedDatabase db = EmbeddedFdb.inMemory();
  private final GatedCluster gated = new GatedCluster(db.cluster());
  private final int port = freePort();
  private final String hostPort = "127.0.0.1:" + port;
  private StoreServer server = serveGated();
  private final RemoteCluster remote = RemoteCluster.connect(hostPort);

  @AfterEach
  void close() {
    gated.gate.complete(null);
    remote.close();
    server.close();
    db.close();
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private StoreServer serveGated() {
    return StoreServer.serve(
        gated, new InetSocketAddress("127.0.0.1", port), StoreServer.MAX_CONNECTIONS, null);
  }

  private long readVersion() {
    Cluster.ReadVersion rv = remote.readVersion().join();
    rv.release();
    return rv.version();
  }

  @Test
  void aCommitInFlightWhenTheServerGoesAwayIsUnknownResult() throws Exception {
    CompletableFuture<CommitResult> commit =
        remote.commit(
            new CommitRequest(
                readVersion(), List.of(), List.of(), List.of(Mutation.set(b("k"), b("v")))));
    assertThat(gated.entered.await(5, TimeUnit.SECONDS)).isTrue();
    server.close();
    assertThat(errorCode(commit)).isEqualTo(Errors.COMMIT_UNKNOWN_RESULT);
  }

  @Test
  void aReadInFlightWhenTheServerGoesAwayIsProcessBehind() throws Exception {
    CompletableFuture<byte @Nullable []> read = remote.get(b("k"), readVersion());
    assertThat(gated.entered.await(5, TimeUnit.SECONDS)).isTrue();
    server.close();
    assertThat(errorCode(read)).isEqualTo(Errors.PROCESS_BEHIND);
    assertThat(errorMessage(read)).contains("connection to store server " + hostPort + " lost");
  }

  @Test
  void aWatchInFlightWhenTheServerGoesAwayCompletesNormally() throws Exception {
    CompletableFuture<Void> watch = remote.watch(b("w"), null);
    Thread.sleep(50);
    server.close();
    watch.get(5, TimeUnit.SECONDS);
  }

  @Test
  void requestsWhileDisconnectedFailAtOnceWith1037EvenCommits() throws Exception {
    long rv = readVersion();
    server.close();
    eventually(5, () -> !remote.isConnected());
    CompletableFuture<CommitResult> commit =
        remote.commit(
            new CommitRequest(rv, List.of(), List.of(), List.of(Mutation.set(b("k"), b("v")))));
    assertThat(commit).isDone();
    assertThat(errorCode(commit)).isEqualTo(Errors.PROCESS_BEHIND); // never sent: not 1021
    assertThat(errorCode(remote.readVersion())).isEqualTo(Errors.PROCESS_BEHIND);
    assertThat(errorCode(remote.get(b("k"), rv))).isEqualTo(Errors.PROCESS_BEHIND);
    assertThat(remote.describe()).contains("not connected");
  }

  @Test
  void aServerRestartedOnTheSamePortIsPickedUpWithoutANewClient() throws Exception {
    gated.gate.complete(null);
    set(remote, b("k"), b("before"));
    server.close();
    eventually(5, () -> !remote.isConnected());
    Thread.sleep(1500); // the backoff has reached its 1 s ceiling
    server = serveGated();
    eventually(3, remote::isConnected);
    long rv = readVersion();
    assertThat(remote.get(b("k"), rv).join()).isEqualTo(b("before"));
    set(remote, b("k"), b("after"));
  }

  @Test
  void aClientStartedBeforeItsServerConnectsOnceTheServerIsUp() throws Exception {
    int laterPort = freePort();
    try (RemoteCluster early = RemoteCluster.connect("127.0.0.1:" + laterPort)) {
      assertThat(errorCode(early.readVersion())).isEqualTo(Errors.PROCESS_BEHIND);
      try (StoreServer late =
          StoreServer.start(db, new InetSocketAddress("127.0.0.1", laterPort))) {
        assertThat(late.address().getPort()).isEqualTo(laterPort);
        eventually(3, early::isConnected);
        early.readVersion().join().release();
      }
    }
  }

  @Test
  void closeFailsWhatIsInFlightAndStopsTheClientsThread() throws Exception {
    CompletableFuture<Thread> loop =
        remote.watch(b("w"), null).thenApply(x -> Thread.currentThread());
    CompletableFuture<byte @Nullable []> read = remote.get(b("k"), readVersion());
    assertThat(gated.entered.await(5, TimeUnit.SECONDS)).isTrue();
    remote.close();
    assertThat(errorCode(read)).isEqualTo(Errors.OPERATION_CANCELLED);
    assertThat(errorCode(loop)).isEqualTo(Errors.OPERATION_CANCELLED);
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().startsWith("store-client-")) t.join(2000);
    }
    assertThat(Thread.getAllStackTraces().keySet())
        .noneMatch(t -> t.getName().startsWith("store-client-") && t.isAlive());
  }

  /** The database's cluster, with reads and commits held until the gate opens. */
  static final class GatedCluster implements Cluster {
    final Cluster inner;
    final CompletableFuture<Void> gate = new CompletableFuture<>();
    final CountDownLatch entered = new CountDownLatch(1);

    GatedCluster(Cluster inner) {
      this.inner = inner;
    }

    @Override
    public Clock clock() {
      return inner.clock();
    }

    @Override
    public CompletableFuture<ReadVersion> readVersion() {
      return inner.readVersion();
    }

    @Override
    public ReadVersion holdVersion(long version) {
      return inner.holdVersion(version);
    }

    @Override
    public void pin(long version) {
      inner.pin(version);
    }

    @Override
    public CompletableFuture<byte @Nullable []> get(byte[] key, long readVersion) {
      entered.countDown();
      return gate.thenCompose(x -> inner.get(key, readVersion));
    }

    @Override
    public CompletableFuture<RangePage> range(
        byte[] begin, byte[] end, boolean reverse, int rowLimit, long readVersion) {
      entered.countDown();
      return gate.thenCompose(x -> inner.range(begin, end, reverse, rowLimit, readVersion));
    }

    @Override
    public CompletableFuture<CommitResult> commit(CommitRequest request) {
      entered.countDown();
      return gate.thenCompose(x -> inner.commit(request));
    }

    @Override
    public CompletableFuture<Void> watch(byte[] key, byte @Nullable [] expected) {
      return inner.watch(key, expected);
    }

    @Override
    public String describe() {
      return inner.describe();
    }

    @Override
    public void close() {}
  }
}
