package io.fdbmeta.storage;

import io.fdbmeta.wire.ClusterTls;
import io.fdbmeta.wire.ConnectionsPerAddress;
import io.fdbmeta.wire.NodeCodec;
import io.fdbmeta.wire.NodeReply;
import io.fdbmeta.wire.PartialFrameBudget;
import io.fdbmeta.wire.ReplyStatus;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/*
 * The node protocol port's pipeline, one named step each:
 *
 *   tls, tls-peer     with cluster TLS only (ClusterTls): the handshake, a client certificate of the
 *                     cluster's CA required, then only OU=node or OU=router kept; the role goes
 *                     to the connection's PeerAuth.Session
 *   flush             FlushConsolidationHandler: replies of one read leave in one flush
 *   frames            NodeCodec's frame decoder: payload limit maxFrameBytes, checked as soon as a
 *                     length arrives; a partial frame reserves its length in the port's
 *                     PartialFrameBudget first (too long or no room: ERROR reply, connection closed)
 *   request-decoder / reply-encoder
 *   idle              IdleStateHandler after the decoders, so only whole requests and replies
 *                     count: a connection with neither for idleTimeout and nothing pending is
 *                     closed by NodeRequestHandler (a partial frame trickling in keeps nobody open)
 *   requests          NodeRequestHandler
 *
 * A connection beyond maxConnections, or beyond maxConnectionsPerAddress from its source IP, gets
 * one OVERLOADED reply (id 0) saying so and is closed before anything of it is read. Every refusal
 * and every connection closed for a malformed frame is counted (StorageNode.portRejections).
 */
/** Sets up each accepted node protocol connection, within the port's limits. */
final class NodePortInitializer extends ChannelInitializer<SocketChannel> {
  private static final System.Logger LOG = System.getLogger(NodePortInitializer.class.getName());

  private final StorageNodeConfig config;
  private final RequestProcessor processor;
  private final AtomicInteger inFlight;
  private final ChannelGroup channels;
  private final PartialFrameBudget budget;
  private final AtomicInteger open = new AtomicInteger();
  private final ConnectionsPerAddress perAddress;
  private final LongAdder overCap = new LongAdder();
  private final LongAdder overAddressCap = new LongAdder();
  private final LongAdder malformedFrames = new LongAdder();

  NodePortInitializer(
      StorageNodeConfig config,
      RequestProcessor processor,
      AtomicInteger inFlight,
      ChannelGroup channels) {
    this.config = config;
    this.processor = processor;
    this.inFlight = inFlight;
    this.channels = channels;
    this.budget = new PartialFrameBudget(config.maxPartialFrameBytes);
    this.perAddress = new ConnectionsPerAddress(config.maxConnectionsPerAddress);
  }

  @Override
  protected void initChannel(SocketChannel ch) {
    channels.add(ch);
    int now = open.incrementAndGet();
    ch.closeFuture().addListener(f -> open.decrementAndGet());
    ch.pipeline().addLast("flush", new FlushConsolidationHandler(StorageNode.FLUSH_BATCH, true));
    NodeCodec.serverPipeline(ch.pipeline(), config.maxFrameBytes, budget);
    if (now > config.maxConnections) {
      overCap.increment();
      refuse(ch, (now - 1) + " node protocol connections open, its limit");
      return;
    }
    InetAddress ip = ConnectionsPerAddress.ipOf(ch.remoteAddress());
    if (!perAddress.tryOpen(ip)) {
      overAddressCap.increment();
      refuse(ch, perAddress.max() + " node protocol connections open from " + ip + ", its limit");
      return;
    }
    ch.closeFuture().addListener(f -> perAddress.close(ip));
    ch.pipeline()
        .addLast(
            "idle",
            new IdleStateHandler(0, 0, config.idleTimeout.toMillis(), TimeUnit.MILLISECONDS));
    PeerAuth.Session session = new PeerAuth.Session(config.tls != null);
    if (config.tls != null) config.tls.serve(ch.pipeline(), ClusterTls.MEMBERS, session::certified);
    ch.pipeline()
        .addLast("requests", new NodeRequestHandler(processor, inFlight, session, malformedFrames));
  }

  private void refuse(SocketChannel ch, String why) {
    ch.config().setAutoRead(false);
    ch.pipeline().addLast("refuse", new Refuse(why));
  }

  /** What the port refused so far. */
  StorageNode.PortRejections rejections() {
    return new StorageNode.PortRejections(
        overCap.sum(), overAddressCap.sum(), budget.refusals(), malformedFrames.sum());
  }

  /** Node protocol connections open now (for tests). */
  int openConnections() {
    return open.get();
  }

  /** Tells a connection over the cap why, and closes it. */
  private final class Refuse extends ChannelInboundHandlerAdapter {
    private final String why;

    Refuse(String why) {
      this.why = why;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      LOG.log(
          System.Logger.Level.INFO,
          "node "
              + config.nodeId
              + " refused a node protocol connection from "
              + ctx.channel().remoteAddress()
              + ": "
              + why);
      ctx.writeAndFlush(
              NodeReply.failure(
                  0,
                  ReplyStatus.OVERLOADED,
                  "node " + config.nodeId + " has " + why + "; closing this one"))
          .addListener(ChannelFutureListener.CLOSE);
    }
  }
}
