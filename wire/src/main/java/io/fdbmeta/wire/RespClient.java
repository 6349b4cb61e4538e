package io.fdbmeta.wire;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * A small pipelined RESP client on one connection: commands go out in call order and each returned
 * future completes with its reply (RESP answers in order). Thread-safe. Used by the demo workload,
 * benchmarks and tests, so that the router and a storage node are driven by the same client. If the
 * connection closes, every pending future fails with {@link ClosedChannelException}.
 */
public final class RespClient implements AutoCloseable {
  private final Channel channel;
  // Touched only on the channel's event loop.
  private final ArrayDeque<CompletableFuture<RespValue>> pending = new ArrayDeque<>();

  private RespClient(Channel channel) {
    this.channel = channel;
  }

  /**
   * Connects to {@code address} on {@code group} (NIO or epoll, see {@link Transport}).
   *
   * @throws IOException if the connection cannot be made
   */
  public static RespClient connect(EventLoopGroup group, InetSocketAddress address)
      throws IOException {
    return connect(group, address, null);
  }

  /**
   * As {@link #connect(EventLoopGroup, InetSocketAddress)}, with {@code outermost}'s handler (if
   * not null) first in the pipeline, nearest the socket: a TLS client's {@code SslHandler}, which
   * holds commands sent before its handshake until the handshake is done.
   */
  public static RespClient connect(
      EventLoopGroup group,
      InetSocketAddress address,
      @Nullable Function<Channel, ChannelHandler> outermost)
      throws IOException {
    RespClient[] client = new RespClient[1];
    Bootstrap b =
        new Bootstrap()
            .group(group)
            .channel(Transport.of(group).socketChannel())
            .option(ChannelOption.TCP_NODELAY, true)
            .handler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    client[0] = new RespClient(ch);
                    if (outermost != null) ch.pipeline().addLast("outermost", outermost.apply(ch));
                    ch.pipeline().addLast("replies", new RespReplyDecoder());
                    ch.pipeline().addLast("dispatch", client[0].new Dispatch());
                  }
                });
    ChannelFuture f = b.connect(address).awaitUninterruptibly();
    if (!f.isSuccess())
      throw new IOException(
          "cannot connect to " + address + ": " + f.cause().getMessage(), f.cause());
    return client[0];
  }

  public CompletableFuture<RespValue> send(String... args) {
    byte[][] a = new byte[args.length][];
    for (int i = 0; i < args.length; i++) a[i] = args[i].getBytes(StandardCharsets.UTF_8);
    return send(a);
  }

  public CompletableFuture<RespValue> send(byte[]... args) {
    CompletableFuture<RespValue> f = new CompletableFuture<>();
    channel
        .eventLoop()
        .execute(
            () -> {
              if (!channel.isActive()) {
                f.completeExceptionally(new ClosedChannelException());
                return;
              }
              pending.add(f);
              channel.writeAndFlush(encode(args));
            });
    return f;
  }

  /** Sends several commands in one write; the futures complete in order. */
  public List<CompletableFuture<RespValue>> sendAll(List<byte[][]> commands) {
    List<CompletableFuture<RespValue>> futures =
        commands.stream().map(c -> new CompletableFuture<RespValue>()).toList();
    channel
        .eventLoop()
        .execute(
            () -> {
              if (!channel.isActive()) {
                futures.forEach(f -> f.completeExceptionally(new ClosedChannelException()));
                return;
              }
              ByteBuf out = channel.alloc().buffer();
              for (byte[][] c : commands) Resp.command(out, c);
              pending.addAll(futures);
              channel.writeAndFlush(out);
            });
    return futures;
  }

  private ByteBuf encode(byte[][] args) {
    ByteBuf out = channel.alloc().buffer();
    Resp.command(out, args);
    return out;
  }

  public boolean isOpen() {
    return channel.isActive();
  }

  @Override
  public void close() {
    channel.close().awaitUninterruptibly();
  }

  private final class Dispatch extends SimpleChannelInboundHandler<RespValue> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, RespValue reply) {
      CompletableFuture<RespValue> f = pending.poll();
      if (f != null) f.complete(reply);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      for (CompletableFuture<RespValue> f; (f = pending.poll()) != null; )
        f.completeExceptionally(new ClosedChannelException());
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
