package io.fdbmeta.tools.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class MoveLowerBoundTest {
  static MoveLowerBound.NodeLoad node(double... rps) {
    double[] bytes = new double[rps.length];
    Arrays.fill(bytes, 1);
    return new MoveLowerBound.NodeLoad(rps, bytes);
  }

  static double[] times(int n, double v) {
    double[] a = new double[n];
    Arrays.fill(a, v);
    return a;
  }

  @Test
  void anOverloadedNodeMustShedDownToTheStopThreshold() {
    // mean 6.25 replicas; the first node at 10 (+60%) must get under 7.19: 3 moves, in every
    // dimension alike
    List<MoveLowerBound.NodeLoad> fleet =
        List.of(node(times(10, 10)), node(times(5, 10)), node(times(5, 10)), node(times(5, 10)));
    assertThat(MoveLowerBound.of(fleet, 0.20, 0.15)).isEqualTo(3);
  }

  @Test
  void oneHeavyReplicaCoversAnExcessButEveryUnderloadedNodeStillNeedsAMoveIn() {
    // the first node is over only in request rate, and its one heavy replica covers all of it (1
    // move out);
    // the three others are under 80% of the mean rate and need at least one replica each
    double[] heavy = {100, 1, 1, 1, 1, 1};
    List<MoveLowerBound.NodeLoad> fleet =
        List.of(node(heavy), node(times(6, 1)), node(times(6, 1)), node(times(6, 1)));
    assertThat(MoveLowerBound.of(fleet, 0.20, 0.15)).isEqualTo(3);
  }

  @Test
  void aFleetInsideTheBandNeedsNoMove() {
    List<MoveLowerBound.NodeLoad> fleet =
        List.of(node(times(11, 10)), node(times(10, 10)), node(times(9, 10)));
    assertThat(MoveLowerBound.of(fleet, 0.20, 0.15)).isZero();
  }

  @Test
  void thresholdsWithoutHysteresisAreRefused() {
    assertThatThrownBy(() -> MoveLowerBound.of(List.of(), 0.15, 0.20))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("stop < start");
  }
}
