package io.fdbmeta.router;

import io.fdbmeta.wire.RespCommand;
import io.fdbmeta.wire.RespDecoder;
import io.fdbmeta.wire.RespProtocolError;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import org.jspecify.annotations.Nullable;

/*
 * One client connection's glue between the channel and the pieces that serve it: RespParser
 * checks each decoded command, the ReplyQueue orders replies, gates commands on the keys of earlier
 * ones and owns backpressure, Commands starts each request (KeysOp, ScanOp or an answer at once).
 *
 * Threading. Everything runs on the connection's event loop: the upstream connections this
 * connection uses are on the same loop (Upstream), so upstream replies arrive here without a hand
 * off. Only catalog loads and node lookups complete elsewhere; they hop back with loop.execute.
 *
 * Half-closed clients. The server channels allow half closure: a client that shuts down its write
 * side after sending commands still gets their replies, then the connection closes.
 *
 * Before AUTH (users on). After each command this handler tells the RESP decoder whether the
 * client is authenticated, so redis-server's limits for unauthenticated clients apply exactly until
 * an AUTH succeeds and again after RESET. The idle step's timer runs at the short timeout for
 * unauthenticated connections: an unauthenticated connection is closed at its first idle event, an
 * authenticated one once its idle events add up to the idle timeout.
 */
/** Serves RESP commands on one client connection. Not sharable. */
final class ClientHandler extends ChannelInboundHandlerAdapter {
  /** User event: stop reading, finish what is in flight, then close. */
  static final Object DRAIN = new Object();

  private final Services svc;
  private @Nullable ReplyQueue replies;
  private @Nullable Commands commands;
  private @Nullable ClientState client;
  private @Nullable RespDecoder decoder;
  private long idleNanos; // idle time so far, counted in idle events of the idle step

  ClientHandler(Services svc) {
    this.svc = svc;
  }

  /** Commands read but not yet answered. */
  int inFlight() {
    return replies.size();
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    replies =
        new ReplyQueue(
            ctx,
            svc.metrics,
            svc.config.maxInFlightPerConnection(),
            r -> commands.start(r),
            svc.config.unsentReplyBytesPerConnection(),
            svc.unsentReplyBytes);
    EventLoop loop = ctx.channel().eventLoop();
    client =
        new ClientState(
            svc.clientIds.incrementAndGet(),
            ctx.channel(),
            Services.nanoTime(loop),
            svc.config.users() == null ? Users.NOPASS_DEFAULT : null);
    commands =
        new Commands(
            new ClientSession(svc, loop, svc.upstreams.apply(loop), replies, ctx.alloc(), client));
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    if (svc.config.users() != null) {
      decoder = ctx.pipeline().get(RespDecoder.class);
      if (decoder != null) decoder.limitUnauthenticated(true);
    }
    ctx.read();
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    idleNanos = 0;
    if (msg instanceof RespCommand c) replies.offer(svc.commands.parse(c));
    else if (msg instanceof RespProtocolError) replies.offer(msg);
    else ReferenceCountUtil.release(msg);
    if (decoder != null) decoder.limitUnauthenticated(client.user == null);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    replies.readComplete();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    replies.writabilityChanged();
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt == DRAIN || evt instanceof ChannelInputShutdownEvent) {
      replies.closeWhenDone();
      return;
    }
    if (evt instanceof SslHandshakeCompletionEvent h) {
      if (!h.isSuccess()) svc.metrics.reject(RouterMetrics.Security.TLS_HANDSHAKE);
      return; // a failed handshake also reaches exceptionCaught, which closes
    }
    if (evt instanceof IdleStateEvent) {
      if (replies.size() != 0) return;
      if (client.user == null) {
        svc.metrics.reject(RouterMetrics.Security.UNAUTHENTICATED_IDLE);
      } else {
        idleNanos += RouterChannelInitializer.idleTimerNanos(svc.config);
        if (idleNanos < svc.config.idleTimeout().toNanos()) return;
      }
      svc.metrics.idleClose();
      ctx.close();
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    replies.inactive();
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }
}
