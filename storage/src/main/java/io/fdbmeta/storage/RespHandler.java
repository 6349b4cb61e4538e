package io.fdbmeta.storage;

import io.fdbmeta.wire.Resp;
import io.fdbmeta.wire.RespCommand;
import io.fdbmeta.wire.RespProtocolError;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The RESP port's last handler. Replies leave in command order, as RESP requires, even though
 * writes complete later than reads: each reply waits for the one before it. QUIT, and a protocol
 * error ({@code -ERR Protocol error: ...}), close the connection after the replies before them.
 * Reading stops while {@value #MAX_PENDING} commands are unanswered.
 */
final class RespHandler extends SimpleChannelInboundHandler<Object> {
  static final int MAX_PENDING = 256;

  private final RespCommands commands;
  private final AtomicInteger nodeInFlight;
  private CompletableFuture<Void> tail = CompletableFuture.completedFuture(null); // event loop only
  private int pending; // event loop only
  private boolean closing;

  RespHandler(RespCommands commands, AtomicInteger nodeInFlight) {
    this.commands = commands;
    this.nodeInFlight = nodeInFlight;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
    if (closing) return;
    if (msg instanceof RespProtocolError) {
      closing = true;
      ctx.channel().config().setAutoRead(false);
      String text = "ERR Protocol error: " + ((RespProtocolError) msg).message();
      enqueue(ctx, CompletableFuture.completedFuture(out -> Resp.error(out, text)), true);
      return;
    }
    RespCommand c = (RespCommand) msg;
    boolean quit = c.name().equals("QUIT");
    if (quit) closing = true;
    enqueue(ctx, commands.execute(c), quit);
  }

  private void enqueue(ChannelHandlerContext ctx, CompletableFuture<RespCommands.Reply> reply, boolean closeAfter) {
    nodeInFlight.incrementAndGet();
    if (++pending >= MAX_PENDING) ctx.channel().config().setAutoRead(false);
    CompletableFuture<RespCommands.Reply> safe = reply.exceptionally(e -> out -> Resp.error(out, "ERR " + Async.describe(e)));
    tail = tail.thenCombine(safe, (x, r) -> r).thenAcceptAsync(r -> {
      ByteBuf out = ctx.alloc().buffer();
      r.write(out);
      ctx.writeAndFlush(out).addListener(w -> nodeInFlight.decrementAndGet());
      if (closeAfter) {
        ctx.writeAndFlush(ctx.alloc().buffer(0)).addListener(ChannelFutureListener.CLOSE);
      } else if (--pending < MAX_PENDING / 2 && !closing && !ctx.channel().config().isAutoRead()) {
        ctx.channel().config().setAutoRead(true);
      }
    }, ctx.executor());
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }
}
