package io.fdbmeta.router;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.AbstractScheduledEventExecutor;
import io.netty.util.concurrent.EventExecutor;
import java.util.Map;
import java.util.function.Function;

/** What the request path shares: one per router, read by every client connection. */
final class Services {
  final RouterConfig config;
  final RouteCache cache;
  final NodeDirectory directory;
  final RouterMetrics metrics;
  final Function<EventLoop, Upstream> upstreams;
  final Function<String, String> info;

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
