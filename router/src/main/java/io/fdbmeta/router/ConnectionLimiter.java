package io.fdbmeta.router;

import io.fdbmeta.wire.ConnectionsPerAddress;
import io.fdbmeta.wire.Resp;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;
import java.net.InetAddress;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Caps open client connections, in total and per source address: one over the total cap is told
 * {@code -ERR max number of clients reached} (as Redis says it), one over its address's cap {@code
 * -ERR max number of clients reached for this address}, and closed before anything of it is read;
 * each is counted by kind. Shared by all connections.
 */
@ChannelHandler.Sharable
final class ConnectionLimiter extends ChannelInboundHandlerAdapter {
  private static final AttributeKey<Boolean> COUNTED = AttributeKey.valueOf("fdbmeta.counted");
  private static final AttributeKey<InetAddress> ADDRESS = AttributeKey.valueOf("fdbmeta.address");
  private final int max;
  private final ConnectionsPerAddress perAddress;
  private final RouterMetrics metrics;
  private final AtomicInteger open = new AtomicInteger();

  ConnectionLimiter(int max, RouterMetrics metrics) {
    this(max, max, metrics);
  }

  ConnectionLimiter(int max, int maxPerAddress, RouterMetrics metrics) {
    this.max = max;
    this.perAddress = new ConnectionsPerAddress(maxPerAddress);
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
      refuse(ctx, "ERR max number of clients reached");
      return; // the rest of the pipeline never sees this connection
    }
    InetAddress ip = ConnectionsPerAddress.ipOf(ctx.channel().remoteAddress());
    if (!perAddress.tryOpen(ip)) {
      open.decrementAndGet();
      metrics.rejectedPerAddress();
      refuse(ctx, "ERR max number of clients reached for this address");
      return;
    }
    ctx.channel().attr(COUNTED).set(Boolean.TRUE);
    ctx.channel().attr(ADDRESS).set(ip);
    metrics.accepted();
    ctx.fireChannelActive();
  }

  private static void refuse(ChannelHandlerContext ctx, String error) {
    ByteBuf b = ctx.alloc().ioBuffer(error.length() + 3);
    Resp.error(b, error);
    ctx.writeAndFlush(b).addListener(ChannelFutureListener.CLOSE);
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
      perAddress.close(ctx.channel().attr(ADDRESS).getAndSet(null));
      ctx.fireChannelInactive();
    }
  }
}
