package io.fdbmeta.embedded;

import io.fdbmeta.wire.ClusterTls;
import io.fdbmeta.wire.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/*
 * An EmbeddedDatabase served over TCP to RemoteCluster clients (protocol: StoreProtocol). Each
 * accepted connection gets this pipeline, one named step each:
 *
 *   flush       FlushConsolidationHandler: the replies to one read of pipelined requests leave in
 *               one write system call
 *   frames      length-prefixed frames up to StoreProtocol.MAX_FRAME, rejected as soon as a longer
 *               length arrives
 *   decoder     frame -> request; every inner length checked against the frame
 *   encoder     reply -> frame
 *   connection  StoreConnection: the requests, the connection's read versions and watches, and
 *               backpressure (reading stops while the channel is above its write water mark)
 *
 * A decoding error closes that connection only. Beyond MAX_CONNECTIONS a new connection is closed
 * before anything of it is read. Two worker threads: store calls are quick and run on the loop.
 */
/**
 * Serves an {@link EmbeddedDatabase} to clients in other processes. Closing the server closes its
 * connections (their read versions and watches go with them) but not the database: its owner closes
 * it.
 */
public final class StoreServer implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(StoreServer.class.getName());

  /** Connections served at once; more are closed when accepted. */
  static final int MAX_CONNECTIONS = 4096;

  private static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(1 << 20, 4 << 20);
  private static final int FLUSH_AFTER_WRITES = 256;

  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final ChannelGroup connections;
  private final Channel listener;
  private final InetSocketAddress address;
  private final AtomicBoolean closed = new AtomicBoolean();

  private StoreServer(
      EventLoopGroup boss, EventLoopGroup workers, ChannelGroup connections, Channel listener) {
    this.boss = boss;
    this.workers = workers;
    this.connections = connections;
    this.listener = listener;
    this.address = (InetSocketAddress) listener.localAddress();
  }

  /**
   * Listens on {@code listen} (port 0: any free port, see {@link #address()}) and serves {@code
   * db}.
   *
   * @throws IllegalStateException if it cannot listen there; the message names the address and why
   *     (address already in use, ...)
   */
  public static StoreServer start(EmbeddedDatabase db, InetSocketAddress listen) {
    return serve(db.cluster(), listen, MAX_CONNECTIONS, null);
  }

  /**
   * As {@link #start(EmbeddedDatabase, InetSocketAddress)}, over TLS with this certificate, taking
   * only clients with a certificate that {@code tls}'s CA signed.
   */
  public static StoreServer start(EmbeddedDatabase db, InetSocketAddress listen, ClusterTls tls) {
    return serve(db.cluster(), listen, MAX_CONNECTIONS, tls);
  }

  /** Serves any cluster (tests wrap the database's), with a connection limit. */
  static StoreServer serve(
      Cluster cluster, InetSocketAddress listen, int maxConnections, @Nullable ClusterTls tls) {
    DefaultThreadFactory threads = new DefaultThreadFactory("store-server", true);
    Transport transport = Transport.preferred();
    EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, threads, transport.ioHandlerFactory());
    EventLoopGroup workers =
        new MultiThreadIoEventLoopGroup(2, threads, transport.ioHandlerFactory());
    ChannelGroup connections = new DefaultChannelGroup("store-server", boss.next());
    ServerBootstrap bootstrap =
        new ServerBootstrap()
            .group(boss, workers)
            .channel(transport.serverSocketChannel())
            .option(ChannelOption.SO_REUSEADDR, true)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
            .childHandler(new Initializer(cluster, connections, maxConnections, tls));
    try {
      Channel listener = bootstrap.bind(listen).sync().channel();
      return new StoreServer(boss, workers, connections, listener);
    } catch (Exception e) {
      if (e instanceof InterruptedException) Thread.currentThread().interrupt();
      shutdown(boss);
      shutdown(workers);
      throw new IllegalStateException(
          "store server cannot listen on "
              + listen.getHostString()
              + ":"
              + listen.getPort()
              + ": "
              + e.getMessage(),
          e);
    }
  }

  /** The address the server listens on, with the port it bound. */
  public InetSocketAddress address() {
    return address;
  }

  /** Stops accepting, closes every connection and stops the server's threads. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) return;
    listener.close().syncUninterruptibly();
    connections.close().awaitUninterruptibly();
    shutdown(boss);
    shutdown(workers);
  }

  private static void shutdown(EventLoopGroup group) {
    group.shutdownGracefully(0, 5, TimeUnit.SECONDS).awaitUninterruptibly();
  }

  /** Sets up each accepted connection, within the connection limit. */
  private static final class Initializer extends ChannelInitializer<SocketChannel> {
    private final Cluster cluster;
    private final ChannelGroup connections;
    private final AtomicLong newestVersion = new AtomicLong();
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicBoolean refusing = new AtomicBoolean();
    private final int maxConnections;
    private final @Nullable ClusterTls tls;

    Initializer(
        Cluster cluster, ChannelGroup connections, int maxConnections, @Nullable ClusterTls tls) {
      this.cluster = cluster;
      this.connections = connections;
      this.maxConnections = maxConnections;
      this.tls = tls;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
      int now = open.incrementAndGet();
      ch.closeFuture().addListener(f -> open.decrementAndGet());
      if (now > maxConnections) {
        if (refusing.compareAndSet(false, true)) { // one line per episode, not per connection
          LOG.log(
              System.Logger.Level.WARNING,
              "store server has "
                  + maxConnections
                  + " connections open, its limit; closing new ones, starting with "
                  + ch.remoteAddress());
        }
        ch.close();
        return;
      }
      refusing.set(false);
      connections.add(ch);
      ch.pipeline().addLast("flush", new FlushConsolidationHandler(FLUSH_AFTER_WRITES, true));
      StoreProtocol.serverPipeline(ch.pipeline());
      ch.pipeline().addLast("connection", new StoreConnection(cluster, newestVersion));
      if (tls != null) tls.serveAnyCertificate(ch.pipeline());
    }
  }
}
