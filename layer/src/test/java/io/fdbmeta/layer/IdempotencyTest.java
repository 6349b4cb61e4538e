package io.fdbmeta.layer;

import static org.assertj.core.api.Assertions.assertThat;

import com.apple.foundationdb.KeyValue;
import com.apple.foundationdb.tuple.ByteArrayUtil;
import io.fdbmeta.embedded.FaultPlan;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;

/**
 * Every registry and lease operation, run under injected commit_unknown_result (applied and
 * dropped), not_committed and transaction_too_old, leaves exactly the state of a fault-free run:
 * incarnations and epochs counted once, one changelog entry per routing change.
 */
class IdempotencyTest {

  @Property(tries = 8)
  void faultyRunEqualsCleanRun(@ForAll @LongRange(min = 1, max = 1_000_000) long seed) {
    FaultPlan faults =
        FaultPlan.seeded(seed)
            .commitUnknownResultApplied(0.3)
            .commitUnknownResultDropped(0.1)
            .notCommitted(0.1)
            .transactionTooOld(0.05)
            .build();
    Map<String, String> clean;
    Map<String, String> faulty;
    try (Fixture f = new Fixture()) {
      clean = runScenario(f);
    }
    try (Fixture f = new Fixture(faults)) {
      faulty = runScenario(f);
    }
    assertThat(faulty).as("state after %s", faults).isEqualTo(clean);
  }

  /** A workout of every mutating call; returns the whole keyspace, changelog keyed by position. */
  private static Map<String, String> runScenario(Fixture f) {
    NodeRegistry r = f.registry;
    LeaseManager leases = f.leases;
    long range = Ids.ROOT_RANGE_ID;
    for (String n : List.of("a", "b", "c")) {
      r.register(f.db, Fixture.reg(n), "token-" + n + "-1");
      f.catalog.addReplicaAsync(f.db, range, n, -1).join();
    }
    NodeRecord b2 = r.register(f.db, Fixture.reg("b"), "token-b-2");
    assertThat(b2.incarnation()).isEqualTo(2);
    f.clock.advanceMillis(1000);
    r.heartbeat(
        f.db,
        new NodeRegistry.Heartbeat("a", 1, new NodeRecord.Load(1, 2, 3, 4), Fixture.CAPACITY));

    Lease l1 = leases.acquire(f.db, range, "a");
    assertThat(l1.epoch()).isEqualTo(1);
    f.clock.advanceMillis(1000);
    leases.renew(f.db, range, "a", 1);
    Lease l2 = leases.transfer(f.db, range, "a", 1, "b");
    assertThat(l2.epoch()).isEqualTo(2);
    leases.release(f.db, range, "b", 2);
    assertThat(leases.acquire(f.db, range, "c").epoch()).isEqualTo(3);
    assertThat(leases.acquireController(f.db, "ctl").epoch()).isEqualTo(1);
    leases.resignController(f.db, "ctl", 1);
    assertThat(leases.acquireController(f.db, "ctl2").epoch()).isEqualTo(2);
    leases.release(f.db, range, "c", 3);
    assertThat(leases.acquireEachAsync(f.db, List.of(424242L, range), "a").join())
        .containsOnlyKeys(range);
    assertThat(
            leases
                .transferEachAsync(f.db, "a", List.of(new LeaseManager.Transfer(range, 4, "c")))
                .join())
        .containsEntry(range, Lease.onLiveness("c", 5, 1));
    leases.releaseEachAsync(f.db, "c", Map.of(range, 5L)).join();
    assertThat(f.range(range).leaseholder()).isNull();

    r.drain(f.db, "c");
    r.register(f.db, Fixture.reg("d"), "token-d-1");
    r.decommission(f.db, "d");
    f.clock.advance(Duration.ofSeconds(20));
    r.heartbeat(f.db, new NodeRegistry.Heartbeat("b", 2, NodeRecord.Load.NONE, Fixture.CAPACITY));
    for (NodeRecord expired : r.expired(f.db, f.clock.millis(), 10))
      r.markDead(f.db, expired.nodeId(), expired.incarnation());
    assertThat(r.get(f.db, "a").orElseThrow().status()).isEqualTo(NodeStatus.DEAD);
    f.assertLivenessMatchesRecords();
    return dump(f);
  }

  /**
   * Every key (without the directory prefix) and value; changelog entries and meta_version by
   * order, since versionstamps differ between runs.
   */
  private static Map<String, String> dump(Fixture f) {
    List<KeyValue> all = f.db.read(tr -> tr.getRange(f.ks.all()).asList().join());
    int prefix =
        f.ks.all().begin.length
            - 1; // directory prefixes are allocated at random: compare what follows
    Map<String, String> out = new TreeMap<>();
    List<String> changelog = new ArrayList<>();
    for (KeyValue kv : all) {
      if (f.ks.changelogSubspace().contains(kv.getKey())) {
        changelog.add(
            ChangeEvent.decode(kv.getValue()).toString()
                + " "
                + ByteArrayUtil.printable(kv.getValue()));
      } else if (!java.util.Arrays.equals(kv.getKey(), f.ks.metaVersionKey())) {
        out.put(
            ByteArrayUtil.printable(
                java.util.Arrays.copyOfRange(kv.getKey(), prefix, kv.getKey().length)),
            ByteArrayUtil.printable(kv.getValue()));
      }
    }
    for (int i = 0; i < changelog.size(); i++) out.put("changelog#" + i, changelog.get(i));
    return out;
  }
}
