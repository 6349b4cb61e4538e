package io.fdbmeta.layer.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.fdbmeta.layer.Fixture;
import io.fdbmeta.layer.Keyspace;
import io.fdbmeta.layer.LayerConfig;
import io.fdbmeta.layer.NodeRecord;
import io.fdbmeta.layer.NodeStatus;
import io.fdbmeta.layer.RangeCatalog;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Hysteresis, warm-up, unmovable load and the rate limit, on a fleet view with chosen loads. */
class RebalancerTest {
  static final long NOW = 1_000_000;
  static final RangeCatalog CATALOG =
      new RangeCatalog(Keyspace.atPrefix("t", new byte[] {1}), LayerConfig.defaults());

  static NodeRecord node(String id, long replicas) {
    return new NodeRecord(
        id,
        id + ":1",
        new NodeRecord.Locality("r", "z" + id, "k"),
        new NodeRecord.Capacity(1L << 40, 16),
        new NodeRecord.Load(replicas, replicas * 10.0, replicas * 100, 1),
        NodeStatus.LIVE,
        1,
        NOW + 9_000);
  }

  /** Ten nodes at 100 replicas and one at {@code first}, so its deviation is known. */
  static FleetView fleet(long first) {
    List<NodeRecord> nodes = new ArrayList<>();
    nodes.add(node("a", first));
    for (int i = 0; i < 10; i++) nodes.add(node("n" + i, 100));
    FleetView v = new FleetView(1.0, 9_000);
    v.refresh(nodes, NOW);
    return v;
  }

  final Rebalancer rebalancer =
      new Rebalancer(CATALOG, ControllerConfig.builder().moveLimits(5, 12).build());

  @Test
  void startsAboveTwentyPercentAndStopsOnlyBelowFifteen() {
    rebalancer.updateActive(fleet(118)); // +16%: inside the dead zone, nothing starts
    assertThat(rebalancer.active()).isEmpty();
    rebalancer.updateActive(fleet(130)); // +27%
    assertThat(rebalancer.active()).containsExactly("a");
    rebalancer.updateActive(fleet(119)); // +17%: still active until under the stop threshold
    assertThat(rebalancer.active()).containsExactly("a");
    rebalancer.updateActive(fleet(116)); // +14%
    assertThat(rebalancer.active()).isEmpty();
    rebalancer.updateActive(fleet(119)); // +17% again: does not restart
    assertThat(rebalancer.active()).isEmpty();
  }

  @Test
  void underloadedNodesStartBelowMinusTwentyPercent() {
    rebalancer.updateActive(fleet(70));
    assertThat(rebalancer.active()).containsExactly("a");
  }

  @Test
  void smoothingKeepsNoiseBelowTheStartThreshold() {
    FleetView v = new FleetView(0.2, 9_000);
    List<NodeRecord> base = new ArrayList<>();
    for (int i = 0; i < 10; i++) base.add(node("n" + i, 100));
    for (int round = 0; round < 20; round++) {
      List<NodeRecord> nodes = new ArrayList<>(base);
      // +12% structural, with a noisy request rate swinging +/-10% around it
      double rate = 1120 * (round % 2 == 0 ? 1.10 : 0.90);
      nodes.add(
          new NodeRecord(
              "a",
              "a:1",
              new NodeRecord.Locality("r", "za", "k"),
              new NodeRecord.Capacity(1L << 40, 16),
              new NodeRecord.Load(112, rate, 11_200, 1),
              NodeStatus.LIVE,
              1,
              NOW + 9_000));
      v.refresh(nodes, NOW);
      if (round >= 5) {
        rebalancer.updateActive(v);
        assertThat(rebalancer.active()).as("round %d", round).isEmpty();
      }
    }
  }

  /** Ten nodes at 100 replicas and 1,000 req/s, and node "a" at 100 replicas and {@code rate}. */
  static List<NodeRecord> fleetWithRate(double rate) {
    List<NodeRecord> nodes = new ArrayList<>();
    for (int i = 0; i < 10; i++) nodes.add(node("n" + i, 100));
    nodes.add(
        new NodeRecord(
            "a",
            "a:1",
            new NodeRecord.Locality("r", "za", "k"),
            new NodeRecord.Capacity(1L << 40, 16),
            new NodeRecord.Load(100, rate, 10_000, 1),
            NodeStatus.LIVE,
            1,
            NOW + 9_000));
    return nodes;
  }

