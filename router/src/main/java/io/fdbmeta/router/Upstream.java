package io.fdbmeta.router;

import io.fdbmeta.wire.ClusterTls;
import io.fdbmeta.wire.NodeCodec;
import io.fdbmeta.wire.NodeOp;
import io.fdbmeta.wire.NodeReply;
import io.fdbmeta.wire.NodeRequest;
import io.fdbmeta.wire.ReplyStatus;
import io.fdbmeta.wire.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.util.collection.LongObjectHashMap;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/*
 * Connections from one event loop to storage nodes. Each event loop has its own Upstream, and
 * every connection in it is registered on that same loop, so a client connection's requests,
 * their upstream writes and the replies all run on one thread: no locks, no hand-offs, and many
 * clients' requests multiplexed on one connection per node per loop (replies are matched by id,
 * in any order).
 *
 * Timeouts without a timer per request: a connection's sends are remembered in send order in a
 * ring of (id, sent-at); a sweep every few milliseconds pops answered ids from the front and fails
 * the front while it is older than the timeout. Since every send gets the same timeout, the front
 * is always the first to expire.
 *
 * Coalescing: a first-attempt GET is not written at once but parked in its connection's batch for
 * its range; when the loop turn ends, each range's batch leaves as one multi-key GET with the
 * shared routing header, and the reply's values are handed back to each call in order. A pipelined
 * client's GETs, and concurrent clients' GETs on the same loop, then cost the node and the router
 * one frame per range and turn instead of one per command. Only reads are coalesced (they may be
 * served in any order within the batch), and only first attempts: a retried GET goes alone, so a
 * batch whose reply is too large for a frame cannot fail the same GETs twice. A batch answered
 * with anything but OK (a redirect names the range of the first key only) is sent again call by
 * call, so each GET meets the redirect about its own key, as if it had never been coalesced.
 */
/** Per-event-loop pool of connections to storage nodes speaking the node protocol. */
final class Upstream {
  /**
   * One send of a request to a node, and where its outcome goes. Called on the upstream's event
   * loop.
   */
  interface Call {
    /** The request to send, with the id the connection chose. */
    NodeRequest request(long id);

    void onReply(NodeReply reply);

    void onFailure(UpstreamFailure failure, String detail);

    /**
     * True if this is a first-attempt GET whose keys may share one request with other GETs of the
     * same range.
     */
    default boolean coalescible() {
      return false;
    }
  }

  /** At most this many keys in one coalesced GET: keeps its request and reply frames small. */
  static final int MAX_BATCH_KEYS = 64;

  private final EventLoop loop;
  private final Bootstrap bootstrap;
  private final long timeoutNanos;
  private final LongSupplier nanoTime;
  private final NodeDirectory directory;
  private final RouterMetrics metrics;
  private final int maxFrameBytes;
  private final @Nullable ClusterTls clusterTls;
  private final Map<NodeDirectory.Node, Connection> connections = new HashMap<>();
  private boolean closed;

