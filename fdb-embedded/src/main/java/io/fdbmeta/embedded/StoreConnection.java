package io.fdbmeta.embedded;

import com.apple.foundationdb.FDBException;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/*
 * One client connection of a StoreServer, and what it holds:
 *  - read versions: a GRV adds a hold for each caller it stands for, HOLD adds one, RELEASE drops one. A connection that closes releases
 *    all of them, so a client that vanished keeps no versions (and their memory) alive.
 *  - watches, by the id of their WATCH request: CANCEL_WATCH or the connection closing cancels them.
 * Both are bounded per connection; a client beyond MAX_HOLDS is closed, a watch beyond MAX_WATCHES
 * fails with 1032.
 *
 * Threading: everything here runs on the connection's event loop. Store calls are quick and answer
 * at once; a commit (durable log) or a watch completes later on another thread and hops back to the
 * loop before it touches this state or writes.
 *
 * Backpressure: a request is answered only while the channel is writable. Once it is not (the
 * client asks faster than it reads), reading stops and requests already decoded wait here until
 * the channel drains below its low water mark. So a client that never reads costs the server at
 * most the high water mark of replies plus one read's worth of requests.
 *
 * PIN is accepted only for versions this server has handed out: a pin holds back pruning until the
 * 5 s floor passes it, and a pin far in the future would be kept forever.
 */
/** Serves one connection's requests from the cluster, holding its versions and watches. */
final class StoreConnection extends ChannelInboundHandlerAdapter {
  private static final System.Logger LOG = System.getLogger(StoreConnection.class.getName());

  /** Read versions one connection may hold at once (a client has one per open transaction). */
  static final int MAX_HOLDS = 1 << 20;

  /** Watches one connection may have at once: the largest limit a FoundationDB client accepts. */
  static final int MAX_WATCHES = WatchSlots.ABSOLUTE_MAX;

  private final Cluster cluster;
  private final AtomicLong newestVersion;
  private final Map<Long, ArrayDeque<Cluster.ReadVersion>> holds = new HashMap<>();
  private int holdCount;
  private final Map<Integer, CompletableFuture<Void>> watches = new HashMap<>();
  private final ArrayDeque<StoreMessage> waiting = new ArrayDeque<>();
  private boolean closed;
  private boolean logged;

  /**
   * @param newestVersion the newest version the server handed out (GRV or commit), shared by its
   *     connections
   */
  StoreConnection(Cluster cluster, AtomicLong newestVersion) {
    this.cluster = cluster;
    this.newestVersion = newestVersion;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    StoreMessage m = (StoreMessage) msg;
    if (!waiting.isEmpty() || !ctx.channel().isWritable()) {
      waiting.add(m);
      ctx.channel().config().setAutoRead(false);
      return;
    }
    handle(ctx, m);
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    while (ctx.channel().isWritable() && !waiting.isEmpty()) handle(ctx, waiting.poll());
    if (ctx.channel().isWritable() && waiting.isEmpty()) ctx.channel().config().setAutoRead(true);
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    closed = true;
    waiting.clear();
    for (ArrayDeque<Cluster.ReadVersion> held : holds.values()) {
      for (Cluster.ReadVersion rv : held) rv.release();
    }
    holds.clear();
    holdCount = 0;
    List<CompletableFuture<Void>> open = new ArrayList<>(watches.values());
    watches.clear();
    for (CompletableFuture<Void> w : open) w.cancel(false);
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (!(cause instanceof IOException)) { // a reset or broken pipe is just a client going away
      closeWithLog(ctx, cause instanceof DecoderException ? "bad frame" : "error", cause);
    }
    ctx.close();
  }

  private void closeWithLog(ChannelHandlerContext ctx, String what, Throwable cause) {
    if (!logged) {
      logged = true;
      LOG.log(
          System.Logger.Level.WARNING,
          "store server closing the connection from "
              + ctx.channel().remoteAddress()
              + " ("
              + what
              + "): "
              + cause.getMessage());
    }
    ctx.close();
  }

  private void handle(ChannelHandlerContext ctx, StoreMessage m) {
    if (m instanceof StoreMessage.Grv g) {
      grv(ctx, g.id(), g.count());
    } else if (m instanceof StoreMessage.VersionNote n) {
      note(ctx, n);
    } else if (m instanceof StoreMessage.Get g) {
      then(
          ctx,
          call(() -> cluster.get(g.key(), g.readVersion())),
          (value, e) ->
              reply(
                  ctx, e == null ? new StoreMessage.ValueReply(g.id(), value) : error(g.id(), e)));
    } else if (m instanceof StoreMessage.Range r) {
      range(ctx, r);
    } else if (m instanceof StoreMessage.Commit c) {
      commit(ctx, c);
    } else if (m instanceof StoreMessage.Watch w) {
      watch(ctx, w);
    } else if (m instanceof StoreMessage.CancelWatch c) {
      CompletableFuture<Void> w = watches.remove(c.watchId());
      if (w != null) w.cancel(false);
    } else if (m instanceof StoreMessage.Describe d) {
      reply(ctx, StoreMessage.TextReply.ok(d.id(), cluster.describe()));
    } else {
      closeWithLog(ctx, "protocol", new IllegalStateException("unexpected " + m.type()));
    }
  }

