package io.fdbmeta.router;

import io.fdbmeta.wire.Command;
import io.fdbmeta.wire.RespDecoder;
import io.fdbmeta.wire.RespParser;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.AbstractScheduledEventExecutor;
import io.netty.util.concurrent.EventExecutor;
import java.util.EnumSet;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/** What the request path shares: one per router, read by every client connection. */
final class Services {
  final RouterConfig config;
  final RouteCache cache;
  final NodeDirectory directory;
  final RouterMetrics metrics;
  final Function<EventLoop, Upstream> upstreams;
  final Function<String, String> info;

  /** Checks each decoded command against what the router serves. */
  final RespParser parser;

  /** Checks each decoded command against the router's command table, then {@link #parser}. */
  final RouterParser commands;

  /** Ids of client connections (CLIENT ID, HELLO), from 1. */
  final AtomicLong clientIds = new AtomicLong();

  /** What the incomplete commands of all client connections may hold together. */
  final RespDecoder.Budget incompleteBytes;

  /** Reply bytes all connections wrote beyond their high-water marks (see ReplyQueue). */
  final RespDecoder.Budget unsentReplyBytes;

  Services(
      RouterConfig config,
      RouteCache cache,
      NodeDirectory directory,
      RouterMetrics metrics,
      Function<EventLoop, Upstream> upstreams,
      Function<String, String> info) {
    this.config = config;
    this.cache = cache;
    this.directory = directory;
    this.metrics = metrics;
    this.upstreams = upstreams;
    this.info = info;
    this.parser =
        new RespParser(
            EnumSet.complementOf(EnumSet.of(Command.UNKNOWN)),
            config.rangeDefaultLimit(),
            config.rangeMaxLimit());
    this.commands = new RouterParser(parser);
    this.incompleteBytes = new RespDecoder.Budget(config.incompleteBytesTotal());
    this.unsentReplyBytes = new RespDecoder.Budget(config.unsentReplyBytesTotal());
  }

  static Function<EventLoop, Upstream> fixed(Map<EventLoop, Upstream> byLoop) {
    return loop -> {
      Upstream u = byLoop.get(loop);
      if (u == null) throw new IllegalStateException("no upstream pool for event loop " + loop);
      return u;
    };
  }

  /** The event loop's clock (a mock one under EmbeddedChannel), so deadlines follow it in tests. */
  static long nanoTime(EventExecutor e) {
    return e instanceof AbstractScheduledEventExecutor
        ? ((AbstractScheduledEventExecutor) e).ticker().nanoTime()
        : System.nanoTime();
  }
}
