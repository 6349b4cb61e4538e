package io.fdbmeta.layer.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.apple.foundationdb.tuple.Tuple;
import io.fdbmeta.layer.MetaException;
import io.fdbmeta.layer.NodeRecord;
import io.fdbmeta.layer.NodeStatus;
import io.fdbmeta.layer.OpRecord;
import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.layer.RangeLoad;
import io.fdbmeta.layer.RangeLoads;
import io.fdbmeta.layer.SchemaVersion;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The controller end to end on a small cluster: failover, re-creation through placement, ops, plan.
 */
class ControllerTest {
  @Test
  void anActiveControllerActsOnNothingOnceTheSchemaIsNewerThanItKnows() {
    try (ControlFixture c = new ControlFixture(6)) {
      Controller ctl = c.controller("ctl");
      ctl.tick();
      c.f.db.run(
          tr -> {
            tr.set(c.f.ks.schemaVersionKey(), Tuple.from(SchemaVersion.LATEST + 1).pack());
            return null;
          });
      for (int s = 0; s < 15; s++) { // n0 stops: an older controller would mark it dead
        c.f.clock.advanceMillis(1_000);
        c.heartbeatAllBut("n0");
        assertThatThrownBy(ctl::tick)
            .isInstanceOf(MetaException.class)
            .hasMessageContaining("newer than this binary knows");
      }
      assertThat(c.f.registry.get(c.f.db, "n0").orElseThrow().status()).isEqualTo(NodeStatus.LIVE);
    }
  }

  @Test
  void aDeadNodesLeasesMoveOnlyAfterTheyExpiredAndItsReplicasAreRecreatedByPlacement() {
    try (ControlFixture c = new ControlFixture(24)) {
      Controller ctl = c.controller("ctl");
      List<ControllerEvent> events = new ArrayList<>();
      ctl.addListener(events::add);
      ctl.tick();
      List<Long> n0Leases =
          c.allRanges().stream()
              .filter(d -> "n0".equals(d.leaseholder()))
              .map(RangeDescriptor::rangeId)
              .toList();
      assertThat(n0Leases).isNotEmpty();
      // n0's leases ride on its liveness: they move only once it is marked DEAD
      long leaseExpiry = c.f.registry.get(c.f.db, "n0").orElseThrow().livenessExpiresAt();

      ControllerPlan planned = null;
      for (int s = 0; s < 15; s++) {
        c.f.clock.advanceMillis(1_000);
        c.heartbeatAllBut("n0");
        c.renewLeasesBut("n0");
        if (planned == null) {
          ControllerPlan p =
              Controller.plan(c.f.db, c.f.ks, c.f.config, ControllerConfig.defaults());
          if (!p.markDead().isEmpty()) planned = p;
        }
        ctl.tick();
        long now = c.f.clock.millis();
        for (long id : n0Leases) {
          RangeDescriptor d = c.f.range(id);
          if (now <= leaseExpiry + c.f.config.maxClockOffsetMillis())
            assertThat(d.leaseholder()).as("lease of %d at %d", id, now).isEqualTo("n0");
        }
      }
      assertThat(c.f.registry.get(c.f.db, "n0").orElseThrow().status()).isEqualTo(NodeStatus.DEAD);
      for (RangeDescriptor d : c.allRanges()) {
        assertThat(d.replicas()).doesNotContain("n0").hasSize(3);
        assertThat(d.leaseholder()).isNotNull().isNotEqualTo("n0");
        List<NodeRecord> replicas =
            d.replicas().stream().map(n -> c.f.registry.get(c.f.db, n).orElseThrow()).toList();
        assertThat(Placement.violations(replicas, java.util.Set.of())).as("%s", d).isEmpty();
      }
      assertThat(events)
          .extracting(ControllerEvent::kind)
          .contains(
              ControllerEvent.Kind.NODE_DEAD,
              ControllerEvent.Kind.LEASE_MOVED,
              ControllerEvent.Kind.MOVE_COMMITTED);
      assertThat(ctl.stats().leasesMoved()).isEqualTo(n0Leases.size());
      assertThat(ctl.stats().replicasRecreated()).isPositive();

      // every move is recorded under ops with its phases and timings
      List<OpRecord> moves =
          c.f.catalog.ops().listAsync(c.f.db).join().stream()
              .filter(op -> op.kind() == OpRecord.Kind.MOVE)
              .toList();
      assertThat(moves)
          .hasSize((int) ctl.stats().replicasRecreated())
          .allSatisfy(
              op -> {
                assertThat(op.phase()).isEqualTo(OpRecord.Phase.COMMITTED);
                assertThat(op.detail())
                    .contains("RECREATE")
                    .contains("n0 ->")
                    .contains("prepared@")
                    .contains("committed@");
                assertThat(op.updatedAt()).isGreaterThanOrEqualTo(op.createdAt());
              });

      // the dry run saw it coming, from the same code
      assertThat(planned).isNotNull();
      assertThat(planned.markDead())
          .extracting(ControllerPlan.DeadNode::nodeId)
          .containsExactly("n0");
      assertThat(planned.leaseMoves())
          .isNotEmpty()
          .allSatisfy(m -> assertThat(m.from()).isEqualTo("n0"));
      assertThat(planned.moves())
          .isNotEmpty()
          .allSatisfy(m -> assertThat(m.from()).isEqualTo("n0"));
    }
  }

