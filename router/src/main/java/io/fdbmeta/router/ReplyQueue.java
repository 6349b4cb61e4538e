package io.fdbmeta.router;

import io.fdbmeta.wire.Command;
import io.fdbmeta.wire.Resp;
import io.fdbmeta.wire.RespDecoder;
import io.fdbmeta.wire.RespParser;
import io.fdbmeta.wire.RespProtocolError;
import io.fdbmeta.wire.RespRequest;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import java.util.ArrayDeque;
import java.util.function.Consumer;

/*
 * One connection's replies, in command order, whatever order they become ready in; when a command
 * may start; and when the connection may be read again.
 *
 * Ordering. Every command that is not answered at once takes a slot (an Op) at the tail of the
 * queue; when an Op's reply is ready it is parked in the Op, and drain() writes replies from the
 * head while the head is done. A command answered at once with nothing queued before it is written
 * directly, without an Op.
 *
 * Order of effects. Commands run at once, in parallel, but Redis runs one connection's commands one
 * after another, and a pipelining client may rely on that for a key: SET k then GET k must read
 * the SET, SET k a then SET k b must leave b, whatever retries and redirects each one meets. So a
 * command that writes a key an unanswered earlier command touches, or touches a key an unanswered
 * earlier command writes (a RANGE touches what is left of its interval), waits in held until that
 * one is answered; everything after it waits too, so held stays in command order. Commands on
 * different keys, and reads of the same key, still run in parallel. The KeyGate makes the check
 * cost proportional to the keys involved.
 *
 * Backpressure (auto-read is off). Every reply path goes through here and obeys one high water
 * mark, the channel's writability: a command starts only while the channel is writable and fewer
 * than maxInFlight commands are unanswered, else it waits in held (what one read brought); the
 * channel is read again only when held is empty, drain() and writability changes start held
 * commands and ask again. A client that pipelines without reading replies, even of commands
 * answered at once (PING, INFO, errors), therefore stops being served and read once its unread
 * replies pass the high water mark, and its commands stop reaching storage nodes.
 *
 * Replies past the mark. A command that started while the channel was writable may be answered
 * after it stopped being so: a pipeline of GETs of large values, started in one read, all answer
 * into a channel whose client does not read. Such bytes (written while unwritable) are counted
 * against a per-connection bound and a budget shared by all connections, and given back once the
 * channel is writable again (its buffer then holds less than the low mark, so all but at most the
 * low mark of them were sent). A
 * reply that would go over either bound is dropped and the connection closed: its client is not
 * reading, and others keep their share.
 *
 * Closing. QUIT and a protocol error close after their reply; closeWhenDone() (the router's drain,
 * or a client that shut down its write side) stops reading, answers everything read so far, then
 * closes.
 */
/** The reply order, ordering gate and backpressure of one client connection. On its event loop. */
final class ReplyQueue {
  private final ChannelHandlerContext ctx;
  private final RouterMetrics metrics;
  private final int maxInFlight;
  private final Consumer<RespRequest> starter;
  private final RespDecoder.Budget unsentBudget;
  private final long maxUnsent;
  private long unsent; // reply bytes written while unwritable, held against unsentBudget
  private final ArrayDeque<Op> queue = new ArrayDeque<>();

  /** Read but not yet started: RespRequests and RespProtocolErrors, in command order. */
  private final ArrayDeque<Object> held = new ArrayDeque<>();

  private final KeyGate gate = new KeyGate();
  private boolean closing;
  private boolean closeWhenDone;
  private boolean inactive;
  private boolean closedForUnsent;

  /**
   * @param starter starts a request that may start now; it answers through {@link #reply} or an Op
   *     it {@link #enqueue}s
   */
  ReplyQueue(
      ChannelHandlerContext ctx,
      RouterMetrics metrics,
      int maxInFlight,
      Consumer<RespRequest> starter) {
    this(ctx, metrics, maxInFlight, starter, Long.MAX_VALUE, RespDecoder.Budget.unbounded());
  }

  /**
   * @param maxUnsent most reply bytes this connection may write while unwritable
   * @param unsentBudget what all connections may write while unwritable, together
   */
  ReplyQueue(
      ChannelHandlerContext ctx,
      RouterMetrics metrics,
      int maxInFlight,
      Consumer<RespRequest> starter,
      long maxUnsent,
      RespDecoder.Budget unsentBudget) {
    this.ctx = ctx;
    this.metrics = metrics;
    this.maxInFlight = maxInFlight;
    this.starter = starter;
    this.maxUnsent = maxUnsent;
    this.unsentBudget = unsentBudget;
  }

  /** Commands started but not yet answered. */
  int size() {
    return queue.size();
  }

  boolean isEmpty() {
    return queue.isEmpty() && held.isEmpty();
  }

  KeyGate gate() {
    return gate;
  }

  /** A decoded request or protocol error: starts it now, or holds it until it may start. */
  void offer(Object msg) {
    if (!held.isEmpty() || !mayStart(msg)) {
      held.add(msg);
      return;
    }
    dispatch(msg);
  }

  /** The read batch is over: flush, and read again if nothing waits. */
  void readComplete() {
    ctx.flush();
    maybeRead();
  }

  void writabilityChanged() {
    if (ctx.channel().isWritable()) giveBackUnsent();
    if (ctx.channel().isWritable() && !held.isEmpty()) {
      release();
      ctx.flush();
    }
    maybeRead();
  }

