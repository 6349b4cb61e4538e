package io.fdbmeta.router;

import io.fdbmeta.layer.FdbErrors;
import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.wire.NodeOp;
import io.fdbmeta.wire.NodeReply;
import io.fdbmeta.wire.NodeRequest;
import io.fdbmeta.wire.ReplyStatus;
import io.fdbmeta.wire.Resp;
import io.fdbmeta.wire.RespCommand;
import io.fdbmeta.wire.RespProtocolError;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/*
 * One client connection: commands in, replies out in the order the commands came, whatever order
 * their upstream replies arrive in.
 *
 * Ordering. Every command takes a slot (an Op) at the tail of a queue; when an Op's reply is ready
 * it is parked in the Op, and drain() writes replies from the head while the head is done. A
 * command answered at once with nothing queued before it is written directly, without an Op.
 *
 * Threading. Everything runs on the connection's event loop: the upstream connections this
 * connection uses are on the same loop (Upstream), so upstream replies arrive here without a hand
 * off. Only catalog loads and node lookups complete elsewhere; they hop back with loop.execute.
 *
 * Order of effects. Commands run at once, in parallel, but Redis runs one connection's commands one
 * after another, and a pipelining client may rely on that for a key: SET k then GET k must read
 * the SET, SET k a then SET k b must leave b, whatever retries and redirects each one meets. So a
 * command that writes a key an unanswered earlier command touches, or touches a key an unanswered
 * earlier command writes (a RANGE touches what is left of its interval), waits in held until that
 * one is answered; everything after it waits too, so held stays in command order. Commands on
 * different keys, and reads of the same key, still run in parallel.
 *
 * Backpressure (auto-read is off). The handler asks for the next read only while fewer than
 * maxInFlight commands are queued and the channel is writable; drain() and writability changes
 * ask again. A client that pipelines without reading replies therefore stops being read once its
 * unread replies pass the high water mark, and its commands stop reaching storage nodes.
 *
 * Routing. A keyed command's keys are grouped by the cached range holding them and each group is
 * sent as one node request (Part) with the routing header (range id, generation, epoch) to the
 * range's leaseholder. A redirect (WRONG_RANGE, STALE_EPOCH, NOT_LEASEHOLDER) offers the node's
 * descriptor to the route cache; the group's keys are then routed again (so a group may split in
 * two), at once if the cache moved forward, else after a backoff and from the catalog. Every
 * group has maxAttempts sends; a command has requestTimeout from decode to reply.
 */
/** Serves RESP commands on one client connection. Not sharable. */
final class ClientHandler extends ChannelInboundHandlerAdapter {
  /** User event: stop reading, finish what is in flight, then close. */
  static final Object DRAIN = new Object();

  private static final int[] FIRST = {0};
  private static final byte[] PONG = "+PONG\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] EMPTY_ARRAY = "*0\r\n".getBytes(StandardCharsets.US_ASCII);

  private final Services svc;
  private final RouterMetrics metrics;
  private final int maxInFlight;
  private final long timeoutNanos;
  private final ArrayDeque<Op> queue = new ArrayDeque<>();

  /** Decoded but not yet started: what one read brought beyond maxInFlight. */
  private final ArrayDeque<Object> held = new ArrayDeque<>();

  /** Unanswered SET, MSET and DEL commands: while there are none, reads never wait. */
  private int runningWrites;

  private @Nullable ChannelHandlerContext ctx;
  private @Nullable Upstream upstream;
  private @Nullable EventLoop loop;
  private boolean closing;
  private boolean draining;
  private boolean inactive;

  ClientHandler(Services svc) {
    this.svc = svc;
    this.metrics = svc.metrics;
    this.maxInFlight = svc.config.maxInFlightPerConnection();
    this.timeoutNanos = svc.config.requestTimeout().toNanos();
  }

  /** Commands read but not yet answered. */
  int inFlight() {
    return queue.size();
  }

