package io.fdbmeta.storage;

import io.fdbmeta.wire.Command;
import io.fdbmeta.wire.Resp;
import io.fdbmeta.wire.RespCommand;
import io.fdbmeta.wire.RespParser;
import io.fdbmeta.wire.RespProtocolError;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.timeout.IdleStateEvent;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * The RESP port's last handler. Replies leave in command order, as RESP requires, even though
 * writes complete later than reads: each command takes a slot in a queue, and the replies at the
 * head are written as soon as they are ready, all of them with one flush (so a pipelined batch of
 * reads is answered with one write). QUIT, and a protocol error ({@code -ERR Protocol error: ...},
 * or {@code -ERR} for an incomplete command over the memory bounds), close the connection after the
 * replies before them. Reading stops while {@value #MAX_PENDING} commands are unanswered, and while
 * the channel is not writable (its unsent replies passed the high-water mark): commands decoded
 * meanwhile wait, unexecuted, until it is writable again, so a client that pipelines without
 * reading stops being served, as on the router. A connection with no whole command for the node's
 * idle timeout (the idle step sits after the decoder, so a command trickling in does not count) and
 * no reply pending is closed.
 */
final class RespHandler extends SimpleChannelInboundHandler<Object> {
  static final int MAX_PENDING = 256;

  /** A command's place in the reply order. */
  private static final class Slot {
    final boolean closeAfter;
    RespCommands.@Nullable Reply reply;

    Slot(boolean closeAfter) {
      this.closeAfter = closeAfter;
    }
  }

  private final RespCommands commands;
  private final AtomicInteger nodeInFlight;
  private final LongAdder overLimit;
  private final ArrayDeque<Slot> queue = new ArrayDeque<>(); // event loop only
  private final ArrayDeque<Object> held = new ArrayDeque<>(); // decoded, waiting for writability
  private boolean closing; // event loop only

  RespHandler(RespCommands commands, AtomicInteger nodeInFlight) {
    this(commands, nodeInFlight, new LongAdder());
  }

  /**
   * @param overLimit counts connections closed for an incomplete command over the memory bounds
   */
  RespHandler(RespCommands commands, AtomicInteger nodeInFlight, LongAdder overLimit) {
    this.commands = commands;
    this.nodeInFlight = nodeInFlight;
    this.overLimit = overLimit;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
    if (closing) return;
    if (!held.isEmpty() || !ctx.channel().isWritable()) {
      held.add(msg);
      ctx.channel().config().setAutoRead(false);
      return;
    }
    start(ctx, msg);
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    while (!closing && !held.isEmpty() && ctx.channel().isWritable()) start(ctx, held.poll());
    resumeIfDue(ctx);
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent) {
      if (queue.isEmpty()) ctx.close();
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    held.clear();
    ctx.fireChannelInactive();
  }

  private void start(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof RespProtocolError e) {
      if (e.overLimit()) overLimit.increment();
      closing = true;
      ctx.channel().config().setAutoRead(false);
      String text = RespParser.protocolError(e);
      enqueue(ctx, CompletableFuture.completedFuture(out -> Resp.error(out, text)), true);
      return;
    }
    RespCommand c = (RespCommand) msg;
    boolean quit = Command.of(c.arg(0)) == Command.QUIT;
    if (quit) closing = true;
    enqueue(ctx, commands.execute(c), quit);
  }

  private void enqueue(
      ChannelHandlerContext ctx, CompletableFuture<RespCommands.Reply> reply, boolean closeAfter) {
    nodeInFlight.incrementAndGet();
    Slot slot = new Slot(closeAfter);
    queue.add(slot);
    if (queue.size() >= MAX_PENDING) ctx.channel().config().setAutoRead(false);
    reply.whenComplete(
        (r, e) -> {
          RespCommands.Reply out = e == null ? r : o -> Resp.error(o, "ERR " + Async.describe(e));
          if (ctx.executor().inEventLoop()) {
            ready(ctx, slot, out);
          } else {
            ctx.executor().execute(() -> ready(ctx, slot, out));
          }
        });
  }

  /**
   * Parks {@code reply} in its slot and writes every reply ready at the head of the queue. On the
   * event loop.
   */
  private void ready(ChannelHandlerContext ctx, Slot slot, RespCommands.Reply reply) {
    slot.reply = reply;
    boolean wrote = false;
    for (Slot head; (head = queue.peek()) != null && head.reply != null; ) {
      queue.poll();
      ByteBuf out = ctx.alloc().buffer();
      head.reply.write(out);
      ctx.write(out).addListener(w -> nodeInFlight.decrementAndGet());
      wrote = true;
      if (head.closeAfter) {
        ctx.writeAndFlush(ctx.alloc().buffer(0)).addListener(ChannelFutureListener.CLOSE);
        return;
      }
    }
    if (wrote) ctx.flush();
    resumeIfDue(ctx);
  }

  /** Reads again if it was paused and nothing stands in the way any more. */
  private void resumeIfDue(ChannelHandlerContext ctx) {
    if (queue.size() < MAX_PENDING / 2
        && !closing
        && held.isEmpty()
        && ctx.channel().isWritable()
        && !ctx.channel().config().isAutoRead()) ctx.channel().config().setAutoRead(true);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }
}
