package io.fdbmeta.router;

import io.fdbmeta.wire.RespDecoder;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Builds a client connection's pipeline from small named steps, in this order:
 *
 * <pre>
 * tls        SslHandler                 only with TLS on (RouterConfig.tls): first, so everything
 *                                       after it sees plaintext; handshake within the request
 *                                       timeout; ClientHandler counts failed handshakes
 * flush      FlushConsolidationHandler  one flush per read batch, or per loop turn for async replies
 * limit      ConnectionLimiter          connection cap (shared)
 * idle       IdleStateHandler           read-idle timer; ClientHandler closes if nothing is in flight
 *                                       (with users on, it ticks at the unauthenticated timeout)
 * resp       RespDecoder                bytes to RespCommand, lengths checked before allocation,
 *                                       memory of incomplete commands bounded (per connection, total)
 * deadline   RequestDeadlineHandler     a command must arrive whole within the request deadline
 * client     ClientHandler              glue: RespParser, ReplyQueue (order, gate, backpressure),
 *                                       Commands (KeysOp, ScanOp, answers at once)
 * </pre>
 */
final class RouterChannelInitializer extends ChannelInitializer<Channel> {
  private final Services svc;
  private final ConnectionLimiter limiter;
  private final ChannelGroup clients;
  private final @Nullable SslContext tls;

  RouterChannelInitializer(
      Services svc, ConnectionLimiter limiter, ChannelGroup clients, @Nullable SslContext tls) {
    this.svc = svc;
    this.limiter = limiter;
    this.clients = clients;
    this.tls = tls;
  }

  @Override
  protected void initChannel(Channel ch) {
    ChannelPipeline p = ch.pipeline();
    clients.add(ch);
    encrypting(ch, p);
    flushing(p);
    limiting(p);
    idling(p);
    RespDecoder decoder =
        new RespDecoder(
            svc.config.respLimits(),
            svc.config.incompleteBytesPerConnection(),
            svc.incompleteBytes);
    decoding(p, decoder);
    deadlines(p, decoder);
    serving(p);
  }

  /**
   * Before the flush step, so that a consolidated flush is encrypted as one batch of records rather
   * than one record per reply.
   */
  void encrypting(Channel ch, ChannelPipeline p) {
    if (tls == null) return;
    SslHandler h = tls.newHandler(ch.alloc());
    h.setHandshakeTimeout(svc.config.requestTimeout().toNanos(), TimeUnit.NANOSECONDS);
    p.addLast("tls", h);
  }

  void flushing(ChannelPipeline p) {
    p.addLast("flush", new FlushConsolidationHandler(256, true));
  }

  void limiting(ChannelPipeline p) {
    p.addLast("limit", limiter);
  }

  /**
   * Idle means no command read for the idle timeout and none in flight (ClientHandler checks the
   * latter). Writes only ever answer reads, so a read timer is enough, and unlike a write or
   * all-idle timer it puts no listener on every reply.
   */
  void idling(ChannelPipeline p) {
    p.addLast("idle", new IdleStateHandler(idleTimerNanos(svc.config), 0, 0, TimeUnit.NANOSECONDS));
  }

  /**
   * The idle step's period: the idle timeout, or with users on the shorter unauthenticated one
   * (ClientHandler then adds up idle events for authenticated connections).
   */
  static long idleTimerNanos(RouterConfig config) {
    long idle = config.idleTimeout().toNanos();
    return config.users() == null
        ? idle
        : Math.min(idle, config.unauthenticatedIdleTimeout().toNanos());
  }

  void deadlines(ChannelPipeline p, RespDecoder decoder) {
    p.addLast(
        "deadline",
        new RequestDeadlineHandler(decoder, svc.config.requestTimeout().toNanos(), svc.metrics));
  }

  void decoding(ChannelPipeline p, RespDecoder decoder) {
    p.addLast("resp", decoder);
  }

  void serving(ChannelPipeline p) {
    p.addLast("client", new ClientHandler(svc));
  }
}