  /** Reads nothing more, answers what was read, then closes. */
  void closeWhenDone() {
    closeWhenDone = true;
    if (isEmpty()) ctx.close();
  }

  /** The channel is gone: drops held commands and parked replies. */
  void inactive() {
    inactive = true;
    giveBackUnsent();
    held.clear();
    for (Op op : queue) {
      if (op.reply != null) {
        op.reply.release();
        op.reply = null;
      }
    }
    queue.clear();
  }

  /** Takes the next slot for {@code op}, whose reply comes later through {@link #complete}. */
  void enqueue(Op op) {
    queue.add(op);
    op.enter(gate);
  }

  /** Parks {@code reply} in {@code op} and writes every finished reply at the head of the queue. */
  void complete(Op op, ByteBuf reply) {
    op.leave(gate);
    if (inactive) {
      reply.release();
      return;
    }
    op.reply = reply;
    drain();
  }

  /** Answers at once: directly if nothing is queued before it, else through a finished slot. */
  void reply(Command cmd, long start, ByteBuf reply, boolean closeAfter) {
    if (closeAfter) closing = true;
    if (queue.isEmpty() && !closeAfter) {
      metrics.request(cmd, Services.nanoTime(ctx.executor()) - start);
      if (mayWrite(reply)) ctx.write(reply, ctx.voidPromise());
      return;
    }
    Op op = new Op(cmd, start);
    op.closeAfter = closeAfter;
    enqueue(op);
    complete(op, reply);
  }

  private void dispatch(Object msg) {
    if (msg instanceof RespRequest r) {
      if (!closing) starter.accept(r);
    } else if (msg instanceof RespProtocolError e && !closing) {
      if (e.overLimit()) metrics.incompleteCommandRejected();
      else metrics.protocolError();
      String text = RespParser.protocolError(e);
      ByteBuf b = ctx.alloc().ioBuffer(text.length() + 3);
      Resp.error(b, text);
      reply(Command.UNKNOWN, Services.nanoTime(ctx.executor()), b, true);
    }
  }

  private boolean mayStart(Object msg) {
    return queue.size() < maxInFlight && ctx.channel().isWritable() && !mustWait(msg);
  }

  /**
   * True if {@code msg} must not start before an unanswered earlier command: it writes a key that
   * one touches, or touches a key that one writes (see "Order of effects" above).
   */
  private boolean mustWait(Object msg) {
    if (gate.idle()) return false;
    if (msg instanceof RespRequest.Get g) return gate.readMustWait(g.key());
    if (msg instanceof RespRequest.Set s) return gate.writeMustWait(s.key());
    if (msg instanceof RespRequest.Keys k)
      return k.command() == Command.DEL || k.command() == Command.UNLINK
          ? gate.writeMustWait(k.keys())
          : gate.readMustWait(k.keys());
    if (msg instanceof RespRequest.MSet m) return gate.writeMustWait(m.keys());
    if (msg instanceof RespRequest.Range r) return gate.walkMustWait(r.from(), r.to());
    if (msg instanceof RespRequest.Forward f)
      return f.writes() ? gate.writeMustWait(f.keys()) : gate.readMustWait(f.keys());
    return false;
  }

  /** Starts held commands, in order, while there is room and the next one need not wait. */
  private void release() {
    Object msg;
    while (!inactive && (msg = held.peek()) != null && mayStart(msg)) {
      held.poll();
      dispatch(msg);
    }
  }

  private void drain() {
    boolean wrote = false;
    Op op;
    while ((op = queue.peek()) != null && op.reply != null) {
      queue.poll();
      ByteBuf r = op.reply;
      op.reply = null;
      metrics.request(op.cmd, Services.nanoTime(ctx.executor()) - op.start);
      if (!mayWrite(r)) return;
      if (op.closeAfter) {
        ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
        closing = true;
        return;
      }
      ctx.write(r, ctx.voidPromise());
      wrote = true;
    }
    if (wrote) ctx.flush();
    if (!held.isEmpty()) {
      release();
      if (queue.peek() != null && queue.peek().reply != null) {
        drain();
        return;
      }
    }
    if (closeWhenDone && isEmpty()) {
      ctx.close();
      return;
    }
    maybeRead();
  }

  /**
   * True if {@code reply} may be written now: the channel is writable, or its bytes fit both bounds
   * on replies written while unwritable. Else releases it, counts the rejection and closes the
   * connection.
   */
  private boolean mayWrite(ByteBuf reply) {
    if (closedForUnsent) {
      reply.release();
      return false;
    }
    if (ctx.channel().isWritable()) return true;
    long n = reply.readableBytes();
    if (unsent + n <= maxUnsent && unsentBudget.tryTake(n)) {
      unsent += n;
      return true;
    }
    reply.release();
    closedForUnsent = true;
    closing = true;
    metrics.unsentRepliesRejected();
    ctx.close();
    return false;
  }

  private void giveBackUnsent() {
    if (unsent > 0) unsentBudget.give(unsent);
    unsent = 0;
  }

  private void maybeRead() {
    if (!closing
        && !closeWhenDone
        && !inactive
        && held.isEmpty()
        && queue.size() < maxInFlight
        && ctx.channel().isWritable()) ctx.read();
  }
}
