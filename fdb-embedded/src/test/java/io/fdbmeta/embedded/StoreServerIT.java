package io.fdbmeta.embedded;

import static io.fdbmeta.embedded.StoreServerFixture.ANY_PORT;
import static io.fdbmeta.embedded.StoreServerFixture.b;
import static io.fdbmeta.embedded.StoreServerFixture.frame;
import static io.fdbmeta.embedded.StoreServerFixture.getPayload;
import static io.fdbmeta.embedded.StoreServerFixture.hostPort;
import static io.fdbmeta.embedded.StoreServerFixture.set;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The store server against hostile bytes, many clients, and its own lifecycle. */
class StoreServerIT {
  private final EmbeddedDatabase db = EmbeddedFdb.inMemory();
  private final StoreServer server = StoreServer.start(db, ANY_PORT);

  @AfterEach
  void close() {
    server.close();
    db.close();
  }

  private Socket rawClient() throws IOException {
    Socket s = new Socket("127.0.0.1", server.address().getPort());
    s.setSoTimeout(5000);
    return s;
  }

  /** True if the server closed {@code s} (end of stream or reset) without answering. */
  private static boolean closedByServer(Socket s) throws IOException {
    try {
      return s.getInputStream().read() == -1;
    } catch (SocketException reset) {
      return true;
    }
  }

  /** A fresh client's round trip, timed: the server still answers others at once. */
  private void answersAnotherClientAtOnce() {
    try (RemoteCluster other = RemoteCluster.connect(hostPort(server))) {
      long start = System.nanoTime();
      Cluster.ReadVersion rv = other.readVersion().join();
      other.get(b("k"), rv.version()).join();
      rv.release();
      assertThat(System.nanoTime() - start).isLessThan(TimeUnit.SECONDS.toNanos(1));
    }
  }

