package io.fdbmeta.layer.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.layer.OpRecord;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The rebalancer's cool-downs: what arrived stays, nothing returns, no two-way swaps. */
class SettlingTest {
  static final long COOLDOWN = 600_000;
  static final long NOW = 1_000_000_000;

  final Settling settling = new Settling(COOLDOWN);

  static Move move(long rangeId, String from, String to, Move.Reason why) {
    return new Move("op-" + rangeId, rangeId, 1, from, to, why, NOW, new double[3]);
  }

  @Test
  void aMovedReplicaStaysWhereItArrivedAndDoesNotGoBackUntilTheCooldownEnds() {
    settling.committed(List.of(move(7, "a", "b", Move.Reason.REBALANCE)), NOW);
    settling.newCycle(NOW + 1);
    assertThat(settling.mayLeave(7, "b")).as("it just arrived on b").isFalse();
    assertThat(settling.mayMove(7, "c", "a", false)).as("range 7 just left a").isFalse();
    assertThat(settling.mayMove(7, "c", "d", false)).isTrue();
    assertThat(settling.mayLeave(8, "b")).as("another range").isTrue();
    settling.newCycle(NOW + COOLDOWN);
    assertThat(settling.mayLeave(7, "b")).isTrue();
    assertThat(settling.mayMove(7, "c", "a", false)).isTrue();
  }

  /** A 7-node demo moved n3 -> n6, n6 -> n3, n3 -> n6 in three cycles, a different range each. */
  @Test
  void noReplicaGoesBackTheOtherWayBetweenTwoNodesUnlessTheReceiverIsStarved() {
    settling.committed(List.of(move(1, "n3", "n6", Move.Reason.REBALANCE)), NOW);
    settling.newCycle(NOW + 1500);
    assertThat(settling.mayMove(2, "n6", "n3", false)).isFalse();
    assertThat(settling.mayMove(2, "n6", "n4", false)).isTrue();
    assertThat(settling.mayMove(2, "n3", "n6", false)).as("the same direction").isTrue();
    // A node that restarted empty may have only one node to be refilled from (a 300 s demo left
    // n1 with 0 replicas); range 1 itself still stays away.
    assertThat(settling.mayMove(2, "n6", "n3", true)).isTrue();
    assertThat(settling.mayMove(1, "n6", "n3", true)).isFalse();
    settling.newCycle(NOW + COOLDOWN);
    assertThat(settling.mayMove(2, "n6", "n3", false)).isTrue();
  }

  @Test
  void noCycleMovesReplicasBothWaysBetweenTwoNodes() {
    settling.newCycle(NOW);
    settling.started(move(1, "a", "b", Move.Reason.REBALANCE));
    assertThat(settling.mayMove(2, "b", "a", false)).isFalse();
    assertThat(settling.mayMove(2, "a", "b", false))
        .as("the same direction again is fine")
        .isTrue();
    settling.newCycle(NOW + 10_000);
    assertThat(settling.mayMove(2, "b", "a", false)).isTrue();
  }

  @Test
  void aReCreatedReplicaIsKeptButItsDeadSourceIsNotRemembered() {
    settling.committed(List.of(move(3, "dead", "b", Move.Reason.RECREATE)), NOW);
    settling.newCycle(NOW + 1);
    assertThat(settling.mayLeave(3, "b")).isFalse();
    assertThat(settling.mayMove(3, "b", "dead", false)).isTrue();
  }

  @Test
  void aNewControllerRecoversCooldownsFromCommittedMoveOps() {
    Move m = move(9, "a", "b", Move.Reason.REBALANCE);
    OpRecord committed =
        new OpRecord(
            m.opId(),
            OpRecord.Kind.MOVE,
            OpRecord.Phase.COMMITTED,
            List.of(9L),
            List.of(1L),
            null,
            List.of(),
            NOW - 1000,
            NOW - 500,
            m.describe() + "; prepared@" + (NOW - 1000) + "; committed@" + (NOW - 500));
    OpRecord old =
        new OpRecord(
            "op-old",
            OpRecord.Kind.MOVE,
            OpRecord.Phase.COMMITTED,
            List.of(10L),
            List.of(1L),
            null,
            List.of(),
            NOW - COOLDOWN - 2,
            NOW - COOLDOWN - 1,
            move(10, "a", "b", Move.Reason.REBALANCE).describe());
    settling.recover(List.of(committed, old), NOW);
    settling.newCycle(NOW);
    assertThat(settling.mayLeave(9, "b")).isFalse();
    assertThat(settling.mayMove(9, "c", "a", false)).isFalse();
    assertThat(settling.mayLeave(10, "b")).as("its cool-down ended").isTrue();
  }

  @Test
  void moveEndpointsReadBackWhatDescribeWrote() {
    Move m = move(42, "n00001", "n00002", Move.Reason.RECREATE);
    assertThat(Move.endpoints(m.describe() + "; prepared@5; committed@6"))
        .isEqualTo(new Move.Endpoints(Move.Reason.RECREATE, "n00001", "n00002"));
    assertThat(Move.endpoints(m.describe()))
        .isEqualTo(new Move.Endpoints(Move.Reason.RECREATE, "n00001", "n00002"));
    assertThat(Move.endpoints("split at key")).isNull();
  }
}