  // ---------------------------------------------------------------- channel events

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.loop = ctx.channel().eventLoop();
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    upstream = svc.upstreams.apply(loop);
    ctx.read();
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!held.isEmpty() || queue.size() >= maxInFlight || mustWait(msg)) {
      held.add(msg);
      return;
    }
    dispatch(msg);
  }

  private void dispatch(Object msg) {
    if (msg instanceof RespCommand) {
      if (!closing) handle((RespCommand) msg);
    } else if (msg instanceof RespProtocolError) {
      metrics.protocolError();
      if (!closing) {
        Op op = new Op(Command.UNKNOWN, now());
        op.closeAfter = true;
        closing = true;
        queue.add(op);
        complete(op, error("ERR Protocol error: " + ((RespProtocolError) msg).message()));
      }
    } else {
      ReferenceCountUtil.release(msg);
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    ctx.flush();
    maybeRead();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    maybeRead();
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt == DRAIN) {
      draining = true;
      if (queue.isEmpty() && held.isEmpty()) ctx.close();
      return;
    }
    if (evt instanceof IdleStateEvent) {
      if (queue.isEmpty()) {
        metrics.idleClose();
        ctx.close();
      }
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    inactive = true;
    held.clear();
    for (Op op : queue) {
      if (op.reply != null) {
        op.reply.release();
        op.reply = null;
      }
    }
    queue.clear();
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }

  private void maybeRead() {
    if (!closing
        && !draining
        && !inactive
        && held.isEmpty()
        && queue.size() < maxInFlight
        && ctx.channel().isWritable()) ctx.read();
  }

  /** Starts held commands, in order, while there is room and the next one need not wait. */
  private void release() {
    Object msg;
    while (!inactive
        && queue.size() < maxInFlight
        && (msg = held.peek()) != null
        && !mustWait(msg)) {
      held.poll();
      dispatch(msg);
    }
  }

  /**
   * True if {@code msg} must not start before an unanswered earlier command: it writes a key that
   * one touches, or touches a key that one writes (see "Order of effects" above). Free when nothing
   * is in flight; otherwise compares keys with the unanswered commands.
   */
  private boolean mustWait(Object msg) {
    if (queue.isEmpty() || !(msg instanceof RespCommand c)) return false;
    int n = c.arity();
    switch (Command.of(c.arg(0))) {
      case GET, MGET, EXISTS -> {
        if (runningWrites == 0) return false;
        for (int i = 1; i <= n; i++) if (touched(c.arg(i), false)) return true;
      }
      case SET -> {
        return n == 2 && touched(c.arg(1), true);
      }
      case DEL -> {
        for (int i = 1; i <= n; i++) if (touched(c.arg(i), true)) return true;
      }
      case MSET -> {
        for (int i = 1; i < n; i += 2) if (touched(c.arg(i), true)) return true;
      }
      case RANGE -> {
        if (n != 2 && n != 4 || runningWrites == 0) return false;
        for (Op op : queue) if (op.writesWithin(c.arg(1), c.arg(2))) return true;
      }
      default -> {
        return false;
      }
    }
    return false;
  }

  /** True if an unanswered command writes {@code key}, or, for a write, reads it. */
  private boolean touched(byte[] key, boolean write) {
    for (Op op : queue) if (op.touches(key, write)) return true;
    return false;
  }

  /** True if {@code from <= key < to}; an empty {@code to} has no end. */
  private static boolean within(byte[] key, byte[] from, byte[] to) {
    return Arrays.compareUnsigned(from, key) <= 0
        && (to.length == 0 || Arrays.compareUnsigned(key, to) < 0);
  }

  private long now() {
    return Services.nanoTime(loop);
  }

  // ---------------------------------------------------------------- replies in order

  /** A command's slot in the reply order. */
  static class Op {
    final Command cmd;
    final long start;
    @Nullable ByteBuf reply;
    boolean closeAfter;

    Op(Command cmd, long start) {
      this.cmd = cmd;
      this.start = start;
    }

    /**
     * While unanswered: true if this command writes {@code key}, or reads it and {@code write} says
     * the asker writes it.
     */
    boolean touches(byte[] key, boolean write) {
      return false;
    }

    /**
     * While unanswered: true if this command writes a key in [from, to) (empty {@code to}: no end).
     */
    boolean writesWithin(byte[] from, byte[] to) {
      return false;
    }
  }

  /** Parks {@code reply} in {@code op} and writes every finished reply at the head of the queue. */
  private void complete(Op op, ByteBuf reply) {
    if (op instanceof KeysOp k && k.writes()) runningWrites--;
    if (inactive) {
      reply.release();
      return;
    }
    op.reply = reply;
    drain();
  }

  private void drain() {
    boolean wrote = false;
    Op op;
    while ((op = queue.peek()) != null && op.reply != null) {
      queue.poll();
      ByteBuf r = op.reply;
      op.reply = null;
      metrics.request(op.cmd, now() - op.start);
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
    if (draining && queue.isEmpty() && held.isEmpty()) {
      ctx.close();
      return;
    }
    maybeRead();
  }

  /** Answers at once: directly if nothing is queued before it, else through a finished slot. */
  private void reply(Command cmd, long start, ByteBuf reply, boolean closeAfter) {
    if (queue.isEmpty() && !closeAfter) {
      metrics.request(cmd, now() - start);
      ctx.write(reply, ctx.voidPromise());
      return;
    }
    Op op = new Op(cmd, start);
    op.closeAfter = closeAfter;
    queue.add(op);
    complete(op, reply);
  }

  private ByteBuf error(String text) {
    ByteBuf b = ctx.alloc().ioBuffer(text.length() + 3);
    Resp.error(b, text);
    return b;
  }

  private void clientError(Command cmd, long start, String text) {
    metrics.clientError();
    reply(cmd, start, error(text), false);
  }

  // ---------------------------------------------------------------- commands

  private void handle(RespCommand c) {
    long start = now();
    Command cmd = Command.of(c.arg(0));
    int n = c.arity();
    switch (cmd) {
      case GET -> {
        if (n != 1) wrongArgs(cmd, start);
        else new KeysOp(cmd, start, NodeOp.GET, new byte[][] {c.arg(1)}, null).start();
      }
      case SET -> {
        if (n < 2) wrongArgs(cmd, start);
        else if (n > 2)
          clientError(cmd, start, "ERR syntax error: SET takes a key and a value (no options)");
        else
          new KeysOp(cmd, start, NodeOp.SET, new byte[][] {c.arg(1)}, new byte[][] {c.arg(2)})
              .start();
      }
      case DEL, EXISTS, MGET -> {
        if (n < 1) {
          wrongArgs(cmd, start);
          return;
        }
        byte[][] keys = Arrays.copyOfRange(c.args(), 1, n + 1);
        NodeOp op =
            cmd == Command.DEL ? NodeOp.DEL : cmd == Command.EXISTS ? NodeOp.EXISTS : NodeOp.GET;
        new KeysOp(cmd, start, op, keys, null).start();
      }
      case MSET -> {
        if (n < 2 || n % 2 != 0) {
          wrongArgs(cmd, start);
          return;
        }
        byte[][] keys = new byte[n / 2][];
        byte[][] values = new byte[n / 2][];
        for (int i = 0; i < n / 2; i++) {
          keys[i] = c.arg(1 + 2 * i);
          values[i] = c.arg(2 + 2 * i);
        }
        new KeysOp(cmd, start, NodeOp.SET, keys, values).start();
      }
      case RANGE -> range(c, start);
      case PING -> {
        if (n == 0) {
          ByteBuf b = ctx.alloc().ioBuffer(PONG.length);
          b.writeBytes(PONG);
          reply(cmd, start, b, false);
        } else if (n == 1) {
          reply(cmd, start, bulk(c.arg(1)), false);
        } else {
          wrongArgs(cmd, start);
        }
      }
      case ECHO -> {
        if (n != 1) wrongArgs(cmd, start);
        else reply(cmd, start, bulk(c.arg(1)), false);
      }
      case QUIT -> {
        ByteBuf b = ctx.alloc().ioBuffer(5);
        Resp.ok(b);
        reply(cmd, start, b, true);
        closing = true;
      }
      case SELECT -> {
        if (n != 1) wrongArgs(cmd, start);
        else if (!"0".equals(new String(c.arg(1), StandardCharsets.US_ASCII)))
          clientError(cmd, start, "ERR DB index is out of range (the router has database 0 only)");
        else {
          ByteBuf b = ctx.alloc().ioBuffer(5);
          Resp.ok(b);
          reply(cmd, start, b, false);
        }
      }
      case COMMAND -> {
        ByteBuf b = ctx.alloc().ioBuffer(EMPTY_ARRAY.length);
        b.writeBytes(EMPTY_ARRAY);
        reply(cmd, start, b, false);
      }
      case INFO -> {
        if (n > 1) wrongArgs(cmd, start);
        else
          reply(
              cmd,
              start,
              bulk(
                  svc.info
                      .apply(n == 1 ? new String(c.arg(1), StandardCharsets.UTF_8) : "")
                      .getBytes(StandardCharsets.UTF_8)),
              false);
      }
      default -> clientError(cmd, start, "ERR unknown command '" + printable(c.arg(0)) + "'");
    }
  }

  private void wrongArgs(Command cmd, long start) {
    clientError(cmd, start, "ERR wrong number of arguments for '" + cmd.tag + "' command");
  }

  private ByteBuf bulk(byte[] v) {
    ByteBuf b = ctx.alloc().ioBuffer(v.length + 16);
    Resp.bulk(b, v);
    return b;
  }

  private static String printable(byte[] b) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < Math.min(b.length, 64); i++) {
      int c = b[i] & 0xff;
      if (c >= 0x20 && c < 0x7f && c != '\'') sb.append((char) c);
      else sb.append(String.format("\\x%02x", c));
    }
    if (b.length > 64) sb.append("...");
    return sb.toString();
  }

  /** RANGE start end [LIMIT n] */
  private void range(RespCommand c, long start) {
    int n = c.arity();
    if (n != 2 && n != 4) {
      wrongArgs(Command.RANGE, start);
      return;
    }
    int limit = svc.config.rangeDefaultLimit();
    if (n == 4) {
      if (!"LIMIT".equalsIgnoreCase(new String(c.arg(3), StandardCharsets.US_ASCII))) {
        clientError(Command.RANGE, start, "ERR syntax error: RANGE start end [LIMIT n]");
        return;
      }
      try {
        limit = Integer.parseInt(new String(c.arg(4), StandardCharsets.US_ASCII));
      } catch (NumberFormatException e) {
        limit = -1;
      }
      if (limit < 1 || limit > svc.config.rangeMaxLimit()) {
        clientError(
            Command.RANGE,
            start,
            "ERR LIMIT must be an integer in [1, " + svc.config.rangeMaxLimit() + "]");
        return;
      }
    }
    byte[] from = c.arg(1);
    byte[] to = c.arg(2);
    if (to.length > 0 && Arrays.compareUnsigned(from, to) >= 0) {
      ByteBuf b = ctx.alloc().ioBuffer(EMPTY_ARRAY.length);
      b.writeBytes(EMPTY_ARRAY);
      reply(Command.RANGE, start, b, false);
      return;
    }
    new ScanOp(start, from, to, limit).step();
  }

  // ---------------------------------------------------------------- routing

  /**
   * A unit of work sent to one range's leaseholder: one send at a time, retried within the budget.
   * Subclasses say what to send and what to do with the answer.
   */
  private abstract class Routed implements Upstream.Call {
    final int attempts;
    final CachedRange range;

    Routed(CachedRange range, int attempts) {
      this.range = range;
      this.attempts = attempts;
    }

    abstract Op op();

    /** The first key this send is about (to reload the route from the catalog). */
    abstract byte[] firstKey();

    /**
     * Routes this work again from scratch, as attempt {@code nextAttempt}; {@code hint} is a
     * freshly loaded range.
     */
    abstract void again(int nextAttempt, @Nullable CachedRange hint);

    abstract void failed(UpstreamFailure f, String detail);

    abstract void answered(NodeReply reply);

    /** Whether a send that may have reached the node can be sent again safely. */
    abstract boolean idempotent();

    void send() {
      if (now() - op().start > timeoutNanos) {
        failed(UpstreamFailure.TIMEOUT, "request deadline passed after " + attempts + " attempts");
        return;
      }
      String holder = range.descriptor.leaseholder();
      if (holder == null) {
        retry(UpstreamFailure.NO_LEASEHOLDER, "range " + range.rangeId, true, true);
        return;
      }
      NodeDirectory.Node node = (NodeDirectory.Node) range.upstream;
      if (node == null || !node.id.equals(holder)) {
        node = svc.directory.known(holder);
        if (node == null) {
          svc.directory
              .resolve(holder)
              .whenComplete(
                  (n, e) ->
                      loop.execute(
                          () -> {
                            if (e != null) {
                              retry(
                                  UpstreamFailure.UNKNOWN_NODE,
                                  holder + ": " + message(e),
                                  true,
                                  true);
                            } else {
                              range.upstream = n;
                              upstream.send(n, this);
                            }
                          }));
          return;
        }
        range.upstream = node;
      }
      upstream.send(node, this);
    }

    @Override
    public void onReply(NodeReply reply) {
      switch (reply.status()) {
        case OK, NOT_FOUND -> answered(reply);
        case WRONG_RANGE, STALE_EPOCH, NOT_LEASEHOLDER -> {
          metrics.redirect(reply.status());
          boolean moved = false;
          if (reply.descriptor() != null) {
            try {
              moved = svc.cache.offer(RangeDescriptor.decode(reply.descriptor()));
            } catch (RuntimeException e) {
              // an undecodable descriptor is no descriptor: reload from the catalog below
            }
          }
          if (!moved) {
            // Another request's redirect (or the feed) may have moved the cache past this send's
            // range
            // already: then the cache has what the node told us, and a catalog read would only
            // repeat it.
            CachedRange now = svc.cache.find(firstKey());
            moved = now != null && now != range && now.newerThan(range);
          }
          if (!moved && reply.status() == ReplyStatus.WRONG_RANGE)
            svc.cache.invalidate(range.rangeId);
          String detail =
              reply.status()
                  + " from "
                  + range.descriptor.leaseholder()
                  + (reply.message() == null ? "" : " (" + reply.message() + ")");
          retry(UpstreamFailure.REDIRECT_BUDGET, detail, !moved, !moved);
        }
        case OVERLOADED ->
            retry(
                UpstreamFailure.OVERLOADED,
                reply.message() == null ? "" : reply.message(),
                true,
                false);
        default ->
            failed(
                UpstreamFailure.NODE_ERROR,
                reply.message() == null ? reply.status().name() : reply.message());
      }
    }

    @Override
    public void onFailure(UpstreamFailure f, String detail) {
      switch (f) {
        case CONNECT_FAILED -> retry(f, detail, true, true);
        case CONNECTION_LOST -> {
          if (idempotent()) retry(f, detail, true, true);
          else failed(f, detail);
        }
        default -> failed(f, detail);
      }
    }

    /**
     * Sends again if the budget allows, else fails with {@code exhausted}.
     *
     * @param backoff wait before sending again (nothing changed that makes an immediate retry
     *     useful)
     * @param reload read the route from the catalog rather than the cache
     */
    void retry(UpstreamFailure exhausted, String detail, boolean backoff, boolean reload) {
      if (attempts + 1 >= svc.config.maxAttempts() || now() - op().start > timeoutNanos) {
        failed(exhausted, detail + " (after " + (attempts + 1) + " attempts)");
        return;
      }
      metrics.retry();
      Runnable go =
          () -> {
            if (!reload) {
              again(attempts + 1, null);
              return;
            }
            svc.cache
                .load(firstKey())
                .whenComplete(
                    (r, e) ->
                        loop.execute(
                            () -> {
                              if (e != null) failed(UpstreamFailure.NO_ROUTE, message(e));
                              else again(attempts + 1, r);
                            }));
          };
      if (!backoff) {
        go.run();
        return;
      }
      long base = svc.config.backoffBase().toNanos();
      long delay = Math.min(svc.config.backoffMax().toNanos(), base << Math.min(attempts, 20));
      loop.schedule(go, delay, TimeUnit.NANOSECONDS);
    }
  }

  private static String message(Throwable e) {
    RuntimeException t = FdbErrors.translate(e);
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  // ---------------------------------------------------------------- GET, SET, DEL, EXISTS, MGET,
  // MSET

  /** A keyed command, split into one Part per range. */
  private final class KeysOp extends Op {
    final NodeOp nodeOp;
    final byte[][] keys;
    final byte @Nullable [][] values;
    final byte @Nullable [][] got;
    long count;
    int outstanding;
    @Nullable UpstreamFailure failure;
    String failureDetail = "";

    KeysOp(Command cmd, long start, NodeOp nodeOp, byte[][] keys, byte @Nullable [][] values) {
      super(cmd, start);
      this.nodeOp = nodeOp;
      this.keys = keys;
      this.values = values;
      this.got = nodeOp == NodeOp.GET ? new byte[keys.length][] : null;
    }

    private boolean writes() {
      return nodeOp == NodeOp.SET || nodeOp == NodeOp.DEL;
    }

    @Override
    boolean touches(byte[] key, boolean write) {
      if (reply != null || !(write || writes())) return false;
      for (byte[] k : keys) if (Arrays.equals(k, key)) return true;
      return false;
    }

    @Override
    boolean writesWithin(byte[] from, byte[] to) {
      if (reply != null || !writes()) return false;
      for (byte[] k : keys) if (within(k, from, to)) return true;
      return false;
    }

    void start() {
      queue.add(this);
      if (writes()) runningWrites++;
      int[] all;
      if (keys.length == 1) {
        all = FIRST;
      } else {
        all = new int[keys.length];
        for (int i = 0; i < all.length; i++) all[i] = i;
      }
      outstanding = 1;
      route(all, 0, null);
      partDone();
    }

    /**
     * Groups the keys at {@code idx} by cached range and sends each group; loads missing routes.
     */
    void route(int[] idx, int attempts, @Nullable CachedRange hint) {
      if (idx.length == 1) {
        byte[] k = keys[idx[0]];
        CachedRange r = hint != null && hint.contains(k) ? hint : svc.cache.find(k);
        if (r != null) {
          outstanding++;
          new Part(this, idx, r, attempts).send();
        } else {
          load(idx, attempts, hint != null);
        }
        return;
      }
      CachedRange[] rs = new CachedRange[idx.length];
      int missing = 0;
      for (int j = 0; j < idx.length; j++) {
        byte[] k = keys[idx[j]];
        rs[j] = hint != null && hint.contains(k) ? hint : svc.cache.find(k);
        if (rs[j] == null) missing++;
      }
      boolean[] taken = new boolean[idx.length];
      for (int j = 0; j < idx.length; j++) {
        if (taken[j] || rs[j] == null) continue;
        int m = 0;
        for (int i = j; i < idx.length; i++) if (rs[i] == rs[j]) m++;
        int[] group = new int[m];
        m = 0;
        for (int i = j; i < idx.length; i++) {
          if (rs[i] == rs[j]) {
            group[m++] = idx[i];
            taken[i] = true;
          }
        }
        outstanding++;
        new Part(this, group, rs[j], attempts).send();
      }
      if (missing > 0) {
        int[] rest = new int[missing];
        int m = 0;
        for (int j = 0; j < idx.length; j++) if (rs[j] == null) rest[m++] = idx[j];
        load(rest, attempts, hint != null);
      }
    }

    private void load(int[] idx, int attempts, boolean afterLoad) {
      if (afterLoad && attempts + 1 >= svc.config.maxAttempts()) {
        fail(UpstreamFailure.NO_ROUTE, "the catalog's range does not hold the key");
        return;
      }
      outstanding++;
      svc.cache
          .load(keys[idx[0]])
          .whenComplete(
              (r, e) ->
                  loop.execute(
                      () -> {
                        if (e != null) {
                          fail(UpstreamFailure.NO_ROUTE, message(e));
                        } else {
                          route(idx, afterLoad ? attempts + 1 : attempts, r);
                        }
                        partDone();
                      }));
    }

    void fail(UpstreamFailure f, String detail) {
      if (failure == null) {
        failure = f;
        failureDetail = detail;
      }
    }

    void partDone() {
      if (--outstanding > 0) return;
      ByteBuf b;
      if (failure != null) {
        metrics.failure(failure);
        b = error(failure.respError(failureDetail));
      } else {
        b = ctx.alloc().ioBuffer();
        switch (cmd) {
          case GET -> Resp.bulk(b, got[0]);
          case MGET -> {
            Resp.arrayHeader(b, got.length);
            for (byte[] v : got) Resp.bulk(b, v);
          }
          case SET, MSET -> Resp.ok(b);
          default -> Resp.integer(b, count);
        }
      }
      complete(this, b);
    }
  }

  /** The keys of one KeysOp that one range holds, as one node request. */
  private final class Part extends Routed {
    final KeysOp op;
    final int[] idx;

    Part(KeysOp op, int[] idx, CachedRange range, int attempts) {
      super(range, attempts);
      this.op = op;
      this.idx = idx;
    }

    @Override
    Op op() {
      return op;
    }

    @Override
    byte[] firstKey() {
      return op.keys[idx[0]];
    }

    @Override
    boolean idempotent() {
      return op.nodeOp == NodeOp.GET || op.nodeOp == NodeOp.EXISTS;
    }

    @Override
    public boolean coalescible() {
      return attempts == 0 && op.nodeOp == NodeOp.GET;
    }

    @Override
    public NodeRequest request(long id) {
      byte[][] ks;
      byte[][] vs;
      if (idx.length == op.keys.length) {
        ks = op.keys;
        vs = op.values;
      } else {
        ks = new byte[idx.length][];
        vs = op.values == null ? null : new byte[idx.length][];
        for (int j = 0; j < idx.length; j++) {
          ks[j] = op.keys[idx[j]];
          if (vs != null) vs[j] = op.values[idx[j]];
        }
      }
      return new NodeRequest(
          id,
          op.nodeOp,
          range.rangeId,
          range.generation,
          range.epoch,
          0,
          ks,
          vs == null ? NO_VALUES : vs);
    }

    @Override
    void answered(NodeReply reply) {
      if (op.got != null) {
        byte[][] vs = reply.values();
        if (vs == null || vs.length != idx.length) {
          failed(
              UpstreamFailure.BAD_REPLY,
              (vs == null ? 0 : vs.length) + " values for " + idx.length + " keys");
          return;
        }
        for (int j = 0; j < idx.length; j++) op.got[idx[j]] = vs[j];
      } else {
        op.count += reply.number();
      }
      op.partDone();
    }

    @Override
    void again(int nextAttempt, @Nullable CachedRange hint) {
      op.route(idx, nextAttempt, hint);
      op.partDone();
    }

    @Override
    void failed(UpstreamFailure f, String detail) {
      op.fail(f, detail);
      op.partDone();
    }
  }

  private static final byte[][] NO_VALUES = new byte[0][];

  // ---------------------------------------------------------------- RANGE

  /** Walks ranges in key order from {@code cursor} until {@code end} or {@code remaining} pairs. */
  private final class ScanOp extends Op {
    final byte[] end;
    byte[] cursor;
    int remaining;
    final List<byte[]> pairs = new ArrayList<>();
    boolean finished;

    ScanOp(long start, byte[] from, byte[] end, int limit) {
      super(Command.RANGE, start);
      this.cursor = from;
      this.end = end;
      this.remaining = limit;
      queue.add(this);
    }

    /**
     * A write conflicts with what the walk has yet to read: keys below the cursor are read already.
     */
    @Override
    boolean touches(byte[] key, boolean write) {
      return write && !finished && within(key, cursor, end);
    }

    void step() {
      route(0, null);
    }

    void route(int attempts, @Nullable CachedRange hint) {
      CachedRange r = hint != null && hint.contains(cursor) ? hint : svc.cache.find(cursor);
      if (r != null) {
        new Step(this, r, attempts).send();
        return;
      }
      if (hint != null && attempts + 1 >= svc.config.maxAttempts()) {
        fail(UpstreamFailure.NO_ROUTE, "the catalog's range does not hold the key");
        return;
      }
      int next = hint != null ? attempts + 1 : attempts;
      svc.cache
          .load(cursor)
          .whenComplete(
              (loaded, e) ->
                  loop.execute(
                      () -> {
                        if (e != null) fail(UpstreamFailure.NO_ROUTE, message(e));
                        else route(next, loaded);
                      }));
    }

    void fail(UpstreamFailure f, String detail) {
      metrics.failure(f);
      finish(error(f.respError(detail)));
    }

    void succeed() {
      ByteBuf b = ctx.alloc().ioBuffer();
      Resp.arrayHeader(b, pairs.size());
      for (byte[] p : pairs) Resp.bulk(b, p);
      finish(b);
    }

    private void finish(ByteBuf b) {
      if (finished) {
        b.release();
        return;
      }
      finished = true;
      complete(this, b);
    }
  }

  /** One SCAN request of a RANGE walk, to the range holding the walk's cursor. */
  private final class Step extends Routed {
    final ScanOp op;

    Step(ScanOp op, CachedRange range, int attempts) {
      super(range, attempts);
      this.op = op;
    }

    @Override
    Op op() {
      return op;
    }

    @Override
    byte[] firstKey() {
      return op.cursor;
    }

    @Override
    boolean idempotent() {
      return true;
    }

    @Override
    public NodeRequest request(long id) {
      // Always name the end explicitly when the range has one: a node whose range is smaller than
      // the cached one then refuses (WRONG_RANGE) rather than stopping early at its own end.
      byte[] e =
          range.end == null
              ? op.end
              : (op.end.length == 0 || Arrays.compareUnsigned(range.end, op.end) < 0
                  ? range.end
                  : op.end);
      return NodeRequest.scan(
          id,
          NodeOp.SCAN,
          range.rangeId,
          range.generation,
          range.epoch,
          op.cursor,
          e,
          op.remaining);
    }

    @Override
    void answered(NodeReply reply) {
      byte[][] vs = reply.values();
      if (vs == null || vs.length % 2 != 0 || vs.length / 2 > op.remaining) {
        failed(
            UpstreamFailure.BAD_REPLY,
            "SCAN returned "
                + (vs == null ? 0 : vs.length)
                + " values for at most "
                + op.remaining
                + " pairs");
        return;
      }
      for (byte[] v : vs) {
        if (v == null) {
          failed(UpstreamFailure.BAD_REPLY, "SCAN returned a null key or value");
          return;
        }
        op.pairs.add(v);
      }
      op.remaining -= vs.length / 2;
      if (op.remaining == 0) {
        op.succeed();
        return;
      }
      if (reply.number() == 1) {
        if (vs.length == 0) {
          failed(UpstreamFailure.BAD_REPLY, "SCAN said more pairs follow but returned none");
          return;
        }
        byte[] last = vs[vs.length - 2];
        op.cursor = Arrays.copyOf(last, last.length + 1); // the smallest key after last
        op.route(0, null);
        return;
      }
      // This range is done up to what was asked for: the walk's end, or the range's end.
      if (range.end == null
          || (op.end.length > 0 && Arrays.compareUnsigned(range.end, op.end) >= 0)) {
        op.succeed();
        return;
      }
      op.cursor = range.end;
      op.route(0, null);
    }

    @Override
    void again(int nextAttempt, @Nullable CachedRange hint) {
      op.route(nextAttempt, hint);
    }

    @Override
    void failed(UpstreamFailure f, String detail) {
      op.fail(f, detail);
    }
  }
}
