package io.fdbmeta.wire;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The client and the decoder against each other over loopback: an echo server built from
 * RespDecoder and Resp.
 */
class RespClientIT {
  private EventLoopGroup group;
  private Channel server;

  @BeforeEach
  void start() throws InterruptedException {
    group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    server =
        new ServerBootstrap()
            .group(group)
            .channel(NioServerSocketChannel.class)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    ch.pipeline()
                        .addLast(new RespDecoder())
                        .addLast(
                            new SimpleChannelInboundHandler<Object>() {
                              @Override
                              protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
                                ByteBuf out = ctx.alloc().buffer();
                                if (msg instanceof RespProtocolError e) {
                                  Resp.error(out, "ERR Protocol error: " + e.message());
                                  ctx.writeAndFlush(out).addListener(f -> ctx.close());
                                  return;
                                }
                                RespCommand c = (RespCommand) msg;
                                if (c.name().equals("CLOSE")) {
                                  out.release();
                                  ctx.close();
                                  return;
                                }
                                Resp.arrayHeader(out, c.arity());
                                for (int i = 1; i <= c.arity(); i++) Resp.bulk(out, c.arg(i));
                                ctx.writeAndFlush(out);
                              }
                            });
                  }
                })
            .bind("127.0.0.1", 0)
            .sync()
            .channel();
  }

  @AfterEach
  void stop() {
    server.close().syncUninterruptibly();
    group.shutdownGracefully().syncUninterruptibly();
  }

  @Test
  void pipelinedRepliesCompleteInOrder() throws Exception {
    try (RespClient c = RespClient.connect(group, (InetSocketAddress) server.localAddress())) {
      List<CompletableFuture<RespValue>> fs = new ArrayList<>();
      for (int i = 0; i < 1000; i++) fs.add(c.send("ECHO", "v" + i));
      fs.addAll(
          c.sendAll(
              List.of(
                  new byte[][] {"X".getBytes(), new byte[] {0, 1}},
                  new byte[][] {"Y".getBytes()})));
      for (int i = 0; i < 1000; i++) {
        RespValue.Array a = (RespValue.Array) fs.get(i).get();
        assertThat(((RespValue.Bulk) a.elements().get(0)).utf8()).isEqualTo("v" + i);
      }
      assertThat(
              ((RespValue.Bulk) ((RespValue.Array) fs.get(1000).get()).elements().get(0)).bytes())
          .containsExactly(0, 1);
      assertThat(((RespValue.Array) fs.get(1001).get()).elements()).isEmpty();
    }
  }

  @Test
  void pendingCommandsFailWhenTheServerClosesTheConnection() throws Exception {
    try (RespClient c = RespClient.connect(group, (InetSocketAddress) server.localAddress())) {
      CompletableFuture<RespValue> closing = c.send("CLOSE");
      assertThat(closing)
          .failsWithin(java.time.Duration.ofSeconds(5))
          .withThrowableOfType(java.util.concurrent.ExecutionException.class)
          .withCauseInstanceOf(java.nio.channels.ClosedChannelException.class);
      assertThat(c.send("ECHO", "x")).failsWithin(java.time.Duration.ofSeconds(5));
      assertThat(c.isOpen()).isFalse();
    }
  }

  @Test
  void aClientOnTheOtherTransportTalksToThisOne() throws Exception {
    Assumptions.assumeTrue(
        Epoll.isAvailable(), "native epoll does not load here: " + Epoll.unavailabilityCause());
    EventLoopGroup epoll = new MultiThreadIoEventLoopGroup(1, Transport.EPOLL.ioHandlerFactory());
    try (RespClient c = RespClient.connect(epoll, (InetSocketAddress) server.localAddress())) {
      RespValue.Array a = (RespValue.Array) c.send("ECHO", "over epoll").get();
      assertThat(((RespValue.Bulk) a.elements().get(0)).utf8()).isEqualTo("over epoll");
    } finally {
      epoll.shutdownGracefully().syncUninterruptibly();
    }
  }
}
