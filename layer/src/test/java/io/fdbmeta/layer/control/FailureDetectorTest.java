package io.fdbmeta.layer.control;

import static org.assertj.core.api.Assertions.assertThat;

import com.apple.foundationdb.tuple.ByteArrayUtil;
import io.fdbmeta.layer.CountingReads;
import io.fdbmeta.layer.KeysForTests;
import io.fdbmeta.layer.RangeDescriptor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the failure detector reads: only expired liveness entries and the dead node's ranges. */
class FailureDetectorTest {
  static final int RANGES = 40;

  private static boolean under(byte[] key, com.apple.foundationdb.Range r) {
    return ByteArrayUtil.compareUnsigned(key, r.begin) >= 0
        && ByteArrayUtil.compareUnsigned(key, r.end) < 0;
  }

  @Test
  void aQuietCycleReadsNothingAndACycleWithOneDeadNodeReadsItsEntryAndItsRanges() {
    try (ControlFixture c = new ControlFixture(RANGES)) {
      ControllerConfig cc = ControllerConfig.defaults();
      FailureDetector detector = new FailureDetector(c.f.catalog, c.f.registry, cc);
      FleetView fleet = new FleetView(1, 9_000);
      fleet.refresh(c.f.registry.list(c.f.db, null, 100).items(), c.f.clock.millis());
      CountingReads counting = new CountingReads(c.f.db);
      ControllerActions.Recording plan = new ControllerActions.Recording();

      detector.cycle(counting, c.f.clock.millis(), fleet, new Moves(), plan);
      assertThat(counting.rangeRows).isEmpty();
      assertThat(detector.keysRead()).isZero();

      for (int s = 0;
          s < 10;
          s++) { // n0 stops heartbeating; 10 s later its liveness is 0.5 s past expiry + offset
        c.f.clock.advanceMillis(1_000);
        c.heartbeatAllBut("n0");
      }
      int n0Ranges = c.f.catalog.rangesOfNode(c.f.db, "n0").size();
      detector.cycle(counting, c.f.clock.millis(), fleet, new Moves(), plan);
      List<byte[]> liveness =
          counting.rangeRows.stream()
              .filter(k -> under(k, KeysForTests.livenessSubspace(c.f.ks).range()))
              .toList();
      assertThat(liveness).hasSize(1);
      assertThat(KeysForTests.livenessSubspace(c.f.ks).unpack(liveness.get(0)).getString(2))
          .isEqualTo("n0");
      assertThat(counting.rangeRows)
          .hasSize(1 + n0Ranges); // its entry, then its range_by_node rows: no other node, no range
      // index
      assertThat(plan.dead).extracting(ControllerPlan.DeadNode::nodeId).containsExactly("n0");
      assertThat(n0Ranges).isLessThan(RANGES);
    }
  }

  @Test
  void
      aDeadLeaseholdersLeaseMovesWhileAReplicaMoveOfItsRangeWaitsAndItsReplicaIsRecreatedOnlyAfter() {
    try (ControlFixture c = new ControlFixture(6)) {
      FailureDetector detector =
          new FailureDetector(c.f.catalog, c.f.registry, ControllerConfig.defaults());
      FleetView fleet = new FleetView(1, 9_000);
      fleet.refresh(c.f.registry.list(c.f.db, null, 100).items(), c.f.clock.millis());
      RangeDescriptor led =
          c.ranges.stream().filter(d -> "n0".equals(d.leaseholder())).findFirst().orElseThrow();
      String follower = led.replicas().get(1);
      Moves moves = new Moves();
      ControllerActions.Recording plan = new ControllerActions.Recording();
      // a rebalance move of the range, prepared and waiting for its target's data
      assertThat(
              moves.start(
                  new Move(
                      "op-wait",
                      led.rangeId(),
                      led.generation(),
                      follower,
                      "n8",
                      Move.Reason.REBALANCE,
                      c.f.clock.millis(),
                      new double[3]),
                  plan,
                  fleet))
          .isTrue();
      for (int s = 0;
          s < 10;
          s++) { // n0 stops heartbeating and renewing: past its liveness and its leases, plus the
        // offset
        c.f.clock.advanceMillis(1_000);
        c.heartbeatAllBut("n0");
        c.renewLeasesBut("n0");
      }
      detector.cycle(c.f.db, c.f.clock.millis(), fleet, moves, plan);
      assertThat(plan.dead).extracting(ControllerPlan.DeadNode::nodeId).containsExactly("n0");
      assertThat(plan.leaseMoves)
          .extracting(ControllerPlan.LeaseMove::rangeId)
          .contains(led.rangeId());
      assertThat(plan.moves)
          .filteredOn(m -> m.rangeId() == led.rangeId())
          .as("the waiting move only; no re-creation beside it")
          .hasSize(1);
      assertThat(plan.moves).filteredOn(m -> m.rangeId() != led.rangeId()).isNotEmpty();
    }
  }

  @Test
  void aNodeIsMarkedDeadOnlyAfterItsLivenessExpiredByMoreThanTheOffset() {
    try (ControlFixture c = new ControlFixture(6)) {
      FailureDetector detector =
          new FailureDetector(c.f.catalog, c.f.registry, ControllerConfig.defaults());
      FleetView fleet = new FleetView(1, 9_000);
      long expiresAt = c.f.registry.get(c.f.db, "n0").orElseThrow().livenessExpiresAt();
      c.f.clock.set(
          expiresAt
              + c.f.config.maxClockOffsetMillis()); // not yet: expiry + offset must have passed
      ControllerActions.Recording plan = new ControllerActions.Recording();
      detector.cycle(c.f.db, c.f.clock.millis(), fleet, new Moves(), plan);
      assertThat(plan.dead).isEmpty();
      c.f.clock.advanceMillis(1);
      detector.cycle(c.f.db, c.f.clock.millis(), fleet, new Moves(), plan);
      assertThat(plan.dead).isNotEmpty();
    }
  }
}
