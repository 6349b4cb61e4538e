package io.fdbmeta.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.wire.Command;
import io.fdbmeta.wire.RespDecoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The client pipeline's handlers on EmbeddedChannel: no sockets, no storage nodes. */
class HandlerTest {
  private final RouterMetrics metrics = new RouterMetrics();
  private final RouterConfig config =
      RouterConfig.builder().requestTimeout(Duration.ofMillis(100)).build();

  private Services services() {
    return services(config, metrics, section -> "# Router\r\nsection:" + section + "\r\n");
  }

  /** Services with no catalog (every route load fails) and no upstreams. */
  static Services services(
      RouterConfig config, RouterMetrics metrics, Function<String, String> info) {
    RouteCache cache =
        new RouteCache(
            1 << 20,
            k -> CompletableFuture.failedFuture(new IllegalStateException("no catalog here")));
    NodeDirectory dir =
        new NodeDirectory(
            id -> CompletableFuture.completedFuture(Optional.empty()), System::nanoTime, 0);
    return new Services(config, cache, dir, metrics, loop -> null, info);
  }

  private EmbeddedChannel client(ChannelHandler... first) {
    EmbeddedChannel ch = new EmbeddedChannel();
    ch.pipeline().addLast(first);
    ch.pipeline().addLast("client", new ClientHandler(services()));
    return ch;
  }

  private static ByteBuf in(String s) {
    return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
  }

  private static String out(EmbeddedChannel ch) {
    StringBuilder sb = new StringBuilder();
    for (ByteBuf b; (b = ch.readOutbound()) != null; ) {
      sb.append(b.toString(StandardCharsets.ISO_8859_1));
      b.release();
    }
    return sb.toString();
  }

  @Test
  void answersLocalCommandsInOrderAndUnknownOnesWithAnError() {
    EmbeddedChannel ch = client(new RespDecoder());
    ch.writeInbound(
        in(
            "*1\r\n$4\r\nPING\r\n*2\r\n$4\r\necho\r\n$3\r\na\0b\r\n*2\r\n$5\r\nFLUSH\r\n$1\r\nx\r\nPING hi\r\n*1\r\n$3\r\nGET\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"));
    assertThat(out(ch))
        .isEqualTo(
            "+PONG\r\n$3\r\na\0b\r\n-ERR unknown command 'FLUSH', with args beginning with: 'x' \r\n$2\r\nhi\r\n-ERR wrong number of arguments for 'get' command\r\n+OK\r\n");
    assertThat(metrics.clientErrors()).isEqualTo(2);
    assertThat(metrics.requests(Command.PING)).isEqualTo(2);
    assertThat(ch.isOpen()).isTrue();
    ch.writeInbound(in("*1\r\n$4\r\nINFO\r\n"));
    assertThat(out(ch)).startsWith("$").contains("# Router");
    ch.writeInbound(in("*1\r\n$4\r\nQUIT\r\n*1\r\n$4\r\nPING\r\n"));
    ch.runPendingTasks();
    assertThat(out(ch)).isEqualTo("+OK\r\n");
    assertThat(ch.isOpen()).isFalse();
  }

  @Test
  void aProtocolErrorIsAnsweredAfterTheCommandsBeforeItAndCloses() {
    EmbeddedChannel ch = client(new RespDecoder());
    ch.writeInbound(in("*1\r\n$4\r\nPING\r\n*1\r\n$-3\r\n*1\r\n$4\r\nPING\r\n"));
    ch.runPendingTasks();
    assertThat(out(ch))
        .isEqualTo(
            "+PONG\r\n-ERR Protocol error: invalid bulk length -3 (at most 16777216 bytes)\r\n");
    assertThat(ch.isOpen()).isFalse();
    assertThat(metrics.protocolErrors()).isEqualTo(1);
  }

  @Test
  void aMissWhoseCatalogReadFailsGetsTheNoRouteErrorInOrder() throws Exception {
    EmbeddedChannel ch = client(new RespDecoder());
    ch.writeInbound(in("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$4\r\nPING\r\n"));
    for (int i = 0; i < 100 && metrics.requests(Command.PING) == 0; i++) {
      Thread.sleep(5);
      ch.runPendingTasks();
    }
    assertThat(out(ch))
        .startsWith("-CLUSTERDOWN no route to the key's range: ")
        .endsWith("\r\n+PONG\r\n");
    assertThat(metrics.failures(UpstreamFailure.NO_ROUTE)).isEqualTo(1);
  }