  @Test
  void hotRangeLoadCountsNeitherWhileItLastsNorAfterItEnds() {
    FleetView v = new FleetView(0.1, 9_000);
    for (int round = 0;
        round < 30;
        round++) { // "a" carries a hot range of 400 req/s on top of an average load
      v.setUnmovableLoad(Map.of("a", new double[] {0, 400, 0}));
      v.refresh(fleetWithRate(1_400), NOW);
    }
    assertThat(v.deviation("a"))
        .as("its movable load against the fleet mean of all load")
        .isCloseTo(1_000 / (11_400 / 11.0) - 1, within(0.001));
    assertThat(v.score("a")).as("placement still sees all of it").isGreaterThan(1.3);
    // the hot spot ends: the load leaves the node's reports and the range's report together;
    // an average that had taken the hot load in would show "a" 40% over for minutes
    v.setUnmovableLoad(Map.of());
    v.refresh(fleetWithRate(1_000), NOW);
    assertThat(v.deviation("a")).isCloseTo(0, within(0.001));
  }

  @Test
  void aNewControllerStartsNoNodeOnTheNoiseOfItsFirstReports() {
    try (Fixture f = new Fixture()) {
      Rebalancer r = new Rebalancer(f.catalog, ControllerConfig.defaults());
      FleetView v = new FleetView(0.1, 9_000);
      // "a" was left just inside the band by the previous controller; its first report is noisy
      // (+30%),
      // the next ones +16%: averaged over the warm-up it is under the start threshold
      for (int round = 0; round < Rebalancer.WARM_UP_REFRESHES; round++) {
        v.refresh(fleetWithRate(round == 0 ? 1_300 : 1_160), NOW);
        assertThat(r.cycle(f.db, NOW, v, new Moves(), new ControllerActions.Recording())).isZero();
        assertThat(r.active()).as("round %d", round).isEmpty();
      }
    }
  }

  /**
   * ControlFixture's n7 holds only follower replicas, which can go to n1 or n4 (its zone); the
   * fleet view says n7 carries {@code n7Replicas} and every other node 2.
   */
  private static int movesFromN7(int n7Replicas) {
    try (ControlFixture c = new ControlFixture(6)) {
      List<NodeRecord> nodes = new ArrayList<>();
      for (NodeRecord n : c.f.registry.list(c.f.db, null, 100).items()) {
        long r = n.nodeId().equals("n7") ? n7Replicas : 2;
        nodes.add(
            new NodeRecord(
                n.nodeId(),
                n.address(),
                n.locality(),
                n.capacity(),
                new NodeRecord.Load(r, r * 10.0, r * 100, 1),
                NodeStatus.LIVE,
                n.incarnation(),
                c.f.clock.millis() + 9_000));
      }
      FleetView fleet = new FleetView(1.0, 9_000);
      for (int i = 0; i < Rebalancer.WARM_UP_REFRESHES; i++)
        fleet.refresh(nodes, c.f.clock.millis());
      ControllerActions.Recording plan = new ControllerActions.Recording();
      new Rebalancer(c.f.catalog, ControllerConfig.defaults())
          .cycle(c.f.db, c.f.clock.millis(), fleet, new Moves(), plan);
      return plan.moves.size();
    }
  }

  @Test
  void aMoveThatWouldLeaveTheTargetWhereTheSourceWasIsNotMadeSoNothingSwapsBackAndForth() {
    assertThat(movesFromN7(3)).as("3 vs 2 (+42%%): a move only swaps which node has 3").isZero();
    assertThat(movesFromN7(4)).as("4 vs 2: one move leaves 3 and 3").isEqualTo(1);
  }

  @Test
  void movesAreLimitedPerCycleAndPerMinute() {
    assertThat(rebalancer.budget(NOW)).isEqualTo(5);
    Rebalancer limited =
        new Rebalancer(CATALOG, ControllerConfig.builder().moveLimits(5, 12).build());
    // the sliding minute: spend 12 moves, then the budget is 0 until the first of them is a minute
    // old
    for (int i = 0; i < 12; i++) limited.recordMoveForTest(NOW + i * 1000);
    assertThat(limited.budget(NOW + 20_000)).isZero();
    assertThat(limited.budget(NOW + 60_000)).isEqualTo(1);
    assertThat(limited.budget(NOW + 72_000)).isEqualTo(5);
  }

  @Test
  void zeroLimitsStopRebalancing() {
    assertThat(
            new Rebalancer(CATALOG, ControllerConfig.builder().moveLimits(0, 0).build())
                .budget(NOW))
        .isZero();
    assertThat(
            ControllerConfig.builder()
                .rebalanceThresholds(0.2, 0.15)
                .splitThresholds(10, 100, Duration.ofSeconds(1))
                .mergeThresholds(1, 10, Duration.ZERO)
                .build()
                .rebalanceStart())
        .isEqualTo(0.2);
  }
}
