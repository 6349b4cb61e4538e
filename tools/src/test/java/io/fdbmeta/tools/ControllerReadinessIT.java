package io.fdbmeta.tools;

import static org.assertj.core.api.Assertions.assertThat;

import com.apple.foundationdb.Database;
import io.fdbmeta.embedded.EmbeddedFdb;
import io.fdbmeta.layer.Keyspace;
import io.fdbmeta.layer.LayerConfig;
import io.fdbmeta.layer.LeaseManager;
import io.fdbmeta.layer.NodeRecord;
import io.fdbmeta.layer.NodeRegistry;
import io.fdbmeta.layer.RangeCatalog;
import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.layer.ReplicaSyncMarks;
import io.fdbmeta.layer.control.ControllerConfig;
import io.fdbmeta.tools.bench.ServedStoreProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A controller in its own process commits a replica move only once the range's live replicas have
 * marked their copies complete in the store (ReplicaSyncMarks): nothing in its process can tell it
 * otherwise. Six stand-in nodes in this JVM (two per zone) heartbeat through the store server; the
 * range's replicas sit on a, b and c; c stops heartbeating, so the controller marks it dead and
 * prepares re-creating its replica on f. b has not marked its copy, so the move waits; once b marks
 * it, the move commits. Reproduce with {@code mvn -B -o verify -pl tools
 * -Dit.test=ControllerReadinessIT -Dtest=NoSuchTest -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class ControllerReadinessIT {
  private static final Pattern PREPARED =
      Pattern.compile("INFO controller ctl-1: moving a replica of range \\d+ from c to (\\S+) ");
  private static final Pattern COMMITTED =
      Pattern.compile("INFO controller ctl-1: moved a replica of range \\d+ from c to (\\S+) ");

  /** Ticks the controller gets to commit the move while b's mark is missing. */
  private static final int TICKS_WITHOUT_THE_MARK = 4;

  @TempDir Path tmp;

  @Test
  void theControllerCommitsAMoveOnlyOnceEveryLiveReplicaMarkedItsCopy() throws Exception {
    LayerConfig layer = LayerConfig.defaults();
    try (ServedStoreProcess s = ServedStoreProcess.start(tmp.resolve("data"), "127.0.0.1:0")) {
      Cli init = Cli.run("--store", s.address(), "init");
      assertThat(init.exitCode()).as(init.err()).isZero();
      try (Database db = EmbeddedFdb.connect(s.address())) {
        Keyspace ks = Keyspace.open(db, "default");
        NodeRegistry registry = new NodeRegistry(ks, layer);
        RangeCatalog catalog = new RangeCatalog(ks, layer);
        ReplicaSyncMarks marks = new ReplicaSyncMarks(ks);
        Map<String, Long> incarnations = new HashMap<>();
        String[] zones = {"a:z1", "b:z2", "c:z3", "d:z1", "e:z2", "f:z3"};
        for (String nz : zones) {
          String id = nz.substring(0, 1);
          NodeRecord.Locality loc = new NodeRecord.Locality("local", nz.substring(2), "rack-" + id);
          NodeRegistry.Registration reg =
              new NodeRegistry.Registration(
                  id, "127.0.0.1:1", loc, new NodeRecord.Capacity(1L << 40, 8));
          incarnations.put(id, registry.register(db, reg, "token-" + id).incarnation());
        }
        RangeDescriptor d = catalog.lookup(db, new byte[0]);
        for (String n : List.of("a", "b", "c"))
          d = catalog.addReplicaAsync(db, d.rangeId(), n, -1).join();
        new LeaseManager(catalog).acquire(db, d.rangeId(), "a");
        d = catalog.get(db, d.rangeId()).orElseThrow();
        for (String n : List.of("a", "c")) mark(db, marks, n, incarnations.get(n), d);

        Set<String> beating = ConcurrentHashMap.newKeySet();
        beating.addAll(List.of("a", "b", "d", "e", "f")); // c is down from the start
        ScheduledExecutorService heart = Executors.newSingleThreadScheduledExecutor();
        heart.scheduleWithFixedDelay(
            () -> {
              for (String n : beating) {
                registry.heartbeat(
                    db,
                    new NodeRegistry.Heartbeat(
                        n,
                        incarnations.get(n),
                        NodeRecord.Load.NONE,
                        new NodeRecord.Capacity(1L << 40, 8)));
              }
            },
            0,
            1,
            TimeUnit.SECONDS);
        try (FdbmetaProcess ctl =
            FdbmetaProcess.start(
                "controller ctl-1",
                List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"),
                List.of("--store", s.address(), "controller", "--id", "ctl-1"),
                tmp.resolve("ctl-1.log"))) {
          long liveness = layer.livenessMillis();
          FdbmetaProcess.Match prepared =
              ctl.awaitLine(PREPARED, 0, Duration.ofMillis(liveness * 3));
          String target = prepared.group(1);
          long tick = ControllerConfig.defaults().tickMillis();
          Thread.sleep(tick * TICKS_WITHOUT_THE_MARK);
          assertThat(ctl.output())
              .as("no commit while b, a live replica, has not marked its copy")
              .noneMatch(l -> COMMITTED.matcher(l).find());
          long markedAt = System.currentTimeMillis();
          mark(db, marks, "b", incarnations.get("b"), catalog.get(db, d.rangeId()).orElseThrow());
          FdbmetaProcess.Match committed = ctl.awaitLine(COMMITTED, 0, Duration.ofSeconds(10));
          long after = ServiceLog.timeOf(committed.line()).toEpochMilli() - markedAt;
          System.out.printf(
              "ControllerReadinessIT: move c -> %s prepared, held %d ticks without b's mark, committed"
                  + " %d ms after b marked its copy%n",
              target, TICKS_WITHOUT_THE_MARK, after);
          assertThat(committed.group(1)).isEqualTo(target);
          assertThat(catalog.get(db, d.rangeId()).orElseThrow().replicas())
              .containsExactlyInAnyOrder("a", "b", target);
        } finally {
          heart.shutdownNow();
        }
      }
    }
  }

  private static void mark(
      Database db, ReplicaSyncMarks marks, String node, long incarnation, RangeDescriptor d) {
    assertThat(
            marks
                .markAsync(
                    db,
                    node,
                    incarnation,
                    List.of(new ReplicaSyncMarks.Mark(d.rangeId(), d.generation())))
                .join())
        .as("%s's mark", node)
        .hasSize(1);
  }
}
