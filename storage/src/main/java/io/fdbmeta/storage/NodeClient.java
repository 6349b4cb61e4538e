package io.fdbmeta.storage;

import io.fdbmeta.wire.ClusterTls;
import io.fdbmeta.wire.NodeCodec;
import io.fdbmeta.wire.NodeReply;
import io.fdbmeta.wire.NodeRequest;
import io.fdbmeta.wire.ReplyStatus;
import io.fdbmeta.wire.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * One connection to a storage node over the node protocol, opened on first use and again after it
 * closes. Requests are multiplexed by id: the caller keeps the ids of requests in flight on one
 * client distinct. Thread-safe.
 *
 * <p>{@link #send}'s future completes with the node's reply, or exceptionally with {@link
 * TimeoutException} after the timeout, {@link ClosedChannelException} if the connection closes
 * first, the connect failure, or {@link IllegalStateException} if the id is already in flight or
 * the peer refused the connection's HELLO.
 *
 * <p>With a {@link Handshake}, every new connection first says HELLO and is used only once the node
 * answered it OK (see {@link PeerAuth}).
 */
final class NodeClient implements AutoCloseable {
  /** What a peer connection says first. */
  interface Handshake {
    /** A HELLO with a fresh token, for a new connection. */
    NodeRequest hello();

    /** The connection that said {@code hello} closed: its token is void. */
    void closed(NodeRequest hello);
  }

  private final Bootstrap bootstrap;
  private final InetSocketAddress address;
  private final int connectTimeoutMillis;
  private final @Nullable Handshake handshake;
  private final Object lock = new Object();
  private @Nullable Connection current;
  private volatile boolean closed;

  NodeClient(
      EventLoopGroup group,
      InetSocketAddress address,
      int maxFrameBytes,
      int connectTimeoutMillis) {
    this(group, address, maxFrameBytes, connectTimeoutMillis, null, null);
  }

  /** With cluster TLS (null: plaintext) and, for a peer connection, the HELLO it says first. */
  NodeClient(
      EventLoopGroup group,
      InetSocketAddress address,
      int maxFrameBytes,
      int connectTimeoutMillis,
      @Nullable ClusterTls tls,
      @Nullable Handshake handshake) {
    this.address = address;
    this.connectTimeoutMillis = connectTimeoutMillis;
    this.handshake = handshake;
    this.bootstrap =
        new Bootstrap()
            .group(group)
            .channel(Transport.of(group).socketChannel())
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis)
            .handler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    NodeCodec.clientPipeline(ch.pipeline(), maxFrameBytes);
                    ch.pipeline().addLast("replies", new ReplyHandler());
                    if (tls != null) tls.dial(ch.pipeline());
                  }
                });
  }

  InetSocketAddress address() {
    return address;
  }

  CompletableFuture<NodeReply> send(NodeRequest request, long timeoutMillis) {
    Connection c;
    try {
      c = connection();
    } catch (IllegalStateException e) {
      return CompletableFuture.failedFuture(e);
    }
    return c.connected.thenCompose(ch -> c.send(ch, request, timeoutMillis));
  }

  private Connection connection() {
    synchronized (lock) {
      if (closed) throw new IllegalStateException("client of " + address + " is closed");
      Connection c = current;
      if (c != null && !c.failed()) return c;
      Connection next = new Connection();
      current = next;
      ChannelFuture f = bootstrap.clone().attr(Connection.KEY, next).connect(address);
      next.channel = f.channel();
      f.addListener(
          done -> {
            if (done.isSuccess()) {
              greet(next, f.channel());
            } else {
              next.connected.completeExceptionally(done.cause());
            }
          });
      return next;
    }
  }

  /** Completes {@code c.connected} once the channel may carry requests: at once, or after HELLO. */
  private void greet(Connection c, Channel ch) {
    Handshake h = handshake;
    if (h == null) {
      c.connected.complete(ch);
      return;
    }
    NodeRequest hello = h.hello();
    ch.closeFuture().addListener(x -> h.closed(hello));
    c.send(ch, hello, connectTimeoutMillis)
        .whenComplete(
            (reply, e) -> {
              if (e == null && reply.status() == ReplyStatus.OK) {
                c.connected.complete(ch);
                return;
              }
              c.connected.completeExceptionally(
                  new IllegalStateException(
                      "node at "
                          + address
                          + " did not accept this node's HELLO: "
                          + (e != null ? Async.describe(e) : reply.message())));
              ch.close();
            });
  }

  /** Closes the connection; requests in flight fail with ClosedChannelException. */
  @Override
  public void close() {
    Connection c;
    synchronized (lock) {
      closed = true;
      c = current;
      current = null;
    }
    if (c != null && c.channel != null) c.channel.close();
  }

  /** One channel and the requests waiting on it. */
  private static final class Connection {
    static final AttributeKey<Connection> KEY = AttributeKey.valueOf("fdbmeta.node-connection");
    final CompletableFuture<Channel> connected = new CompletableFuture<>();
    final ConcurrentHashMap<Long, CompletableFuture<NodeReply>> pending = new ConcurrentHashMap<>();
    volatile @Nullable Channel channel;
    volatile boolean inactive;

    boolean failed() {
      return inactive || connected.isCompletedExceptionally();
    }

    CompletableFuture<NodeReply> send(Channel ch, NodeRequest request, long timeoutMillis) {
      CompletableFuture<NodeReply> f = new CompletableFuture<>();
      if (pending.putIfAbsent(request.id(), f) != null) {
        return CompletableFuture.failedFuture(
            new IllegalStateException("request id " + request.id() + " is already in flight"));
      }
      if (inactive) {
        pending.remove(request.id(), f);
        return CompletableFuture.failedFuture(new ClosedChannelException());
      }
      ScheduledFuture<?> timer =
          ch.eventLoop()
              .schedule(
                  () -> {
                    if (pending.remove(request.id(), f)) {
                      f.completeExceptionally(
                          new TimeoutException(
                              request.op()
                                  + " "
                                  + request.id()
                                  + " to "
                                  + ch.remoteAddress()
                                  + " got no reply within "
                                  + timeoutMillis
                                  + " ms"));
                    }
                  },
                  timeoutMillis,
                  TimeUnit.MILLISECONDS);
      f.whenComplete((r, e) -> timer.cancel(false));
      ch.writeAndFlush(request)
          .addListener(
              w -> {
                if (!w.isSuccess() && pending.remove(request.id(), f))
                  f.completeExceptionally(w.cause());
              });
      return f;
    }

    void closed() {
      inactive = true;
      for (Long id : pending.keySet()) {
        CompletableFuture<NodeReply> f = pending.remove(id);
        if (f != null) f.completeExceptionally(new ClosedChannelException());
      }
    }
  }

  private static final class ReplyHandler extends SimpleChannelInboundHandler<NodeReply> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, NodeReply reply) {
      Connection c = ctx.channel().attr(Connection.KEY).get();
      CompletableFuture<NodeReply> f = c == null ? null : c.pending.remove(reply.id());
      if (f != null) f.complete(reply);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      Connection c = ctx.channel().attr(Connection.KEY).get();
      if (c != null) c.closed();
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close(); // a reply we cannot decode: the stream cannot be trusted any more
    }
  }
}