  Upstream(
      EventLoop loop,
      NodeDirectory directory,
      RouterConfig config,
      RouterMetrics metrics,
      LongSupplier nanoTime) {
    this.loop = loop;
    this.metrics = metrics;
    this.directory = directory;
    this.timeoutNanos = config.requestTimeout().toNanos();
    this.nanoTime = nanoTime;
    this.maxFrameBytes = config.nodeMaxFrameBytes();
    this.clusterTls = config.clusterTls();
    this.bootstrap =
        new Bootstrap()
            .group(loop)
            .channel(Transport.of(loop).socketChannel())
            .option(ChannelOption.TCP_NODELAY, true)
            .option(
                ChannelOption.CONNECT_TIMEOUT_MILLIS,
                (int) Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis()));
  }

  EventLoop loop() {
    return loop;
  }

  /** Sends {@code call} to {@code node}, connecting first if needed. On the loop only. */
  void send(NodeDirectory.Node node, Call call) {
    if (closed) {
      call.onFailure(UpstreamFailure.SHUTTING_DOWN, "");
      return;
    }
    Connection c = connections.get(node);
    if (c == null || c.closed || !c.address.equals(node.address)) {
      if (c != null) c.close();
      c = new Connection(node);
      connections.put(node, c);
    }
    c.send(call);
  }

  /** Connections open or opening; on the loop only. */
  int connectionCount() {
    return connections.size();
  }

  /** Requests in flight on all connections; on the loop only. */
  int pendingCount() {
    int n = 0;
    for (Connection c : connections.values()) n += c.pending.size();
    return n;
  }

  /** Closes every connection, failing what is in flight. On the loop only. */
  void close() {
    closed = true;
    for (Connection c : new ArrayList<>(connections.values())) c.close();
    connections.clear();
  }

  /** One connection to one node. */
  private final class Connection extends ChannelInboundHandlerAdapter {
    final NodeDirectory.Node node;
    final InetSocketAddress address;
    final LongObjectHashMap<Call> pending = new LongObjectHashMap<>();
    private final List<Call> waiting = new ArrayList<>();

    /** Coalescible GETs of this loop turn by range id; sent by {@link #sendBatches}. */
    private final LongObjectHashMap<Batch> batches = new LongObjectHashMap<>();

    private boolean batchesScheduled;
    private final Channel channel;
    private long nextId = 1;
    private long[] ring = new long[64]; // pairs: id, sentAt
    private int ringHead;
    private int ringSize;
    private @Nullable ScheduledFuture<?> sweeper;
    boolean connected;
    boolean closed;

    Connection(NodeDirectory.Node node) {
      this.node = node;
      this.address = node.address;
      ChannelFuture f =
          bootstrap
              .clone()
              .handler(
                  new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                      ch.pipeline().addLast("flush", new FlushConsolidationHandler(256, true));
                      NodeCodec.clientPipeline(ch.pipeline(), maxFrameBytes);
                      ch.pipeline().addLast("upstream", Connection.this);
                      if (clusterTls != null) clusterTls.dial(ch.pipeline());
                    }
                  })
              .connect(address);
      this.channel = f.channel();
      f.addListener(
          (ChannelFuture done) -> {
            if (!done.isSuccess()) {
              failAll(
                  UpstreamFailure.CONNECT_FAILED,
                  node.id + " at " + address + ": " + done.cause().getMessage());
              directory.refresh(node);
              return;
            }
            connected = true;
            long period = Math.max(TimeUnit.MILLISECONDS.toNanos(5), timeoutNanos / 8);
            sweeper = loop.scheduleAtFixedRate(this::sweep, period, period, TimeUnit.NANOSECONDS);
            List<Call> queued = new ArrayList<>(waiting);
            waiting.clear();
            for (Call c : queued) write(c);
            channel.flush();
          });
    }

    void send(Call call) {
      if (!connected) {
        waiting.add(call);
        return;
      }
      if (call.coalescible()) {
        park(call);
        return;
      }
      write(call);
      channel.flush();
    }

    /**
     * Adds {@code call} to its range's batch for this turn; a full batch, or one with another
     * header, leaves first.
     */
    private void park(Call call) {
      NodeRequest req = call.request(0);
      Batch b = batches.get(req.rangeId());
      if (b != null && (!b.sameHeader(req) || b.keyCount + req.keys().length > MAX_BATCH_KEYS)) {
        batches.remove(req.rangeId());
        sendBatch(b);
        channel.flush();
        b = null;
      }
      if (b == null) {
        b = new Batch(req);
        batches.put(req.rangeId(), b);
      }
      b.add(call, req);
      if (!batchesScheduled) {
        batchesScheduled = true;
        loop.execute(this::sendBatches);
      }
    }

    private void sendBatches() {
      batchesScheduled = false;
      if (batches.isEmpty()) return;
      List<Batch> all = new ArrayList<>(batches.values());
      batches.clear();
      if (closed) {
        for (Batch b : all)
          b.onFailure(
              UpstreamFailure.CONNECTION_LOST,
              "connection to " + node.id + " at " + address + " closed");
        return;
      }
      for (Batch b : all) sendBatch(b);
      channel.flush();
    }

    private void sendBatch(Batch b) {
      if (b.calls.size() == 1) {
        write(b.calls.get(0));
      } else {
        metrics.coalesced(b.calls.size());
        write(b);
      }
    }

    private void write(Call call) {
      long id = nextId++;
      NodeRequest req = call.request(id);
      pending.put(id, call);
      remember(id, nanoTime.getAsLong());
      channel.write(req, channel.voidPromise());
    }

    private void remember(long id, long at) {
      if (ringSize * 2 == ring.length) {
        long[] bigger = new long[ring.length * 2];
        for (int i = 0; i < ringSize; i++) {
          int from = ((ringHead + i) * 2) % ring.length;
          bigger[i * 2] = ring[from];
          bigger[i * 2 + 1] = ring[from + 1];
        }
        ring = bigger;
        ringHead = 0;
      }
      int at2 = ((ringHead + ringSize) * 2) % ring.length;
      ring[at2] = id;
      ring[at2 + 1] = at;
      ringSize++;
    }

    private void sweep() {
      long now = nanoTime.getAsLong();
      while (ringSize > 0) {
        int at = ringHead * 2;
        long id = ring[at];
        Call c = pending.get(id);
        if (c != null) {
          if (now - ring[at + 1] < timeoutNanos) return;
          pending.remove(id);
          c.onFailure(
              UpstreamFailure.TIMEOUT,
              node.id
                  + " did not answer within "
                  + TimeUnit.NANOSECONDS.toMillis(timeoutNanos)
                  + " ms");
        }
        ringHead = (ringHead + 1) % (ring.length / 2);
        ringSize--;
      }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      NodeReply reply = (NodeReply) msg;
      Call c = pending.remove(reply.id());
      if (c != null) c.onReply(reply); // else: answered after its timeout
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      lost("connection to " + node.id + " at " + address + " closed");
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      lost("connection to " + node.id + " at " + address + " failed: " + cause.getMessage());
      ctx.close();
    }

    private void lost(String why) {
      if (closed) return;
      closed = true;
      if (connections.get(node) == this) connections.remove(node);
      if (sweeper != null) sweeper.cancel(false);
      directory.refresh(node);
      failAll(UpstreamFailure.CONNECTION_LOST, why);
    }

    private void failAll(UpstreamFailure f, String why) {
      closed = true;
      if (connections.get(node) == this) connections.remove(node);
      List<Call> calls = new ArrayList<>(waiting);
      waiting.clear();
      calls.addAll(pending.values());
      pending.clear();
      calls.addAll(batches.values());
      batches.clear();
      ringSize = 0;
      for (Call c : calls) c.onFailure(f, why);
    }

    void close() {
      if (closed) return;
      closed = true;
      if (sweeper != null) sweeper.cancel(false);
      channel.close();
      failAll(
          UpstreamFailure.CONNECTION_LOST, "connection to " + node.id + " closed by the router");
    }

    /** Sends each call uncoalesced, as its own request. */
    private void sendAlone(List<Call> calls) {
      if (closed) {
        for (Call c : calls)
          c.onFailure(
              UpstreamFailure.CONNECTION_LOST,
              "connection to " + node.id + " at " + address + " closed");
        return;
      }
      for (Call c : calls) write(c);
      channel.flush();
    }

    /**
     * GETs of one range, with one routing header, sent as one request; the reply is split back in
     * key order.
     */
    private final class Batch implements Call {
      final long rangeId;
      final long generation;
      final long epoch;
      final List<Call> calls = new ArrayList<>(4);
      final List<byte[][]> keys = new ArrayList<>(4);
      int keyCount;

      Batch(NodeRequest first) {
        this.rangeId = first.rangeId();
        this.generation = first.generation();
        this.epoch = first.epoch();
      }

      boolean sameHeader(NodeRequest r) {
        return r.generation() == generation && r.epoch() == epoch && r.op() == NodeOp.GET;
      }

      void add(Call call, NodeRequest req) {
        calls.add(call);
        keys.add(req.keys());
        keyCount += req.keys().length;
      }

      @Override
      public NodeRequest request(long id) {
        byte[][] all = new byte[keyCount][];
        int at = 0;
        for (byte[][] ks : keys) {
          System.arraycopy(ks, 0, all, at, ks.length);
          at += ks.length;
        }
        return new NodeRequest(id, NodeOp.GET, rangeId, generation, epoch, 0, all, NO_VALUES);
      }

      @Override
      public void onReply(NodeReply reply) {
        byte[][] values = reply.values();
        if (reply.status() != ReplyStatus.OK || values == null || values.length != keyCount) {
          // A redirect's descriptor is the one range holding the first key; the other calls' keys
          // may lie in others. Each call is sent again alone, so each gets the answer about its
          // keys.
          sendAlone(calls);
          return;
        }
        int at = 0;
        for (int i = 0; i < calls.size(); i++) {
          int n = keys.get(i).length;
          byte[][] mine = Arrays.copyOfRange(values, at, at + n);
          at += n;
          long found = 0;
          for (byte[] v : mine) if (v != null) found++;
          calls.get(i).onReply(NodeReply.values(reply.id(), found, mine));
        }
      }

      @Override
      public void onFailure(UpstreamFailure failure, String detail) {
        for (Call c : calls) c.onFailure(failure, detail);
      }
    }
  }

  private static final byte[][] NO_VALUES = new byte[0][];
}
