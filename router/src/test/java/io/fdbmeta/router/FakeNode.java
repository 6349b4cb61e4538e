package io.fdbmeta.router;

import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.wire.NodeCodec;
import io.fdbmeta.wire.NodeOp;
import io.fdbmeta.wire.NodeReply;
import io.fdbmeta.wire.NodeRequest;
import io.fdbmeta.wire.ReplyStatus;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A storage node for router tests: the node protocol on a loopback port, data in a map shared by
 * all fake nodes of a test (so ranges can move between nodes without copying), and fencing like a
 * real node's: it serves a request only if it holds the request's range at that generation and
 * epoch as leaseholder and every key lies in the range; otherwise it answers the redirect status
 * with its own descriptor of the range (if it has one).
 */
final class FakeNode implements AutoCloseable {
  final String id;
  final ConcurrentSkipListMap<byte[], byte[]> data;

  /** The node's own view of the ranges it knows, by id. */
  final Map<Long, RangeDescriptor> held = new ConcurrentHashMap<>();

  final AtomicLong served = new AtomicLong();
  final AtomicLong redirected = new AtomicLong();
  final AtomicInteger outstanding = new AtomicInteger();
  final AtomicInteger peakOutstanding = new AtomicInteger();
  volatile long delayMillis;

  /** The most keys one request carried. */
  final AtomicInteger peakKeysPerRequest = new AtomicInteger();

  /** Answer replies of one read batch in reverse order. */
  volatile boolean reverse;

  /** The next this many requests get OVERLOADED. */
  final AtomicInteger overloadNext = new AtomicInteger();

  private final EventLoopGroup group;
  private final Channel server;

  FakeNode(String id, ConcurrentSkipListMap<byte[], byte[]> data) {
    this.id = id;
    this.data = data;
    this.group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    this.server =
        new ServerBootstrap()
            .group(group)
            .channel(NioServerSocketChannel.class)
            .childHandler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    NodeCodec.serverPipeline(ch.pipeline(), NodeCodec.DEFAULT_MAX_FRAME_BYTES);
                    ch.pipeline().addLast(new Handler());
                  }
                })
            .bind("127.0.0.1", 0)
            .syncUninterruptibly()
            .channel();
  }

  static ConcurrentSkipListMap<byte[], byte[]> newData() {
    return new ConcurrentSkipListMap<>(Arrays::compareUnsigned);
  }

  String address() {
    InetSocketAddress a = (InetSocketAddress) server.localAddress();
    return "127.0.0.1:" + a.getPort();
  }

  void hold(RangeDescriptor d) {
    held.put(d.rangeId(), d);
  }

  void forget(long rangeId) {
    held.remove(rangeId);
  }

  private final class Handler extends SimpleChannelInboundHandler<NodeRequest> {
    private final List<NodeReply> batch = new ArrayList<>();

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, NodeRequest req) {
      peakKeysPerRequest.accumulateAndGet(req.keys().length, Math::max);
      NodeReply reply = serve(req);
      int now = outstanding.incrementAndGet();
      peakOutstanding.accumulateAndGet(now, Math::max);
      if (delayMillis > 0) {
        ctx.executor()
            .schedule(
                () -> {
                  outstanding.decrementAndGet();
                  ctx.writeAndFlush(reply);
                },
                delayMillis,
                TimeUnit.MILLISECONDS);
      } else if (reverse) {
        batch.add(reply);
      } else {
        outstanding.decrementAndGet();
        ctx.write(reply);
      }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      for (int i = batch.size() - 1; i >= 0; i--) {
        outstanding.decrementAndGet();
        ctx.write(batch.get(i));
      }
      batch.clear();
      ctx.flush();
    }
  }

  NodeReply serve(NodeRequest req) {
    if (req.op() == NodeOp.PING) return NodeReply.ok(req.id(), 0);
    if (overloadNext.get() > 0 && overloadNext.getAndDecrement() > 0)
      return NodeReply.failure(req.id(), ReplyStatus.OVERLOADED, "busy");
    RangeDescriptor d = held.get(req.rangeId());
    if (d == null)
      return redirect(
          req,
          ReplyStatus.WRONG_RANGE,
          holding(req.keys().length > 0 ? req.keys()[0] : new byte[0]),
          "range " + req.rangeId() + " unknown here");
    if (req.generation() < d.generation() || req.epoch() < d.leaseEpoch())
      return redirect(req, ReplyStatus.STALE_EPOCH, d, "stale header");
    if (req.generation() > d.generation()
        || req.epoch() > d.leaseEpoch()
        || !id.equals(d.leaseholder())) {
      return redirect(req, ReplyStatus.NOT_LEASEHOLDER, d, "not the leaseholder here");
    }
    if (req.op() == NodeOp.SCAN) {
      byte[] start = req.keys()[0];
      byte[] end = req.keys()[1];
      if (!d.contains(start)
          || (end.length > 0
              && d.endKey() != null
              && Arrays.compareUnsigned(end, d.endKey()) > 0)) {
        return redirect(req, ReplyStatus.WRONG_RANGE, d, "scan bounds outside the range");
      }
      byte[] to = end.length > 0 ? end : d.endKey();
      Map<byte[], byte[]> sub =
          to == null ? data.tailMap(start, true) : data.subMap(start, true, to, false);
      List<byte[]> out = new ArrayList<>();
      boolean more = false;
      for (Map.Entry<byte[], byte[]> e : sub.entrySet()) {
        if (out.size() / 2 == req.limit()) {
          more = true;
          break;
        }
        out.add(e.getKey());
        out.add(e.getValue());
      }
      served.incrementAndGet();
      return NodeReply.values(req.id(), more ? 1 : 0, out.toArray(new byte[0][]));
    }
    for (byte[] k : req.keys()) {
      if (!d.contains(k)) return redirect(req, ReplyStatus.WRONG_RANGE, d, "key outside the range");
    }
    served.incrementAndGet();
    switch (req.op()) {
      case GET:
        {
          byte[][] vs = new byte[req.keys().length][];
          for (int i = 0; i < vs.length; i++) vs[i] = data.get(req.keys()[i]);
          return NodeReply.values(req.id(), vs.length, vs);
        }
      case SET:
        for (int i = 0; i < req.keys().length; i++) data.put(req.keys()[i], req.values()[i]);
        return NodeReply.ok(req.id(), req.keys().length);
      case DEL:
        {
          long n = 0;
          for (byte[] k : req.keys()) if (data.remove(k) != null) n++;
          return NodeReply.ok(req.id(), n);
        }
      case EXISTS:
        {
          long n = 0;
          for (byte[] k : req.keys()) if (data.containsKey(k)) n++;
          return NodeReply.ok(req.id(), n);
        }
      default:
        return NodeReply.failure(req.id(), ReplyStatus.ERROR, "unsupported op " + req.op());
    }
  }

  private RangeDescriptor holding(byte[] key) {
    for (RangeDescriptor d : held.values()) if (d.contains(key)) return d;
    return null;
  }

  private NodeReply redirect(NodeRequest req, ReplyStatus status, RangeDescriptor d, String why) {
    redirected.incrementAndGet();
    return NodeReply.redirect(req.id(), status, d == null ? null : d.encode(), why);
  }

  private boolean closed;

  @Override
  public synchronized void close() {
    if (closed) return;
    closed = true;
    server.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