  @Test
  void garbageClosesThatConnectionOnly() throws IOException {
    try (Socket bystander = rawClient();
        Socket s = rawClient()) {
      s.getOutputStream().write(b("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
      assertThat(closedByServer(s)).isTrue();
      bystander.getOutputStream().write(frame(StoreMessage.Type.GRV, 1, new byte[] {0, 0, 0, 1}));
      InputStream in = bystander.getInputStream();
      assertThat(ByteBuffer.wrap(in.readNBytes(4)).getInt()).isEqualTo(5 + 8); // OK_VERSION
    }
    answersAnotherClientAtOnce();
  }

  @Test
  void anUnknownMessageTypeClosesTheConnection() throws IOException {
    try (Socket s = rawClient()) {
      s.getOutputStream().write(new byte[] {0, 0, 0, 5, (byte) 0xEE, 0, 0, 0, 1});
      assertThat(closedByServer(s)).isTrue();
    }
    answersAnotherClientAtOnce();
  }

  @Test
  void aFrameHeaderClaiming2GiBIsClosedAtOnceWithoutBuffering() throws IOException {
    Runtime rt = Runtime.getRuntime();
    long before = rt.totalMemory() - rt.freeMemory();
    try (Socket s = rawClient()) {
      OutputStream out = s.getOutputStream();
      out.write(new byte[] {(byte) 0x80, 0, 0, 0, 7, 0, 0, 0, 1});
      out.write(new byte[64 << 10]);
      assertThat(closedByServer(s)).isTrue();
    }
    answersAnotherClientAtOnce();
    assertThat(rt.totalMemory() - rt.freeMemory() - before).isLessThan(256L << 20);
  }

  @Test
  void anInnerLengthLargerThanItsFrameClosesTheConnection() throws IOException {
    ByteBuffer payload = ByteBuffer.allocate(8 + 4).putLong(1).putInt(1_000_000);
    try (Socket s = rawClient()) {
      s.getOutputStream().write(frame(StoreMessage.Type.GET, 1, payload.array()));
      assertThat(closedByServer(s)).isTrue();
    }
    answersAnotherClientAtOnce();
  }

  @Test
  void aClientThatSendsGetsAndNeverReadsStallsOnlyItself() throws Exception {
    set(db.cluster(), b("big"), new byte[100_000]);
    long rv = db.cluster().readVersion().join().version();
    byte[] get = frame(StoreMessage.Type.GET, 1, getPayload(rv, b("big")));
    ByteArrayOutputStream batch = new ByteArrayOutputStream();
    for (int i = 0; i < 10_000; i++) batch.write(get);
    byte[] gets = batch.toByteArray(); // 10,000 GETs asking for 1 GB of replies in all
    AtomicLong sent = new AtomicLong();
    try (Socket greedy = rawClient()) {
      Thread writer =
          new Thread(
              () -> {
                try {
                  OutputStream out = greedy.getOutputStream();
                  for (int i = 0; i < 100; i++) {
                    out.write(gets);
                    sent.addAndGet(10_000);
                  }
                } catch (IOException closed) {
                  // the test closed the socket
                }
              });
      writer.setDaemon(true);
      writer.start();
      Thread.sleep(1000);
      answersAnotherClientAtOnce();
      // The server stopped reading: the writer is stuck long before its million GETs are out.
      assertThat(writer.isAlive()).isTrue();
      assertThat(sent.get()).isLessThan(1_000_000);
      long heap = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
      assertThat(heap).isLessThan(1L << 30);
    }
    answersAnotherClientAtOnce();
  }

  @Test
  void twoHundredClientsAtOnceEachCommitAndRead() {
    List<RemoteCluster> clients = new ArrayList<>();
    try {
      for (int i = 0; i < 200; i++) clients.add(RemoteCluster.connect(hostPort(server)));
      List<CompletableFuture<byte[]>> reads = new ArrayList<>();
      for (int i = 0; i < clients.size(); i++) {
        RemoteCluster c = clients.get(i);
        byte[] key = b("client" + i);
        reads.add(
            c.readVersion()
                .thenCompose(
                    rv ->
                        c.commit(
                                new CommitRequest(
                                    rv.version(),
                                    List.of(KeyRange.single(key)),
                                    List.of(KeyRange.single(key)),
                                    List.of(Mutation.set(key, key))))
                            .whenComplete((r, e) -> rv.release()))
                .thenCompose(
                    committed ->
                        c.readVersion()
                            .thenCompose(
                                rv ->
                                    c.get(key, rv.version())
                                        .whenComplete((v, e) -> rv.release()))));
      }
      for (int i = 0; i < reads.size(); i++) {
        assertThat(reads.get(i).orTimeout(30, TimeUnit.SECONDS).join()).isEqualTo(b("client" + i));
      }
    } finally {
      clients.forEach(RemoteCluster::close);
    }
  }

  @Test
  void connectionsBeyondTheLimitAreClosed() throws Exception {
    try (StoreServer small = StoreServer.serve(db.cluster(), ANY_PORT, 2, null)) {
      List<Socket> sockets = new ArrayList<>();
      try {
        for (int i = 0; i < 3; i++) {
          Socket s = new Socket("127.0.0.1", small.address().getPort());
          s.setSoTimeout(5000);
          sockets.add(s);
        }
        int answered = 0;
        for (Socket s : sockets) { // which one is refused depends on which loop set it up first
          if (answersGrv(s)) answered++;
        }
        assertThat(answered).isEqualTo(2);
      } finally {
        for (Socket s : sockets) s.close();
      }
      // Once they are gone a new connection is served again.
      StoreServerFixture.eventually(
          5,
          () -> {
            try (Socket d = new Socket("127.0.0.1", small.address().getPort())) {
              d.setSoTimeout(1000);
              return answersGrv(d);
            } catch (IOException e) {
              return false;
            }
          });
    }
  }

  /** True if {@code s} answers a GRV, false if the server closed it. */
  private static boolean answersGrv(Socket s) throws IOException {
    try {
      s.getOutputStream().write(frame(StoreMessage.Type.GRV, 1, new byte[] {0, 0, 0, 1}));
      return s.getInputStream().readNBytes(4).length == 4;
    } catch (SocketException reset) {
      return false;
    }
  }

  @Test
  void aPortInUseIsNamedWithTheCause() {
    InetSocketAddress taken = new InetSocketAddress("127.0.0.1", server.address().getPort());
    assertThatThrownBy(() -> StoreServer.start(db, taken))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("127.0.0.1:" + taken.getPort())
        .satisfies(e -> assertThat(e.getMessage()).containsIgnoringCase("address already in use"));
  }

  @Test
  void closingTheServerLeavesTheDatabaseOpen() {
    StoreServer other = StoreServer.start(db, ANY_PORT);
    other.close();
    other.close(); // twice is fine
    assertThat(db.store().isClosed()).isFalse();
    set(db.cluster(), b("k"), b("still open"));
  }

  @Test
  void theServersThreadsAreDaemonsNamedStoreServer() {
    answersAnotherClientAtOnce();
    List<Thread> threads =
        Thread.getAllStackTraces().keySet().stream()
            .filter(t -> t.getName().startsWith("store-server-"))
            .toList();
    assertThat(threads).isNotEmpty().allMatch(Thread::isDaemon);
  }
}
