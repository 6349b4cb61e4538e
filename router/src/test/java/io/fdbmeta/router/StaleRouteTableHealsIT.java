package io.fdbmeta.router;

import static io.fdbmeta.router.CheckedWorkload.b;
import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.layer.route.ChangeFeed;
import io.fdbmeta.storage.LocalCluster;
import io.fdbmeta.wire.ReplyStatus;
import io.fdbmeta.wire.RespClient;
import io.fdbmeta.wire.RespValue;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A router that cannot see the change feed (no watches, a poll far beyond the test) keeps the route
 * table it started with while real storage nodes split ranges and move leases; it heals through the
 * nodes' redirects alone, and no request fails.
 */
class StaleRouteTableHealsIT {
  private static final int KEYS = 2000;

  @Test
  void aRouterBlindToTheFeedHealsThroughRedirectsFromRealNodes() throws Exception {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    try (NodesBehindRouter e = NodesBehindRouter.start("e2e-stale")) {
      LocalCluster c = e.cluster;
      Router router =
          e.router(
              b ->
                  b.feedOptions(
                      ChangeFeed.Options.builder()
                          .watches(false)
                          .pollInterval(Duration.ofHours(1))
                          .clock(new Ticks())
                          .build()));
      // The feed polls once at start; that catch-up must be over before anything changes, so
      // nothing below reaches the router through it.
      TestCluster.await(
          "the feed's start-up catch-up",
          Duration.ofSeconds(10),
          () -> router.feedMetrics().lastSyncedAtMillis() >= 2,
          () -> router.feedMetrics().toString());
      long feedCommits = router.feedMetrics().commits();
      List<RangeDescriptor> started = router.routeCache().snapshot();
      assertThat(started).as("the router's table at start").isEqualTo(c.ranges()).hasSize(1);

      Map<String, String> values = new TreeMap<>();
      Map<String, Long> errors = new TreeMap<>();
      List<String> examples = new ArrayList<>();
      try (RespClient client = RespClient.connect(group, router.address())) {
        // 1. Splits: the router still routes every key to the root range, which no node has any
        // more.
        for (int i = 1; i < 10; i++) c.split(b(CheckedWorkload.key(i * KEYS / 10)));
        c.awaitServing(Duration.ofSeconds(5));
        assertThat(router.routeCache().snapshot())
            .as("the router did not hear of the splits")
            .isEqualTo(started);
        drive(client, 0, values, errors, examples);
        assertThat(errors)
            .as(
                "requests that failed or read wrong after the splits, by kind; examples %s",
                examples)
            .isEmpty();
        assertThat(router.metrics().redirects(ReplyStatus.WRONG_RANGE))
            .as("WRONG_RANGE redirects after the splits")
            .isPositive();

        // 2. Every lease moves to another replica, then some ranges split again on their new
        // holders.
        for (RangeDescriptor d : c.ranges()) {
          String to =
              d.replicas().get((d.replicas().indexOf(d.leaseholder()) + 1) % d.replicas().size());
          c.leaseholderOf(d.rangeId())
              .transferLeaseAsync(d.rangeId(), to)
              .get(10, TimeUnit.SECONDS);
        }
        c.awaitServing(Duration.ofSeconds(5));
        for (int i = 0; i < 10; i += 3) c.split(b(CheckedWorkload.key(i * KEYS / 10 + KEYS / 20)));
        c.awaitServing(Duration.ofSeconds(5));
        long wrongRange = router.metrics().redirects(ReplyStatus.WRONG_RANGE);
        drive(client, 1, values, errors, examples);
        assertThat(errors)
            .as(
                "requests that failed or read wrong after the lease moves, by kind; examples %s",
                examples)
            .isEmpty();
        assertThat(
                router.metrics().redirects(ReplyStatus.STALE_EPOCH)
                    + router.metrics().redirects(ReplyStatus.NOT_LEASEHOLDER))
            .as("STALE_EPOCH / NOT_LEASEHOLDER redirects after the lease moves")
            .isPositive();
        assertThat(router.metrics().redirects(ReplyStatus.WRONG_RANGE))
            .as("WRONG_RANGE redirects after the second splits")
            .isGreaterThan(wrongRange);
      }
      System.out.printf(
          "stale route table: %d keys, redirects %d (wrong range %d, stale epoch %d, not leaseholder %d), retries %d, cache loads %d%n",
          values.size(),
          router.metrics().redirects(),
          router.metrics().redirects(ReplyStatus.WRONG_RANGE),
          router.metrics().redirects(ReplyStatus.STALE_EPOCH),
          router.metrics().redirects(ReplyStatus.NOT_LEASEHOLDER),
          router.metrics().retries(),
          router.routeCache().stats().loads());

      assertThat(router.metrics().failures()).isZero();
      assertThat(router.feedMetrics().commits())
          .as("commits the feed delivered: the router healed without it")
          .isEqualTo(feedCommits);
      assertThat(router.routeCache().stats().loads())
          .as(
              "catalog reads for %d redirects: the nodes' descriptors heal the table",
              router.metrics().redirects())
          .isLessThanOrEqualTo(10);
      List<String> disagree = new ArrayList<>();
      for (String k : values.keySet()) {
        RangeDescriptor cached = router.routeCache().lookup(b(k));
        RangeDescriptor catalog = c.rangeFor(b(k));
        if (!catalog.equals(cached))
          disagree.add(k + ": cached " + cached + ", catalog " + catalog);
      }
      assertThat(disagree).as("touched keys whose cached range is not the catalog's").isEmpty();
    } finally {
      group.shutdownGracefully(0, 100, TimeUnit.MILLISECONDS).awaitUninterruptibly(2000);
    }
  }