  @Test
  void aReplicaMoveCommitsOnlyOnceTheRangesLiveReplicasMarkedTheirCopies() {
    try (ControlFixture c = new ControlFixture(6)) {
      Controller ctl = c.controller("ctl");
      List<ControllerEvent> events = new ArrayList<>();
      ctl.addListener(events::add);
      for (int s = 0; s < 15; s++) {
        c.f.clock.advanceMillis(1_000);
        c.heartbeatWithoutMarksBut("n0");
        c.renewLeasesBut("n0");
        ctl.tick();
      }
      assertThat(events)
          .extracting(ControllerEvent::kind)
          .contains(ControllerEvent.Kind.NODE_DEAD, ControllerEvent.Kind.MOVE_PREPARED)
          .doesNotContain(ControllerEvent.Kind.MOVE_COMMITTED);

      c.f.clock.advanceMillis(1_000);
      c.heartbeatAllBut("n0"); // the live replicas mark their copies
      ctl.tick();
      assertThat(events)
          .extracting(ControllerEvent::kind)
          .contains(ControllerEvent.Kind.MOVE_COMMITTED);
    }
  }

  @Test
  void anUnsatisfiableReplicaIsReportedNotPlaced() {
    try (ControlFixture c = new ControlFixture(6)) {
      // with n0, n3 and n6 (all of zone z0) gone, a dead replica in z0 has nowhere to go
      Controller ctl = c.controller("ctl");
      List<ControllerEvent> events = new ArrayList<>();
      ctl.addListener(events::add);
      ctl.tick();
      for (int s = 0; s < 12; s++) {
        c.f.clock.advanceMillis(1_000);
        c.heartbeatAllBut("n0", "n3", "n6");
        ctl.tick();
      }
      assertThat(
              events.stream()
                  .filter(e -> e.kind() == ControllerEvent.Kind.UNSATISFIABLE)
                  .collect(Collectors.toList()))
          .as("%s", events)
          .isNotEmpty();
      ControllerPlan plan =
          Controller.plan(c.f.db, c.f.ks, c.f.config, ControllerConfig.defaults());
      assertThat(plan.unsatisfiable())
          .as("%s", plan)
          .isNotEmpty()
          .allSatisfy(
              u -> {
                assertThat(u.constraint()).isEqualTo("distinct-zone");
                assertThat(u.why()).contains("share a zone");
              });
      for (RangeDescriptor d : c.allRanges()) {
        List<NodeRecord> replicas =
            d.replicas().stream().map(n -> c.f.registry.get(c.f.db, n).orElseThrow()).toList();
        assertThat(Placement.violations(replicas, java.util.Set.of())).isEmpty();
      }
    }
  }

  @Test
  void hotRangesSplitAfterTheWindowAndColdSiblingsMergeOnlyAfterTheCooldown() {
    try (ControlFixture c = new ControlFixture(3)) {
      ControllerConfig cc =
          ControllerConfig.builder()
              .moveLimits(0, 0)
              .splitMergeInterval(Duration.ofSeconds(1))
              .splitThresholds(100, 1L << 30, Duration.ofSeconds(30))
              .mergeThresholds(5, 1L << 20, Duration.ofMinutes(5))
              .build();
      Controller ctl = Controller.create(c.f.db, c.f.ks, c.f.config, cc, "ctl");
      RangeLoads loads = new RangeLoads(c.f.ks);
      RangeDescriptor hot = c.ranges.get(1);
      byte[] mid = "k0001m".getBytes(java.nio.charset.StandardCharsets.UTF_8);
      loads
          .reportAsync(
              c.f.db,
              new RangeLoad(hot.rangeId(), 500, 1000, c.f.clock.millis(), mid, c.f.clock.millis()))
          .join();
      for (int s = 0; s < 29; s++) {
        tickSecond(c, ctl);
        assertThat(c.f.catalog.get(c.f.db, hot.rangeId()))
            .as("split before the window at %d s", s)
            .isPresent();
      }
      for (int s = 0; s < 2; s++) tickSecond(c, ctl);
      assertThat(c.f.catalog.get(c.f.db, hot.rangeId())).isEmpty();
      RangeDescriptor left =
          c.f.catalog.lookup(c.f.db, "k0001".getBytes(java.nio.charset.StandardCharsets.UTF_8));
      RangeDescriptor right = c.f.catalog.lookup(c.f.db, mid);
      assertThat(left.endKey()).isEqualTo(mid);
      assertThat(ctl.stats().splits()).isEqualTo(1);
      // the load goes away: both halves report small and cold; they merge only once the cooldown
      // passed
      loads
          .reportAsync(c.f.db, new RangeLoad(left.rangeId(), 1, 100, 0, null, c.f.clock.millis()))
          .join();
      loads
          .reportAsync(c.f.db, new RangeLoad(right.rangeId(), 1, 100, 0, null, c.f.clock.millis()))
          .join();
      for (int s = 0; s < 60; s++) tickSecond(c, ctl);
      assertThat(ctl.stats().merges()).isZero();
      for (int s = 0; s < 250; s++) tickSecond(c, ctl);
      assertThat(ctl.stats().merges()).isEqualTo(1);
      assertThat(c.f.catalog.get(c.f.db, right.rangeId())).isEmpty();
      assertThat(loads.listAsync(c.f.db).join()).isEmpty();
    }
  }

  private static void tickSecond(ControlFixture c, Controller ctl) {
    c.f.clock.advanceMillis(1_000);
    c.heartbeatAllBut();
    c.renewLeasesBut("");
    ctl.tick();
  }
}
