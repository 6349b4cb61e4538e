package io.fdbmeta.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.layer.RangeDescriptor;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The order in which replicas take a lease up for grabs (LeaseKeeper.turn). */
class LeaseKeeperTest {
  private static final List<String> REPLICAS = List.of("n1", "n2", "n3");

  @Test
  void everyCandidateHasItsOwnTurnAndTheStoppedHolderNone() {
    Random random = new Random(7);
    for (int i = 0; i < 1000; i++) {
      RangeDescriptor d = range(random.nextLong());
      assertThat(REPLICAS.stream().map(n -> LeaseKeeper.turn(d, n, null)))
          .containsExactlyInAnyOrder(0, 1, 2);
      assertThat(List.of("n1", "n3").stream().map(n -> LeaseKeeper.turn(d, n, "n2")))
          .as("n2 stopped: the other two take turns 0 and 1")
          .containsExactlyInAnyOrder(0, 1);
    }
  }

  @Test
  void theFirstTurnsSpreadEvenlyOverTheReplicas() {
    Random random = new Random(11);
    Map<String, Integer> first = new HashMap<>();
    int ranges = 30_000;
    for (int i = 0; i < ranges; i++) {
      RangeDescriptor d = range(random.nextLong());
      for (String n : REPLICAS)
        if (LeaseKeeper.turn(d, n, null) == 0) first.merge(n, 1, Integer::sum);
    }
    assertThat(first.values()).allSatisfy(c -> assertThat(c).isBetween(9_000, 11_000));

    first.clear();
    for (long id = 1; id <= ranges; id++) { // sequential ids, as a test or an old table may have
      RangeDescriptor d = range(id);
      for (String n : REPLICAS)
        if (LeaseKeeper.turn(d, n, null) == 0) first.merge(n, 1, Integer::sum);
    }
    assertThat(first.values()).allSatisfy(c -> assertThat(c).isBetween(9_000, 11_000));
  }

  private static RangeDescriptor range(long id) {
    return new RangeDescriptor(id, new byte[0], null, 1, REPLICAS, null, 0);
  }
}