  @Test
  void aTrickledCommandIsCutOffAtTheDeadlineButAWholeOneIsNot() {
    RespDecoder decoder = new RespDecoder();
    EmbeddedChannel ch = new EmbeddedChannel();
    ch.freezeTime();
    ch.pipeline()
        .addLast(
            decoder,
            new RequestDeadlineHandler(decoder, TimeUnit.MILLISECONDS.toNanos(100), metrics),
            new ClientHandler(services()));
    ch.writeInbound(in("*1\r\n$4\r\nPI"));
    ch.advanceTimeBy(60, TimeUnit.MILLISECONDS);
    ch.runScheduledPendingTasks();
    ch.writeInbound(
        in("NG\r\n*1\r\n$4\r\nPI")); // the first completes; the second starts its own clock now
    assertThat(out(ch)).isEqualTo("+PONG\r\n");
    ch.advanceTimeBy(60, TimeUnit.MILLISECONDS);
    ch.runScheduledPendingTasks();
    assertThat(ch.isOpen()).isTrue();
    ch.advanceTimeBy(50, TimeUnit.MILLISECONDS);
    ch.runScheduledPendingTasks();
    assertThat(out(ch)).startsWith("-ERR request deadline exceeded");
    assertThat(ch.isOpen()).isFalse();
    assertThat(metrics.deadlineCloses()).isEqualTo(1);
  }

  @Test
  void anIdleConnectionIsClosedOnlyWithNothingInFlight() {
    EmbeddedChannel ch = client(new RespDecoder());
    ch.pipeline()
        .fireUserEventTriggered(io.netty.handler.timeout.IdleStateEvent.ALL_IDLE_STATE_EVENT);
    assertThat(ch.isOpen()).isFalse();
    assertThat(metrics.idleCloses()).isEqualTo(1);
  }

  @Test
  void theConnectionLimiterRejectsOverTheCap() {
    ConnectionLimiter limiter = new ConnectionLimiter(1, metrics);
    EmbeddedChannel a = new EmbeddedChannel(limiter);
    EmbeddedChannel b = new EmbeddedChannel(limiter);
    assertThat(a.isOpen()).isTrue();
    b.runPendingTasks();
    assertThat(out(b)).isEqualTo("-ERR max number of clients reached\r\n");
    assertThat(b.isOpen()).isFalse();
    assertThat(limiter.open()).isEqualTo(1);
    a.close();
    assertThat(limiter.open()).isZero();
    assertThat(metrics.rejectedConnections()).isEqualTo(1);
  }

  @Test
  void metricsRenderAsPrometheusText() {
    metrics.request(Command.GET, 40_000);
    metrics.request(Command.GET, 2_000_000);
    metrics.failure(UpstreamFailure.TIMEOUT);
    metrics.redirect(io.fdbmeta.wire.ReplyStatus.STALE_EPOCH);
    metrics.gauge("route_cache_ranges", "Ranges.", () -> 7);
    String text = metrics.prometheus();
    assertThat(text)
        .contains(
            "# TYPE fdbmeta_router_requests_total counter\n",
            "fdbmeta_router_requests_total{command=\"get\"} 2\n",
            "fdbmeta_router_errors_total{kind=\"timeout\"} 1\n",
            "fdbmeta_router_redirects_total{status=\"stale_epoch\"} 1\n",
            "fdbmeta_router_request_seconds_bucket{command=\"get\",le=\"0.00005\"} 1\n",
            "fdbmeta_router_request_seconds_bucket{command=\"get\",le=\"0.0025\"} 2\n",
            "fdbmeta_router_request_seconds_bucket{command=\"get\",le=\"+Inf\"} 2\n",
            "fdbmeta_router_request_seconds_sum{command=\"get\"} 0.00204\n",
            "fdbmeta_router_request_seconds_count{command=\"get\"} 2\n",
            "fdbmeta_router_route_cache_ranges 7\n");
    assertThat(metrics.latency(Command.GET).quantileMicrosUpperBound(0.5)).isEqualTo(50);
  }

  @Test
  void aConnectionWhoseIncompleteCommandHoldsTooMuchGetsAnErrorAndIsClosed() {
    RespDecoder.Budget budget = new RespDecoder.Budget(1 << 20);
    EmbeddedChannel ch = client(new RespDecoder(RespDecoder.Limits.DEFAULT, 4_096, budget));
    ch.writeInbound(in("*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$9000\r\n" + "x".repeat(5_000)));
    ch.runPendingTasks();
    assertThat(out(ch))
        .isEqualTo(
            "+PONG\r\n-ERR incomplete command holds more than 4096 bytes (the connection's limit)\r\n");
    assertThat(ch.isOpen()).isFalse();
    assertThat(metrics.incompleteCommandRejections()).isEqualTo(1);
    assertThat(metrics.protocolErrors()).isZero();
    assertThat(budget.used()).isZero();
  }
}