  private void grv(ChannelHandlerContext ctx, int id, int count) {
    then(
        ctx,
        call(cluster::readVersion),
        (rv, e) -> {
          if (e != null) {
            reply(ctx, error(id, e));
            return;
          }
          if (closed || !addHold(ctx, rv)) {
            rv.release();
            return;
          }
          // The rest of the batch: the version cannot be pruned meanwhile, the first hold keeps it.
          for (int i = 1; i < count; i++) {
            Cluster.ReadVersion more = cluster.holdVersion(rv.version());
            if (!addHold(ctx, more)) {
              more.release();
              return;
            }
          }
          newestVersion.accumulateAndGet(rv.version(), Math::max);
          reply(ctx, new StoreMessage.VersionReply(id, rv.version()));
        });
  }

  private void note(ChannelHandlerContext ctx, StoreMessage.VersionNote n) {
    long v = n.version();
    switch (n.type()) {
      case HOLD -> {
        Cluster.ReadVersion rv = cluster.holdVersion(v);
        if (!addHold(ctx, rv)) rv.release();
      }
      case PIN -> {
        if (v <= newestVersion.get()) cluster.pin(v);
      }
      case RELEASE -> {
        ArrayDeque<Cluster.ReadVersion> held = holds.get(v);
        if (held == null) return; // dropped already, or never held: nothing to give back
        held.poll().release();
        holdCount--;
        if (held.isEmpty()) holds.remove(v);
      }
      default -> throw new IllegalStateException("not a version note: " + n.type());
    }
  }

  private boolean addHold(ChannelHandlerContext ctx, Cluster.ReadVersion rv) {
    if (holdCount >= MAX_HOLDS) {
      closeWithLog(
          ctx, "limit", new IllegalStateException(MAX_HOLDS + " read versions held at once"));
      return false;
    }
    holds.computeIfAbsent(rv.version(), v -> new ArrayDeque<>(1)).add(rv);
    holdCount++;
    return true;
  }

  private void range(ChannelHandlerContext ctx, StoreMessage.Range r) {
    if (r.rowLimit() < 1) {
      reply(
          ctx,
          error(
              r.id(),
              Errors.error(
                  Errors.CLIENT_INVALID_OPERATION, "row limit " + r.rowLimit() + " below 1")));
      return;
    }
    then(
        ctx,
        call(
            () ->
                BoundedRange.read(
                    cluster,
                    r.begin(),
                    r.end(),
                    r.reverse(),
                    r.rowLimit(),
                    r.readVersion(),
                    StoreProtocol.RANGE_REPLY_BYTES)),
        (page, e) ->
            reply(
                ctx,
                e == null
                    ? new StoreMessage.RangeReply(r.id(), page.rows(), page.more())
                    : error(r.id(), e)));
  }

  private void commit(ChannelHandlerContext ctx, StoreMessage.Commit c) {
    FDBException refused = CommitCheck.problem(c.request());
    if (refused != null) {
      reply(ctx, error(c.id(), refused));
      return;
    }
    then(
        ctx,
        call(() -> cluster.commit(c.request())),
        (result, e) -> {
          if (e != null) {
            reply(ctx, error(c.id(), e));
          } else {
            newestVersion.accumulateAndGet(result.version(), Math::max);
            reply(ctx, new StoreMessage.CommitReply(c.id(), result));
          }
        });
  }

  private void watch(ChannelHandlerContext ctx, StoreMessage.Watch w) {
    int id = w.id();
    if (watches.containsKey(id)) {
      reply(ctx, error(id, Errors.error(Errors.CLIENT_INVALID_OPERATION, "watch id in use")));
      return;
    }
    if (watches.size() >= MAX_WATCHES) {
      reply(ctx, error(id, Errors.error(Errors.TOO_MANY_WATCHES)));
      return;
    }
    CompletableFuture<Void> future = call(() -> cluster.watch(w.key(), w.expected()));
    watches.put(id, future);
    then(
        ctx,
        future,
        (v, e) -> {
          if (watches.remove(id, future)) {
            reply(ctx, e == null ? new StoreMessage.WatchFired(id) : error(id, e));
          }
        });
  }

  /** Runs {@code action} on the event loop once {@code f} completes: at once if it has. */
  private static <T> void then(
      ChannelHandlerContext ctx,
      CompletableFuture<T> f,
      BiConsumer<? super T, ? super Throwable> action) {
    if (f.isDone() && ctx.executor().inEventLoop()) {
      f.whenComplete(action);
    } else {
      f.whenCompleteAsync(action, ctx.executor());
    }
  }

  /** A cluster call whose unexpected exception fails the request rather than the connection. */
  private static <T> CompletableFuture<T> call(Supplier<CompletableFuture<T>> body) {
    try {
      return body.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private void reply(ChannelHandlerContext ctx, StoreMessage reply) {
    if (!closed) ctx.writeAndFlush(reply, ctx.voidPromise());
  }

  private static StoreMessage error(int id, Throwable t) {
    FDBException e = Errors.unwrap(t);
    if (e != null) return StoreMessage.TextReply.error(id, e.getCode(), e.getMessage());
    return StoreMessage.TextReply.error(
        id, Errors.OPERATION_FAILED, Errors.describe(Errors.OPERATION_FAILED) + ": " + t);
  }
}
