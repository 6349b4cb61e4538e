package io.fdbmeta.router;

import io.fdbmeta.wire.Resp;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Caps open client connections: one over the cap is told {@code -ERR max number of clients reached}
 * (as Redis says it) and closed before anything of it is read. Shared by all connections.
 */
@ChannelHandler.Sharable
final class ConnectionLimiter extends ChannelInboundHandlerAdapter {
  private static final AttributeKey<Boolean> COUNTED = AttributeKey.valueOf("fdbmeta.counted");
  private final int max;
  private final RouterMetrics metrics;
  private final AtomicInteger open = new AtomicInteger();

  ConnectionLimiter(int max, RouterMetrics metrics) {
    this.max = max;
    this.metrics = metrics;
  }

  int open() {
    return open.get();
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    if (open.incrementAndGet() > max) {
      open.decrementAndGet();
      metrics.rejected();
      ByteBuf b = ctx.alloc().ioBuffer(48);
      Resp.error(b, "ERR max number of clients reached");
      ctx.writeAndFlush(b).addListener(ChannelFutureListener.CLOSE);
      return; // the rest of the pipeline never sees this connection
    }
    ctx.channel().attr(COUNTED).set(Boolean.TRUE);
    metrics.accepted();
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (ctx.channel().attr(COUNTED).get() == null) {
      io.netty.util.ReferenceCountUtil.release(msg);
      return;
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (ctx.channel().attr(COUNTED).getAndSet(null) != null) {
      open.decrementAndGet();
      ctx.fireChannelInactive();
    }
  }
}
