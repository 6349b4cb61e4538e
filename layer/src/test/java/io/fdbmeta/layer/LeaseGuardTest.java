package io.fdbmeta.layer;

import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.layer.LeaseGuard.Verdict;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class LeaseGuardTest {
  private static final long T0 = 1_000_000;
  private final FakeClock clock = new FakeClock(T0);
  private final LeaseGuard guard = new LeaseGuard("me", 7, 3, clock, 500);

  @Test
  void servesNothingBeforeItHasALease() {
    assertThat(guard.check(7, 3, 0)).isEqualTo(Verdict.NOT_LEASEHOLDER);
    assertThat(guard.isHolder()).isFalse();
  }

  @Test
  void servesAMatchingHeaderUntilExpiryMinusOffset() {
    guard.update(3, new Lease("me", 2, T0 + 9000));

    assertThat(guard.check(7, 3, 2)).isEqualTo(Verdict.SERVE);
    clock.set(T0 + 8499);
    assertThat(guard.check(7, 3, 2)).isEqualTo(Verdict.SERVE);
    clock.set(T0 + 8500);
    assertThat(guard.check(7, 3, 2)).isEqualTo(Verdict.LEASE_EXPIRED);
  }

  /** A node record of "me" at {@code incarnation}, LIVE until {@code expiresAt}. */
  private static NodeRecord me(long incarnation, long expiresAt) {
    return new NodeRecord(
        "me",
        "h:1",
        new NodeRecord.Locality("r", "z", "k"),
        new NodeRecord.Capacity(1, 1),
        NodeRecord.Load.NONE,
        NodeStatus.LIVE,
        incarnation,
        expiresAt);
  }

  @Test
  void aLivenessLeaseServesWhileTheNodesOwnLivenessIsValidAtItsIncarnation() {
    NodeLiveness liveness = new NodeLiveness();
    LeaseGuard g = new LeaseGuard("me", 7, 3, clock, 500, liveness);
    g.update(3, Lease.onLiveness("me", 2, 1));
    assertThat(g.check(7, 3, 2)).as("no heartbeat yet").isEqualTo(Verdict.LEASE_EXPIRED);

    liveness.update(me(1, T0 + 9000)); // registered: one view for every range of the node
    assertThat(g.check(7, 3, 2)).isEqualTo(Verdict.SERVE);
    clock.set(T0 + 8500);
    assertThat(g.check(7, 3, 2)).isEqualTo(Verdict.LEASE_EXPIRED);
    liveness.update(me(1, T0 + 12_000)); // a heartbeat extends it: no per-range renewal
    assertThat(g.check(7, 3, 2)).isEqualTo(Verdict.SERVE);
    liveness.update(me(1, T0 + 10_000)); // never backwards
    assertThat(liveness.expiresAt()).isEqualTo(T0 + 12_000);

    // marked DEAD and registered again: the lease of incarnation 1 is over
    liveness.update(me(2, T0 + 20_000));
    assertThat(g.check(7, 3, 2)).isEqualTo(Verdict.LEASE_EXPIRED);
    liveness.update(me(1, T0 + 30_000)); // a late result of the old incarnation is ignored
    assertThat(g.check(7, 3, 2)).isEqualTo(Verdict.LEASE_EXPIRED);
    assertThat(new LeaseGuard("me", 7, 3, clock, 500).update(3, Lease.onLiveness("me", 2, 1)))
        .isTrue();
  }

  @Test
  void aGuardWithoutALivenessViewServesNoLivenessLease() {
    guard.update(3, Lease.onLiveness("me", 2, 1));
    assertThat(guard.check(7, 3, 2)).isEqualTo(Verdict.LEASE_EXPIRED);
  }

  @Test
  void anOldExpiringLeaseConvertedAtTheSameEpochIsTakenIn() {
    NodeLiveness liveness = new NodeLiveness();
    liveness.update(me(1, T0 + 9000));
    LeaseGuard g = new LeaseGuard("me", 7, 3, clock, 500, liveness);
    g.update(3, new Lease("me", 2, T0 + 3000, 1)); // as an older binary granted it
    assertThat(g.update(3, Lease.onLiveness("me", 2, 1))).isTrue();
    clock.set(T0 + 5000);
    assertThat(g.check(7, 3, 2)).isEqualTo(Verdict.SERVE);
  }

  @Test
  void olderHeadersAreStaleAndNewerOnesMeanThisNodeIsBehind() {
    guard.update(3, new Lease("me", 2, T0 + 9000));

    assertThat(guard.check(8, 3, 2)).isEqualTo(Verdict.WRONG_RANGE);
    assertThat(guard.check(7, 2, 2)).isEqualTo(Verdict.STALE_REQUEST);
    assertThat(guard.check(7, 3, 1)).isEqualTo(Verdict.STALE_REQUEST);
    assertThat(guard.check(7, 4, 2)).isEqualTo(Verdict.NODE_BEHIND);
    assertThat(guard.check(7, 3, 3)).isEqualTo(Verdict.NODE_BEHIND);
  }

  @Test
  void renewalExtendsAndALateOlderResultIsIgnored() {
    guard.update(3, new Lease("me", 2, T0 + 9000));
    assertThat(guard.update(3, new Lease("me", 2, T0 + 12_000))).isTrue();
    assertThat(guard.update(3, new Lease("me", 2, T0 + 10_000)))
        .isFalse(); // earlier renewal arriving late
    assertThat(guard.expiresAt()).isEqualTo(T0 + 12_000);

    guard.update(3, new Lease("other", 3, T0 + 15_000)); // transferred away
    assertThat(guard.update(3, new Lease("me", 2, T0 + 20_000)))
        .isFalse(); // stale renewal cannot resurrect it
    assertThat(guard.check(7, 3, 3)).isEqualTo(Verdict.NOT_LEASEHOLDER);
    assertThat(guard.check(7, 3, 2)).isEqualTo(Verdict.STALE_REQUEST);
  }

  @Test
  void revokeIsStickyForItsEpoch() {
    guard.update(3, new Lease("me", 2, T0 + 9000));
    guard.revoke();

    assertThat(guard.check(7, 3, 2)).isEqualTo(Verdict.NOT_LEASEHOLDER);
    guard.update(3, new Lease("me", 2, T0 + 20_000)); // a renewal that was in flight
    guard.update(4, new Lease("me", 2, T0 + 20_000)); // a replica change at the same epoch
    assertThat(guard.check(7, 4, 2)).isEqualTo(Verdict.NOT_LEASEHOLDER);

    guard.update(4, new Lease("me", 3, T0 + 20_000)); // released and acquired again
    assertThat(guard.check(7, 4, 3)).isEqualTo(Verdict.SERVE);
  }

  @Test
  void forSplitChildrenTakesTheChildDescriptor() {
    LayerConfig config = LayerConfig.builder().clock(clock).build();
    RangeDescriptor child =
        new RangeDescriptor(42, new byte[] {'m'}, null, 5, List.of("me", "x"), "me", 2);

    LeaseGuard g = LeaseGuard.forRange("me", child, new Lease("me", 2, T0 + 9000), config);

    assertThat(g.check(42, 5, 2)).isEqualTo(Verdict.SERVE);
    assertThat(g.check(7, 3, 2)).isEqualTo(Verdict.WRONG_RANGE);
  }

  @Test
  void concurrentChecksNeverSeeAMixOfTwoStates() throws Exception {
    guard.update(3, new Lease("me", 1, Long.MAX_VALUE));
    AtomicBoolean torn = new AtomicBoolean();
    AtomicBoolean stop = new AtomicBoolean();
    List<Thread> readers = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      Thread t =
          new Thread(
              () -> {
                while (!stop.get()) {
                  // the epoch may move on between the two reads (STALE_REQUEST), but every state is
                  // one we hold
                  long epoch = guard.epoch();
                  Verdict v = guard.check(7, 3, epoch);
                  if (v != Verdict.SERVE && v != Verdict.STALE_REQUEST) torn.set(true);
                }
              });
      t.start();
      readers.add(t);
    }
    for (long e = 2; e < 20_000; e++) guard.update(3, new Lease("me", e, Long.MAX_VALUE));
    stop.set(true);
    for (Thread t : readers) t.join();
    assertThat(torn).isFalse();
  }
}
