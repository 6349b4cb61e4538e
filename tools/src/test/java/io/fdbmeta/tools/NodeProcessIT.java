package io.fdbmeta.tools;

import static io.fdbmeta.tools.ServiceProcesses.call;
import static io.fdbmeta.tools.ServiceProcesses.ok;
import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.layer.LayerConfig;
import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.tools.ServiceProcesses.Service;
import io.fdbmeta.wire.RespClient;
import io.fdbmeta.wire.RespValue;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of an {@code fdbmeta node} process under load: 3 nodes (3 ranges, every node a replica of
 * each, each node leading one), a controller and a router as separate processes against a store
 * server; a writer SETs through the router while the leader of the first range is killed. Measures
 * the time from the kill until every range accepts a write again (the writes of a range wait for
 * the dead replica's lease to expire and for the controller to take it out of the range), bounds it
 * by 1.2x the lease, and reads back every acknowledged write. Reproduce with {@code mvn -B -o
 * verify -pl tools -am -Dit.test=NodeProcessIT -Dtest=NoSuchTest
 * -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false
 * -DfailIfNoTests=false}.
 */
class NodeProcessIT {
  /** One key in each range of the split at "h" and "p". */
  private static final List<String> PREFIXES = List.of("c", "k", "t");

  @TempDir Path tmp;

  private @Nullable ServiceProcesses cluster;

  @AfterEach
  void stop() {
    if (cluster != null) cluster.close();
  }

  @Test
  void everyRangeServesAgainWithinTheLeaseAfterKillNineOfANodeAndNoAcknowledgedWriteIsLost()
      throws Exception {
    long lease = LayerConfig.defaults().leaseMillis();
    long bound = lease * 12 / 10;
    ServiceProcesses c = ServiceProcesses.start(tmp);
    cluster = c;
    List<FdbmetaProcess> nodeProcs = new ArrayList<>();
    for (int i = 1; i <= 3; i++) nodeProcs.add(c.startNode("n" + i, i));
    FdbmetaProcess ctl = c.startController("ctl-1");
    FdbmetaProcess rp = c.startRouter("router-1");
    List<Service> nodes = new ArrayList<>();
    for (int i = 0; i < 3; i++)
      nodes.add(ServiceProcesses.awaitNode("n" + (i + 1), nodeProcs.get(i)));
    List<RangeDescriptor> ranges = c.placeRanges(List.of("h", "p"), List.of("n1", "n2", "n3"), 2);
    ServiceProcesses.awaitActive(ctl);
    Service router = ServiceProcesses.awaitRouter("router-1", rp);

    // every range answers before the load starts
    try (RespClient probe = c.connect(router)) {
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (!allServe(probe, "warm") && System.nanoTime() < deadline) Thread.sleep(50);
      assertThat(allServe(probe, "warm")).as("every range serves before the kill").isTrue();
    }

    Map<String, String> acked = new ConcurrentHashMap<>();
    AtomicBoolean writing = new AtomicBoolean(true);
    AtomicLong failedWrites = new AtomicLong();
    Thread writer =
        new Thread(
            () -> {
              RespClient w = null;
              for (int i = 0; writing.get(); i++) {
                try {
                  if (w == null || !w.isOpen()) w = c.connect(router);
                } catch (Exception e) {
                  failedWrites.incrementAndGet();
                  continue;
                }
                String key = PREFIXES.get(i % PREFIXES.size()) + "-w-" + i;
                if (ok(call(w, "SET", key, "v" + i))) acked.put(key, "v" + i);
                else failedWrites.incrementAndGet();
              }
              if (w != null) w.close();
            },
            "writer");
    writer.start();
    Thread.sleep(1000);

    Service victim = nodes.get(0); // leads the first range
    assertThat(ranges.get(0).leaseholder()).isEqualTo(victim.name());
    int ackedBeforeKill = acked.size();
    long killedAt = System.nanoTime();
    victim.process().kill();
    long healedAt = 0;
    try (RespClient probe = c.connect(router)) {
      long deadline = killedAt + 3 * lease * 1_000_000;
      while (System.nanoTime() < deadline) {
        if (allServe(probe, "probe")) {
          healedAt = System.nanoTime();
          break;
        }
        Thread.sleep(20);
      }
    }
    Thread.sleep(500);
    writing.set(false);
    writer.join(10_000);

    List<String> lost = new ArrayList<>();
    try (RespClient reader = c.connect(router)) {
      for (Map.Entry<String, String> e : acked.entrySet()) {
        RespValue v = call(reader, "GET", e.getKey());
        if (!(v instanceof RespValue.Bulk b && e.getValue().equals(b.utf8())))
          lost.add(e.getKey() + "=" + v);
      }
    }
    for (String line : ctl.output()) System.out.println("NodeProcessIT: " + line);
    long healMillis = healedAt == 0 ? -1 : (healedAt - killedAt) / 1_000_000;
    System.out.printf(
        "NodeProcessIT: kill -9 of node %s (leader of range %d) under load: every range accepts"
            + " writes again %d ms after the kill (bound 1.2 x lease %d ms = %d ms); %d writes"
            + " acknowledged (%d before the kill), %d failed (retried by nobody, not counted), %d"
            + " acknowledged writes lost%n",
        victim.name(),
        ranges.get(0).rangeId(),
        healMillis,
        lease,
        bound,
        acked.size(),
        ackedBeforeKill,
        failedWrites.get(),
        lost.size());
    assertThat(healedAt).as("every range serves again").isPositive();
    assertThat(lost).as("acknowledged writes not read back").isEmpty();
    assertThat(healMillis).isLessThanOrEqualTo(bound);

    // SIGTERM of a surviving leader: it hands its leases to another replica and exits 0
    Service n2 = nodes.get(1);
    assertThat(n2.process().output()).anyMatch(l -> l.contains(" INFO node n2: lease gained: "));
    n2.process().terminate();
    Integer exit = n2.process().waitFor(Duration.ofSeconds(30));
    for (String line : n2.process().output()) System.out.println("NodeProcessIT: " + line);
    assertThat(exit).as(String.join("\n", n2.process().output())).isEqualTo(0);
    assertThat(n2.process().output())
        .anyMatch(l -> l.contains(" INFO node n2: handed the lease of range "));
  }

  /** True if a SET to every range is acknowledged now. */
  private static boolean allServe(RespClient c, String tag) {
    for (String p : PREFIXES) if (!ok(call(c, "SET", p + "-" + tag, tag))) return false;
    return true;
  }
}
