package io.fdbmeta.router;

import io.fdbmeta.wire.Resp;
import io.fdbmeta.wire.RespDecoder;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Cuts off a client that takes longer than the request deadline to send one command. Sits after the
 * RESP decoder: every decoded command ends the clock of the command before; after each read, if the
 * decoder holds part of a command and no clock runs, one starts (the part arrived within that
 * read). If the decoder still holds a partial command a deadline later, the client is told {@code
 * -ERR} and the connection closes. A complete command is the routing path's business (it has its
 * own deadline).
 */
final class RequestDeadlineHandler extends ChannelInboundHandlerAdapter {
  private final RespDecoder decoder;
  private final long timeoutNanos;
  private final RouterMetrics metrics;
  private long partialSince = -1;
  private @Nullable ScheduledFuture<?> check;

  RequestDeadlineHandler(RespDecoder decoder, long timeoutNanos, RouterMetrics metrics) {
    this.decoder = decoder;
    this.timeoutNanos = timeoutNanos;
    this.metrics = metrics;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    partialSince = -1; // a command (or the protocol error) is complete: whatever follows is new
    ctx.fireChannelRead(msg);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (!decoder.hasPartialCommand()) {
      partialSince = -1;
    } else if (partialSince < 0) {
      partialSince = Services.nanoTime(ctx.executor());
      arm(ctx, timeoutNanos);
    }
    ctx.fireChannelReadComplete();
  }

  private void arm(ChannelHandlerContext ctx, long delay) {
    if (check != null) return;
    check =
        ctx.executor()
            .schedule(
                () -> {
                  check = null;
                  expire(ctx);
                },
                delay,
                TimeUnit.NANOSECONDS);
  }

  private void expire(ChannelHandlerContext ctx) {
    if (partialSince < 0 || !ctx.channel().isActive()) return;
    if (!decoder.hasPartialCommand()) {
      partialSince = -1;
      return;
    }
    long left = partialSince + timeoutNanos - Services.nanoTime(ctx.executor());
    if (left > 0) {
      arm(ctx, left);
      return;
    }
    metrics.deadlineClose();
    ByteBuf b = ctx.alloc().ioBuffer(64);
    Resp.error(
        b,
        "ERR request deadline exceeded: command not received within "
            + TimeUnit.NANOSECONDS.toMillis(timeoutNanos)
            + " ms");
    ctx.writeAndFlush(b).addListener(ChannelFutureListener.CLOSE);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (check != null) check.cancel(false);
    ctx.fireChannelInactive();
  }
}
