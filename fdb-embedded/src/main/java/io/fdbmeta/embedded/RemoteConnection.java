package io.fdbmeta.embedded;

import com.apple.foundationdb.FDBException;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import org.jspecify.annotations.Nullable;

/*
 * One TCP connection of a RemoteCluster. Callers on any thread register a Call under a fresh id
 * and queue its request; one task on the event loop writes everything queued and flushes once, so
 * concurrent callers share system calls. Replies complete their Call by id, on the event loop.
 *
 * When the connection is lost every Call still registered fails the way FoundationDB's client
 * reports it (Kind.lost), and nothing is ever sent on this connection again: the cluster makes a
 * new one. A caller that registers just as the connection is lost checks `lost` after registering
 * and takes its Call back itself; exactly one side removes the Call from the map, so it completes
 * once.
 */
/** One connection to a store server: pipelined requests, replies matched to them by id. */
final class RemoteConnection extends ChannelInboundHandlerAdapter {
  /** How a request fails when its connection is lost. */
  enum Kind {
    /** GRV, reads, DESCRIBE: 1037 process_behind, retryable. */
    READ,
    /** The commit may have been applied: 1021 commit_unknown_result. */
    COMMIT,
    /** Completes normally, a spurious fire: the caller re-reads and watches again. */
    WATCH
  }

  /** A request in flight, completed with its reply (an ERROR reply completes it exceptionally). */
  static final class Call extends CompletableFuture<StoreMessage> {
    final int id;
    final Kind kind;

    Call(int id, Kind kind) {
      this.id = id;
      this.kind = kind;
    }
  }

  /** A read version held on one connection; the server drops it by itself if that one is lost. */
  static final class Held implements Cluster.ReadVersion {
    private final @Nullable RemoteConnection connection;
    private final long version;

    Held(@Nullable RemoteConnection connection, long version) {
      this.connection = connection;
      this.version = version;
    }

    @Override
    public long version() {
      return version;
    }

    @Override
    public void release() {
      if (connection != null) {
        connection.send(new StoreMessage.VersionNote(StoreMessage.Type.RELEASE, version));
      }
    }
  }

  private static final int DRAIN_BATCH = 1024;

  private final String peer;
  private final Consumer<RemoteConnection> onLost;
  private final ConcurrentHashMap<Integer, Call> calls = new ConcurrentHashMap<>();
  private final Queue<StoreMessage> outbox = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean drainScheduled = new AtomicBoolean();
  private final AtomicInteger nextId = new AtomicInteger();
  private volatile boolean lost;
  private final Channel channel;

  /**
   * @param peer "host:port", for error messages
   * @param onLost told once, on the event loop, when the connection is lost
   */
  RemoteConnection(Channel channel, String peer, Consumer<RemoteConnection> onLost) {
    this.channel = channel;
    this.peer = peer;
    this.onLost = onLost;
  }

  boolean isLost() {
    return lost;
  }

  /**
   * Sends the request {@code request} makes for a fresh id. The call fails at once with 1037 if the
   * connection is already lost (it was never sent), and with {@code tooLarge} if the request does
   * not fit in a frame.
   */
  Call call(Kind kind, IntFunction<StoreMessage> request, int tooLarge) {
    Call c;
    int id;
    do {
      id = nextId.incrementAndGet();
      c = new Call(id, kind);
    } while (id == 0 || calls.putIfAbsent(id, c) != null); // 0 marks requests without a reply
    StoreMessage m = request.apply(id);
    if (StoreProtocol.frameSize(m) - 4 > StoreProtocol.MAX_FRAME) {
      if (calls.remove(id, c)) {
        c.completeExceptionally(
            Errors.error(tooLarge, m.type() + " exceeds the store protocol's frame limit"));
      }
      return c;
    }
    if (lost) {
      if (calls.remove(id, c)) c.completeExceptionally(notConnected(peer));
      return c;
    }
    send(m);
    return c;
  }

  /**
   * Forgets a call the caller gave up on; true if it was still in flight (so the caller may tell
   * the server).
   */
  boolean forget(Call c) {
    return calls.remove(c.id, c);
  }

  /** Queues a message without a reply; dropped if the connection is lost. */
  void send(StoreMessage m) {
    if (lost) return;
    outbox.add(m);
    if (drainScheduled.compareAndSet(false, true)) {
      try {
        channel.eventLoop().execute(this::drain);
      } catch (RejectedExecutionException e) {
        outbox.clear(); // the client is closing; its calls fail there
      }
    }
  }

  /**
   * Writes what is queued, then flushes once; a long queue yields the loop to replies between
   * batches.
   */
  private void drain() {
    drainScheduled.set(false);
    for (int n = 0; n < DRAIN_BATCH; n++) {
      StoreMessage m = outbox.poll();
      if (m == null) break;
      channel.write(m, channel.voidPromise());
    }
    channel.flush();
    if (!outbox.isEmpty() && drainScheduled.compareAndSet(false, true)) {
      channel.eventLoop().execute(this::drain);
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    StoreMessage reply = (StoreMessage) msg;
    Call c = calls.remove(reply.id());
    if (c == null) return; // a call its caller gave up on
    if (reply instanceof StoreMessage.TextReply t && t.type() == StoreMessage.Type.ERROR) {
      c.completeExceptionally(new FDBException(t.text(), t.code()));
    } else {
      c.complete(reply);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    fail(null);
    onLost.accept(this);
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close(); // a bad reply or a broken socket: either way this connection is done
  }

  /**
   * Marks the connection lost and completes every call in flight: with {@code error} if given, else
   * as its kind says. Then closes the channel.
   */
  void fail(@Nullable FDBException error) {
    lost = true;
    outbox.clear();
    for (Call c : calls.values()) {
      if (!calls.remove(c.id, c)) continue;
      if (error != null) {
        c.completeExceptionally(error);
      } else {
        switch (c.kind) {
          case READ ->
              c.completeExceptionally(
                  Errors.error(
                      Errors.PROCESS_BEHIND, "connection to store server " + peer + " lost"));
          case COMMIT ->
              c.completeExceptionally(
                  Errors.error(
                      Errors.COMMIT_UNKNOWN_RESULT,
                      "connection to store server " + peer + " lost during the commit"));
          case WATCH -> c.complete(new StoreMessage.WatchFired(c.id));
        }
      }
    }
    channel.close();
  }

  /**
   * The reply as the type its request is answered with; a different one fails the call with 1000.
   */
  static <T extends StoreMessage> T expect(StoreMessage reply, Class<T> type) {
    if (type.isInstance(reply)) return type.cast(reply);
    throw Errors.error(
        Errors.OPERATION_FAILED,
        "store server answered " + reply.type() + " where " + type.getSimpleName() + " was due");
  }

  static FDBException notConnected(String peer) {
    return Errors.error(Errors.PROCESS_BEHIND, "not connected to store server " + peer);
  }
}
