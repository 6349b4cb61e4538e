package io.fdbmeta.embedded;

import io.fdbmeta.embedded.RemoteConnection.Call;
import io.fdbmeta.embedded.RemoteConnection.Kind;
import io.fdbmeta.wire.ClusterTls;
import io.fdbmeta.wire.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/*
 * The Cluster of a database that a StoreServer serves from another process, over one TCP
 * connection (protocol: StoreProtocol; the connection itself: RemoteConnection).
 *
 * The connection is made, and made again whenever it is lost, on the client's one event-loop
 * thread: after a loss the next attempt waits 10 ms, doubling up to 1 s, and the wait starts over
 * once connected. This goes on until close(), so a server restarted on the same address is picked
 * up without the user doing anything. While there is no connection a request fails at once with
 * 1037 process_behind (retryable): the transaction's retry loop and its backoff are the wait, as
 * with FoundationDB's client when it cannot reach the cluster.
 *
 * A lost connection fails what was in flight as FoundationDB's client does: a commit with 1021
 * commit_unknown_result (it may have been applied), reads and GRVs with 1037, and watches complete
 * normally (a spurious fire; the caller re-reads and watches again). The server releases a lost
 * connection's read versions, so a ReadVersion from an old connection releases nothing.
 *
 * GRVs are batched (GrvBatcher); every other request goes out on its own, pipelined with the rest.
 *
 * Futures complete on the event-loop thread (those failed at once excepted): a caller must not
 * block in a stage it chains on one.
 */
/** A {@link Cluster} reached over TCP: the client of a {@link StoreServer}. */
final class RemoteCluster implements Cluster {
  private static final long FIRST_BACKOFF_MILLIS = 10;
  private static final long MAX_BACKOFF_MILLIS = 1000;
  private static final int CONNECT_TIMEOUT_MILLIS = 1000;
  private static final long DESCRIBE_TIMEOUT_MILLIS = 1000;

  private final String peer;
  private final InetSocketAddress address;
  private final Clock clock;
  private final EventLoopGroup group;
  private final EventLoop loop;
  private final Bootstrap bootstrap;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final CompletableFuture<Void> firstAttempt = new CompletableFuture<>();
  private final GrvBatcher grvs;
  private volatile @Nullable RemoteConnection connection;
  private long backoffMillis = FIRST_BACKOFF_MILLIS; // event loop only

