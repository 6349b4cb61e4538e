package io.fdbmeta.storage;

import io.fdbmeta.wire.NodeReply;
import io.fdbmeta.wire.NodeRequest;
import io.fdbmeta.wire.ReplyStatus;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.timeout.IdleStateEvent;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * The node protocol's last handler: hands each request to the {@link RequestProcessor} and writes
 * its reply (replies may leave in another order than requests came; ids match them). Reading stops
 * while {@value #MAX_PENDING} requests of the connection are unanswered. A frame that cannot be
 * decoded gets an ERROR reply with id 0 saying why, and the connection is closed: nothing after it
 * can be trusted to be framed right (this includes a frame above the limit, closed as soon as its
 * length arrives), so requests decoded after it, even in the same read, are dropped unanswered.
 * Other connections are not affected. An idle connection (see {@link NodePortInitializer}) is
 * closed once nothing of it is pending.
 */
final class NodeRequestHandler extends SimpleChannelInboundHandler<NodeRequest> {
  static final int MAX_PENDING = 256;
  private static final System.Logger LOG = System.getLogger(NodeRequestHandler.class.getName());

  private final RequestProcessor processor;
  private final AtomicInteger nodeInFlight;
  private final PeerAuth.Session session;
  private final LongAdder malformedFrames;
  private int pending; // event loop only
  private boolean closing; // event loop only: a malformed frame arrived, nothing after it counts

  /** With the connection's peer session given (tests start one already vouched). */
  NodeRequestHandler(
      RequestProcessor processor, AtomicInteger nodeInFlight, PeerAuth.Session session) {
    this(processor, nodeInFlight, session, new LongAdder());
  }

  /**
   * @param malformedFrames counts connections closed for a frame that could not be decoded
   */
  NodeRequestHandler(
      RequestProcessor processor,
      AtomicInteger nodeInFlight,
      PeerAuth.Session session,
      LongAdder malformedFrames) {
    this.processor = processor;
    this.nodeInFlight = nodeInFlight;
    this.session = session;
    this.malformedFrames = malformedFrames;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, NodeRequest req) {
    if (closing) return;
    nodeInFlight.incrementAndGet();
    if (++pending >= MAX_PENDING) ctx.channel().config().setAutoRead(false);
    processor
        .handle(req, session)
        .whenComplete(
            (reply, e) -> {
              // reads complete at once, on this loop: answer inline; replicated writes complete
              // elsewhere
              if (ctx.executor().inEventLoop()) answer(ctx, req, reply, e);
              else ctx.executor().execute(() -> answer(ctx, req, reply, e));
            });
  }

  /** Writes one reply and reads again if the connection was paused. On the event loop. */
  private void answer(
      ChannelHandlerContext ctx,
      NodeRequest req,
      @Nullable NodeReply reply,
      @Nullable Throwable e) {
    NodeReply out =
        reply != null && e == null
            ? reply
            : NodeReply.failure(
                req.id(),
                ReplyStatus.ERROR,
                "internal error: " + (e == null ? "no reply" : Async.describe(e)));
    if (closing) { // the ERROR reply about a malformed frame is the connection's last
      nodeInFlight.decrementAndGet();
      --pending;
      return;
    }
    ctx.writeAndFlush(out).addListener(w -> nodeInFlight.decrementAndGet());
    if (--pending < MAX_PENDING / 2 && !ctx.channel().config().isAutoRead())
      ctx.channel().config().setAutoRead(true);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent) {
      if (pending == 0) {
        LOG.log(
            System.Logger.Level.DEBUG,
            "closing idle node protocol connection from " + ctx.channel().remoteAddress());
        ctx.close();
      }
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (closing) return;
    closing = true;
    ctx.channel().config().setAutoRead(false);
    if (cause instanceof DecoderException) {
      malformedFrames.increment();
      String why =
          cause.getCause() != null && cause.getMessage() == null
              ? cause.getCause().toString()
              : cause.getMessage();
      LOG.log(
          System.Logger.Level.INFO,
          "closing node protocol connection from "
              + ctx.channel().remoteAddress()
              + ": malformed frame: "
              + why);
      ctx.writeAndFlush(
              NodeReply.failure(
                  0, ReplyStatus.ERROR, "malformed frame: " + why + "; closing the connection"))
          .addListener(ChannelFutureListener.CLOSE);
      return;
    }
    LOG.log(
        System.Logger.Level.WARNING,
        "closing node protocol connection from " + ctx.channel().remoteAddress() + ": " + cause);
    ctx.close();
  }
}