  /**
   * A clock that counts its reads. The feed stamps lastSyncedAtMillis with one read when it starts
   * and, when a catch-up ends, with the read taken as that catch-up began; so a stamp of 2 or more
   * says the first catch-up has finished.
   */
  private static final class Ticks extends Clock {
    private final AtomicLong reads = new AtomicLong();

    @Override
    public long millis() {
      return reads.incrementAndGet();
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis());
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }

  /**
   * Three pipelined herds over every 10th key (split keys included), each sent at once and all
   * answered before the next: GETs of the values so far, SETs of new ones, GETs of those. Records
   * what was acknowledged and every problem by kind.
   */
  private static void drive(
      RespClient client,
      int round,
      Map<String, String> values,
      Map<String, Long> errors,
      List<String> examples)
      throws Exception {
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < KEYS; i += 10) keys.add(CheckedWorkload.key(i));
    List<String[]> reads = new ArrayList<>();
    List<String> readsExpect = new ArrayList<>();
    for (String k : keys) {
      if (values.containsKey(k)) {
        reads.add(new String[] {"GET", k});
        readsExpect.add(values.get(k));
      }
    }
    herd(client, reads, readsExpect, values, errors, examples);
    List<String[]> writes = new ArrayList<>();
    List<String> writesExpect = new ArrayList<>();
    List<String[]> readBacks = new ArrayList<>();
    List<String> readBacksExpect = new ArrayList<>();
    for (String k : keys) {
      String v = "r" + round + "-" + k;
      writes.add(new String[] {"SET", k, v});
      writesExpect.add("OK");
      readBacks.add(new String[] {"GET", k});
      readBacksExpect.add(v);
    }
    herd(client, writes, writesExpect, values, errors, examples);
    herd(client, readBacks, readBacksExpect, values, errors, examples);
  }

  private static void herd(
      RespClient client,
      List<String[]> commands,
      List<String> expected,
      Map<String, String> values,
      Map<String, Long> errors,
      List<String> examples)
      throws Exception {
    List<CompletableFuture<RespValue>> replies =
        client.sendAll(commands.stream().map(StaleRouteTableHealsIT::bytes).toList());
    for (int j = 0; j < commands.size(); j++) {
      String[] cmd = commands.get(j);
      RespValue r = replies.get(j).get(10, TimeUnit.SECONDS);
      String got =
          r instanceof RespValue.Simple s
              ? s.text()
              : r instanceof RespValue.Bulk bulk ? bulk.utf8() : null;
      if (expected.get(j).equals(got)) {
        if (cmd[0].equals("SET")) values.put(cmd[1], cmd[2]);
        continue;
      }
      String kind =
          r instanceof RespValue.Error err
              ? err.text().split(" ", 2)[0]
              : cmd[0].equals("GET") ? "wrong value" : "unexpected reply";
      errors.merge(kind, 1L, Long::sum);
      if (examples.size() < 10) examples.add(String.join(" ", cmd) + " -> " + r);
    }
  }

  private static byte[][] bytes(String[] args) {
    byte[][] out = new byte[args.length][];
    for (int i = 0; i < args.length; i++) out[i] = b(args[i]);
    return out;
  }
}