  private RemoteCluster(InetSocketAddress address, Clock clock, @Nullable ClusterTls tls) {
    this.address = address;
    this.peer = address.getHostString() + ":" + address.getPort();
    this.clock = clock;
    Transport transport = Transport.preferred();
    this.group =
        new MultiThreadIoEventLoopGroup(
            1, new DefaultThreadFactory("store-client", true), transport.ioHandlerFactory());
    this.loop = group.next();
    this.grvs = new GrvBatcher(() -> connection, peer);
    Consumer<RemoteConnection> onLost = this::lost;
    this.bootstrap =
        new Bootstrap()
            .group(loop)
            .channel(transport.socketChannel())
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MILLIS)
            .handler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    StoreProtocol.clientPipeline(ch.pipeline());
                    ch.pipeline().addLast("calls", new RemoteConnection(ch, peer, onLost));
                    if (tls != null) tls.dialAnyCertificate(ch.pipeline());
                  }
                });
  }

  /** A client of the store server at {@code hostPort}, with the system clock. */
  static RemoteCluster connect(String hostPort) {
    return connect(hostPort, Clock.systemUTC(), null);
  }

  /**
   * A client of the store server at {@code hostPort} ("host:port"), over mutual TLS if {@code tls}
   * is given. Waits for the first attempt to connect (at most about a second) but not for its
   * success: without a server, requests fail with 1037 until one answers.
   *
   * @throws IllegalArgumentException if {@code hostPort} is not host:port
   */
  static RemoteCluster connect(String hostPort, Clock clock, @Nullable ClusterTls tls) {
    RemoteCluster cluster = new RemoteCluster(parse(hostPort), clock, tls);
    cluster.loop.execute(cluster::connectNow);
    try {
      cluster.firstAttempt.get(CONNECT_TIMEOUT_MILLIS + 500, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // still connecting: requests fail with 1037 until it does
    }
    return cluster;
  }

  static InetSocketAddress parse(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    if (colon <= 0 || colon == hostPort.length() - 1) {
      throw new IllegalArgumentException(
          "store server address must be host:port, got '" + hostPort + "'");
    }
    String host = hostPort.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
    int port;
    try {
      port = Integer.parseInt(hostPort.substring(colon + 1));
    } catch (NumberFormatException e) {
      port = -1;
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException(
          "store server port must be 1 to 65535, got '" + hostPort.substring(colon + 1) + "'");
    }
    return InetSocketAddress.createUnresolved(host, port);
  }

  /** True while a connection is up (for tests and diagnostics). */
  boolean isConnected() {
    RemoteConnection c = connection;
    return c != null && !c.isLost();
  }

  // ---------------------------------------------------------------- Cluster

  @Override
  public Clock clock() {
    return clock;
  }

  @Override
  public CompletableFuture<ReadVersion> readVersion() {
    return grvs.next();
  }

  @Override
  public ReadVersion holdVersion(long version) {
    RemoteConnection c = connection;
    if (c != null) c.send(new StoreMessage.VersionNote(StoreMessage.Type.HOLD, version));
    return new RemoteConnection.Held(c, version);
  }

  @Override
  public void pin(long version) {
    RemoteConnection c = connection;
    if (c != null) c.send(new StoreMessage.VersionNote(StoreMessage.Type.PIN, version));
  }

  @Override
  public CompletableFuture<byte @Nullable []> get(byte[] key, long readVersion) {
    RemoteConnection c = connection;
    if (c == null) return CompletableFuture.failedFuture(RemoteConnection.notConnected(peer));
    Call call =
        c.call(Kind.READ, id -> new StoreMessage.Get(id, readVersion, key), Errors.KEY_TOO_LARGE);
    return map(call, r -> RemoteConnection.expect(r, StoreMessage.ValueReply.class).value());
  }

  @Override
  public CompletableFuture<RangePage> range(
      byte[] begin, byte[] end, boolean reverse, int rowLimit, long readVersion) {
    RemoteConnection c = connection;
    if (c == null) return CompletableFuture.failedFuture(RemoteConnection.notConnected(peer));
    Call call =
        c.call(
            Kind.READ,
            id -> new StoreMessage.Range(id, readVersion, begin, end, reverse, rowLimit),
            Errors.KEY_TOO_LARGE);
    return map(
        call,
        r -> {
          StoreMessage.RangeReply page = RemoteConnection.expect(r, StoreMessage.RangeReply.class);
          return new RangePage(page.rows(), page.more());
        });
  }

  @Override
  public CompletableFuture<CommitResult> commit(CommitRequest request) {
    RemoteConnection c = connection;
    if (c == null) return CompletableFuture.failedFuture(RemoteConnection.notConnected(peer));
    Call call =
        c.call(
            Kind.COMMIT, id -> new StoreMessage.Commit(id, request), Errors.TRANSACTION_TOO_LARGE);
    return map(call, r -> RemoteConnection.expect(r, StoreMessage.CommitReply.class).result());
  }

  @Override
  public CompletableFuture<Void> watch(byte[] key, byte @Nullable [] expected) {
    RemoteConnection c = connection;
    if (c == null) return CompletableFuture.failedFuture(RemoteConnection.notConnected(peer));
    Call call =
        c.call(
            Kind.WATCH,
            id -> new StoreMessage.Watch(id, key, expected),
            Errors.CLIENT_INVALID_OPERATION);
    CompletableFuture<Void> watch = map(call, r -> null);
    watch.whenComplete(
        (v, e) -> {
          if (c.forget(call)) c.send(new StoreMessage.CancelWatch(call.id)); // the caller cancelled
        });
    return watch;
  }

  /**
   * "fdb-embedded served by host:port" and, if the server answers within a second, its own
   * description (not waited for on the event loop).
   */
  @Override
  public String describe() {
    String base = "fdb-embedded served by " + peer;
    RemoteConnection c = connection;
    if (c == null) return base + " (not connected)";
    if (loop.inEventLoop()) return base;
    Call call = c.call(Kind.READ, StoreMessage.Describe::new, Errors.CLIENT_INVALID_OPERATION);
    try {
      StoreMessage reply = call.get(DESCRIBE_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
      return base + ": " + RemoteConnection.expect(reply, StoreMessage.TextReply.class).text();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      c.forget(call);
      return base;
    } catch (ExecutionException | TimeoutException | RuntimeException e) {
      c.forget(call);
      return base + " (no description: " + e + ")";
    }
  }

  /**
   * Fails requests in flight with 1101 operation_cancelled, stops reconnecting and stops the event
   * loop.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) return;
    RemoteConnection c = connection;
    connection = null;
    if (c != null) {
      c.fail(Errors.error(Errors.OPERATION_CANCELLED, "store client of " + peer + " closed"));
    }
    var terminated = group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    if (!loop.inEventLoop()) terminated.awaitUninterruptibly(2, TimeUnit.SECONDS);
  }

  // ---------------------------------------------------------------- connecting, on the event loop

  private void connectNow() {
    if (closed.get()) return;
    ChannelFuture f = bootstrap.connect(address);
    f.addListener(
        done -> {
          if (done.isSuccess()) {
            connected(f.channel());
          } else {
            firstAttempt.complete(null);
            retryLater();
          }
        });
  }

  private void connected(Channel ch) {
    RemoteConnection c = ch.pipeline().get(RemoteConnection.class);
    if (closed.get() || c == null) {
      ch.close();
      return;
    }
    backoffMillis = FIRST_BACKOFF_MILLIS;
    connection = c;
    firstAttempt.complete(null);
  }

  private void lost(RemoteConnection c) {
    if (connection == c) connection = null;
    retryLater();
  }

  private void retryLater() {
    if (closed.get()) return;
    long delay = backoffMillis;
    backoffMillis = Math.min(backoffMillis * 2, MAX_BACKOFF_MILLIS);
    try {
      loop.schedule(this::connectNow, delay, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // closing
    }
  }

  // ---------------------------------------------------------------- replies

  /** A future of {@code f} applied to the call's reply, failing as the call does (unwrapped). */
  private static <T> CompletableFuture<T> map(Call call, Function<StoreMessage, T> f) {
    CompletableFuture<T> result = new CompletableFuture<>();
    call.whenComplete(
        (reply, e) -> {
          if (e != null) {
            result.completeExceptionally(e);
            return;
          }
          try {
            result.complete(f.apply(reply));
          } catch (RuntimeException x) {
            result.completeExceptionally(x);
          }
        });
    return result;
  }
}
