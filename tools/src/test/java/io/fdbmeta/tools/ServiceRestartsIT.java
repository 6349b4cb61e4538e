package io.fdbmeta.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.tools.ServiceProcesses.Service;
import io.fdbmeta.wire.RespClient;
import io.fdbmeta.wire.RespValue;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Restarts an operator makes, with every service in its own process on loopback (ServiceProcesses)
 * and a client writing through the routers all the while (LoadWriter): kill -9 of the store server
 * and a restart on its directory, and a rolling restart (SIGTERM, wait, start, wait for /readyz) of
 * every node, then every router. Reproduce with {@code mvn -B -o verify -pl tools
 * -Dit.test=ServiceRestartsIT -Dtest=NoSuchTest -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class ServiceRestartsIT {
  /** One key in each range of the split at "h" and "p". */
  private static final List<String> PREFIXES = List.of("c", "k", "t");

  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

  @TempDir Path tmp;

  private @Nullable ServiceProcesses cluster;
  private @Nullable Service controller;

  @AfterEach
  void stop() {
    if (cluster != null) cluster.close();
  }

  /** Nodes n1..n3 (zones z1..z3), a controller, routers; three ranges, each on every node. */
  private List<Service> startCluster(ServiceProcesses c, List<Service> routers, int routerCount)
      throws Exception {
    List<FdbmetaProcess> nodeProcs = new ArrayList<>();
    for (int i = 1; i <= 3; i++) nodeProcs.add(c.startNode("n" + i, i));
    FdbmetaProcess ctl = c.startController("ctl-1");
    List<FdbmetaProcess> routerProcs = new ArrayList<>();
    for (int i = 1; i <= routerCount; i++) routerProcs.add(c.startRouter("router-" + i));
    List<Service> nodes = new ArrayList<>();
    for (int i = 0; i < 3; i++)
      nodes.add(ServiceProcesses.awaitNode("n" + (i + 1), nodeProcs.get(i)));
    c.placeRanges(List.of("h", "p"), List.of("n1", "n2", "n3"), 3);
    controller = ServiceProcesses.awaitActive(ctl);
    for (int i = 0; i < routerCount; i++)
      routers.add(ServiceProcesses.awaitRouter("router-" + (i + 1), routerProcs.get(i)));
    for (Service s : nodes) ServiceProcesses.awaitReady(s, READY_TIMEOUT);
    for (Service r : routers) ServiceProcesses.awaitReady(r, READY_TIMEOUT);
    return nodes;
  }

  @Test
  void afterKillNineOfTheStoreServerAndARestartOnItsDirectoryEveryProcessResumesOnItsOwn()
      throws Exception {
    ServiceProcesses c = ServiceProcesses.start(tmp);
    cluster = c;
    List<Service> routers = new CopyOnWriteArrayList<>();
    List<Service> nodes = startCluster(c, routers, 1);
    Service router = routers.get(0);
    LoadWriter w = new LoadWriter(c, () -> routers, PREFIXES);
    Thread.sleep(1000);

    int ackedBefore = w.acked.size();
    long killedAt = System.nanoTime();
    c.killStore();
    Thread.sleep(2000);
    int ackedWhileDown = w.acked.size() - ackedBefore;
    Service ctl = java.util.Objects.requireNonNull(controller);
    double ticksBefore = ServiceProcesses.metric(ctl, "fdbmeta_controller_ticks_total");
    c.restartStore();
    long restartedAt = System.nanoTime();

    // routes still move: a split made after the restart reaches the nodes and the router, and the
    // new range serves
    List<RangeDescriptor> ranges = c.ranges();
    RangeDescriptor last = ranges.get(ranges.size() - 1);
    RespClient probe = c.connect(router);
    long commitsBeforeSplit = feedCommits(probe);
    Cli split = Cli.run("--store", c.storeAddress(), "ranges", "split", "" + last.rangeId(), "w");
    assertThat(split.exitCode()).as(split.err()).isZero();
    // Nodes replicate every range here, so each must list the store's ranges (the controller may
    // split a hot range meanwhile too: compare with the store's count). The router's cache is
    // bounded and loads on a miss, and a redirect may teach it a child first, so its count proves
    // nothing: its change feed delivering the split's commit does.
    long splitServedAt = 0;
    long deadline = System.nanoTime() + 30_000_000_000L;
    String seen = "";
    while (System.nanoTime() < deadline) {
      int now = c.ranges().size();
      long routerCommits = feedCommits(probe);
      List<Double> replicas =
          nodes.stream().map(n -> ServiceProcesses.metric(n, "fdbmeta_node_replicas")).toList();
      seen =
          now
              + " ranges in the store, "
              + replicas
              + " on nodes, router feed commits "
              + commitsBeforeSplit
              + " -> "
              + routerCommits;
      if (now > ranges.size()
          && routerCommits > commitsBeforeSplit
          && replicas.stream().allMatch(r -> r == now)) {
        splitServedAt = System.nanoTime();
        break;
      }
      Thread.sleep(100);
    }
    probe.close();
    Thread.sleep(2000); // a couple of controller ticks
    double ticksAfter = ServiceProcesses.metric(ctl, "fdbmeta_controller_ticks_total");
    Thread.sleep(500);
    w.close();
    List<String> lost = w.lost(router);
    for (Service s : nodes) ServiceProcesses.awaitReady(s, READY_TIMEOUT);
    ServiceProcesses.awaitReady(router, READY_TIMEOUT);
    System.out.printf(
        "ServiceRestartsIT: kill -9 of the store server, serving again on its directory %d ms"
            + " after the kill: %d writes acknowledged while it was down (the data path does not"
            + " need it), %d failed %s; controller still active, %.0f ticks since the store came"
            + " back; a split made after the restart delivered to the router and every node %d ms"
            + " after the restart; %d writes acknowledged in all, %d lost%n",
        (restartedAt - killedAt) / 1_000_000,
        ackedWhileDown,
        w.failed.get(),
        w.failures,
        ticksAfter - ticksBefore,
        splitServedAt == 0 ? -1 : (splitServedAt - restartedAt) / 1_000_000,
        w.acked.size(),
        lost.size());
    assertThat(splitServedAt)
        .as("the split after the restart reaches the router and every node (last seen: %s)", seen)
        .isPositive();
    assertThat(lost).as("acknowledged writes not read back").isEmpty();
    assertThat(ServiceProcesses.metric(ctl, "fdbmeta_controller_active")).isEqualTo(1);
    assertThat(ticksAfter).isGreaterThan(ticksBefore);
    for (Service s : nodes) assertThat(s.process().isAlive()).as(s.name()).isTrue();
    assertThat(router.process().isAlive()).isTrue();
  }

  /** The commits the router's change feed delivered, from its INFO routes section. */
  private static long feedCommits(RespClient router) {
    if (!(ServiceProcesses.call(router, "INFO", "routes") instanceof RespValue.Bulk b)) return -1;
    for (String line : b.utf8().split("\r\n"))
      if (line.startsWith("route_feed_commits:")) return Long.parseLong(line.substring(19));
    return -1;
  }

  @Test
  void aRollingRestartOfEveryNodeThenEveryRouterUnderLoadFailsNoRequest() throws Exception {
    ServiceProcesses c = ServiceProcesses.start(tmp);
    cluster = c;
    List<Service> routers = new CopyOnWriteArrayList<>();
    List<Service> nodes = startCluster(c, routers, 2);
    LoadWriter w = new LoadWriter(c, () -> routers, PREFIXES);
    Thread.sleep(1000);

    List<String> steps = new ArrayList<>();
    for (int i = 0; i < nodes.size(); i++) {
      Service old = nodes.get(i);
      long t0 = System.nanoTime();
      old.process().terminate();
      assertThat(old.process().waitFor(Duration.ofSeconds(60))).as(old.name()).isEqualTo(0);
      long stopped = System.nanoTime();
      Service fresh = ServiceProcesses.awaitNode(old.name(), c.startNode(old.name(), i + 1));
      ServiceProcesses.awaitReady(fresh, READY_TIMEOUT);
      nodes.set(i, fresh);
      steps.add(
          String.format(
              "%s stopped in %d ms, ready again %d ms later",
              old.name(), (stopped - t0) / 1_000_000, (System.nanoTime() - stopped) / 1_000_000));
    }
    for (int i = 0; i < routers.size(); i++) {
      Service old = routers.get(i);
      long t0 = System.nanoTime();
      old.process().terminate();
      assertThat(old.process().waitFor(Duration.ofSeconds(60))).as(old.name()).isEqualTo(0);
      long stopped = System.nanoTime();
      Service fresh = ServiceProcesses.awaitRouter(old.name(), c.startRouter(old.name()));
      ServiceProcesses.awaitReady(fresh, READY_TIMEOUT);
      routers.set(i, fresh);
      steps.add(
          String.format(
              "%s stopped in %d ms, ready again %d ms later",
              old.name(), (stopped - t0) / 1_000_000, (System.nanoTime() - stopped) / 1_000_000));
    }
    Thread.sleep(1000);
    w.close();
    List<String> lost = w.lost(routers.get(0));
    System.out.printf(
        "ServiceRestartsIT: rolling restart of 3 nodes then 2 routers under load (%s): %d writes"
            + " acknowledged, %d failed %s, %d reconnects to another router, %d lost%n",
        String.join("; ", steps),
        w.acked.size(),
        w.failed.get(),
        w.failures,
        w.reconnects.get(),
        lost.size());
    assertThat(w.failures).as("failed requests").isEmpty();
    assertThat(lost).as("acknowledged writes not read back").isEmpty();
  }
}
