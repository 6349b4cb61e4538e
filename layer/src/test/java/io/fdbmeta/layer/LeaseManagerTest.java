package io.fdbmeta.layer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LeaseManagerTest {
  private final Fixture f = new Fixture();
  private final LeaseManager leases = f.leases;
  private final long rangeId = Ids.ROOT_RANGE_ID;
  private final long leaseMs = f.config.leaseMillis();
  private final long offsetMs = f.config.maxClockOffsetMillis();

  @AfterEach
  void close() {
    f.close();
  }

  @Test
  void firstGrantTakesEpochOneAndUpdatesTheDescriptorAndRoles() {
    f.rootWithReplicas("a", "b");

    Lease lease = leases.acquire(f.db, rangeId, "a");

    assertThat(lease).isEqualTo(new Lease("a", 1, Fixture.START + leaseMs, 1));
    RangeDescriptor d = f.range(rangeId);
    assertThat(d.leaseholder()).isEqualTo("a");
    assertThat(d.leaseEpoch()).isEqualTo(1);
    assertThat(f.catalog.rangesOfNode(f.db, "a"))
        .containsExactly(new RangeCatalog.Assignment(rangeId, true));
    assertThat(f.catalog.rangesOfNode(f.db, "b"))
        .containsExactly(new RangeCatalog.Assignment(rangeId, false));
    assertThat(leases.get(f.db, rangeId)).contains(lease);
  }

  @Test
  void noSecondHolderBeforeExpiryPlusOffset() {
    f.rootWithReplicas("a", "b");
    Lease first = leases.acquire(f.db, rangeId, "a");

    f.clock.set(first.expiresAt() + offsetMs); // not yet free: free only strictly after
    keepAlive("b");
    assertConflict(() -> leases.acquire(f.db, rangeId, "b"), "held by a");

    f.clock.advanceMillis(1);
    Lease second = leases.acquire(f.db, rangeId, "b");
    assertThat(second.holder()).isEqualTo("b");
    assertThat(second.epoch()).isEqualTo(2);
    assertThat(f.range(rangeId).leaseholder()).isEqualTo("b");
    assertThat(f.range(rangeId).leaseEpoch()).isEqualTo(2);
  }

  @Test
  void reacquireByTheHolderKeepsTheEpochAndDoesNotTouchRoutes() {
    f.rootWithReplicas("a");
    leases.acquire(f.db, rangeId, "a");
    byte[] metaVersion = metaVersion();
    f.clock.advanceMillis(1000);

    Lease again = leases.acquire(f.db, rangeId, "a");

    assertThat(again).isEqualTo(new Lease("a", 1, Fixture.START + 1000 + leaseMs, 1));
    assertThat(metaVersion()).isEqualTo(metaVersion);
  }

  @Test
  void holderMustBeALiveReplica() {
    f.rootWithReplicas("a", "drainer");
    f.register("outsider");
    f.registry.drain(f.db, "drainer");

    assertRejected(
        () -> leases.acquire(f.db, rangeId, "outsider"),
        MetaException.Code.NOT_ALLOWED,
        "not a replica");
    assertRejected(
        () -> leases.acquire(f.db, rangeId, "drainer"), MetaException.Code.NOT_ALLOWED, "DRAINING");
    assertRejected(
        () -> leases.acquire(f.db, rangeId, "ghost"), MetaException.Code.UNKNOWN_NODE, "ghost");
    assertRejected(
        () -> leases.acquire(f.db, 424242, "a"), MetaException.Code.UNKNOWN_RANGE, "424242");

    f.clock.advance(Duration.ofSeconds(20));
    f.registry.markDead(f.db, "a", 1);
    assertRejected(
        () -> leases.acquire(f.db, rangeId, "a"), MetaException.Code.NOT_ALLOWED, "DEAD");
  }

  @Test
  void nodeWhoseLivenessExpiredGetsNoLeaseEvenBeforeItIsMarkedDead() {
    f.rootWithReplicas("a");
    f.clock.advance(Duration.ofSeconds(10));

    assertRejected(
        () -> leases.acquire(f.db, rangeId, "a"),
        MetaException.Code.NOT_ALLOWED,
        "liveness expired");
    keepAlive("a");
    assertThat(leases.acquire(f.db, rangeId, "a").epoch()).isEqualTo(1);
  }

  @Test
  void renewExtendsOnlyForTheCurrentHolderAndEpochWhileValid() {
    f.rootWithReplicas("a", "b");
    Lease lease = leases.acquire(f.db, rangeId, "a");
    byte[] metaVersion = metaVersion();

    f.clock.advanceMillis(3000);
    Lease renewed = leases.renew(f.db, rangeId, "a", 1);
    assertThat(renewed).isEqualTo(new Lease("a", 1, Fixture.START + 3000 + leaseMs, 1));
    assertThat(metaVersion()).as("a renewal is not a routing change").isEqualTo(metaVersion);

    assertConflict(() -> leases.renew(f.db, rangeId, "b", 1), "does not hold");
    assertConflict(() -> leases.renew(f.db, rangeId, "a", 0), "does not hold");

    f.clock.set(renewed.expiresAt() - offsetMs); // valid only strictly before expiresAt - offset
    assertConflict(() -> leases.renew(f.db, rangeId, "a", 1), "expired");
    assertThat(lease.epoch()).isEqualTo(renewed.epoch());
  }

  @Test
  void renewWithoutAnyLeaseSaysSo() {
    f.rootWithReplicas("a");
    assertConflict(() -> leases.renew(f.db, rangeId, "a", 1), "no lease");
    assertRejected(() -> leases.renew(f.db, 99, "a", 1), MetaException.Code.UNKNOWN_RANGE, "99");
  }

  @Test
  void deadNodeCannotRenewSoFailoverIsNotBlocked() {
    f.rootWithReplicas("a");
    leases.acquire(f.db, rangeId, "a");
    f.clock.advance(Duration.ofSeconds(8));
    leases.renew(f.db, rangeId, "a", 1); // a renews its lease but stopped heartbeating
    f.clock.advance(Duration.ofSeconds(2));
    f.registry.markDead(f.db, "a", 1); // its liveness (9 s) expired; its lease is valid until 17 s

    assertConflict(() -> leases.renew(f.db, rangeId, "a", 1), "DEAD");
  }

  @Test
  void transferIsImmediateAndFencesTheOldEpoch() {
    f.rootWithReplicas("a", "b", "c");
    leases.acquire(f.db, rangeId, "a");
    f.clock.advanceMillis(1000);

    Lease moved = leases.transfer(f.db, rangeId, "a", 1, "b");

    assertThat(moved).isEqualTo(new Lease("b", 2, Fixture.START + 1000 + leaseMs, 1));
    assertThat(f.range(rangeId).leaseholder()).isEqualTo("b");
    assertThat(f.range(rangeId).leaseEpoch()).isEqualTo(2);
    assertThat(f.catalog.rangesOfNode(f.db, "a"))
        .containsExactly(new RangeCatalog.Assignment(rangeId, false));
    assertThat(f.catalog.rangesOfNode(f.db, "b"))
        .containsExactly(new RangeCatalog.Assignment(rangeId, true));
    // the old holder is fenced: its epoch no longer renews or transfers
    assertConflict(() -> leases.renew(f.db, rangeId, "a", 1), "b holds it at epoch 2");
    assertConflict(() -> leases.transfer(f.db, rangeId, "a", 1, "c"), "does not hold");
    assertConflict(() -> leases.acquire(f.db, rangeId, "a"), "held by b");
  }

  @Test
  void aRestartedNodeIsANewHolderSoItsOldProcessCannotServeBesideIt() {
    f.rootWithReplicas("a", "b");
    Lease old = leases.acquire(f.db, rangeId, "a");
    f.clock.advanceMillis(1000);
    f.register("a"); // the node restarts: incarnation 2, while its old process may still be serving

    assertConflict(() -> leases.acquire(f.db, rangeId, "a"), "previous process");
    assertConflict(() -> leases.renew(f.db, rangeId, "a", old.epoch()), "has restarted");
    assertConflict(() -> leases.transfer(f.db, rangeId, "a", old.epoch(), "b"), "has restarted");

    f.clock.advanceMillis(
        leaseMs + f.config.maxClockOffsetMillis()); // the old grant is free for others now
    f.heartbeat("a", 2);
    Lease fresh = leases.acquire(f.db, rangeId, "a");
    assertThat(fresh.epoch()).isEqualTo(old.epoch() + 1);
    assertThat(fresh.holderIncarnation()).isEqualTo(2);
  }

  @Test
  void transferNeedsAValidLeaseAndALiveReplicaTarget() {
    f.rootWithReplicas("a", "b", "d");
    f.register("outsider");
    f.registry.drain(f.db, "d");
    Lease lease = leases.acquire(f.db, rangeId, "a");

    assertRejected(
        () -> leases.transfer(f.db, rangeId, "a", 1, "outsider"),
        MetaException.Code.NOT_ALLOWED,
        "not a replica");
    assertRejected(
        () -> leases.transfer(f.db, rangeId, "a", 1, "d"),
        MetaException.Code.NOT_ALLOWED,
        "DRAINING");
    assertRejected(
        () -> leases.transfer(f.db, rangeId, "a", 1, "a"),
        MetaException.Code.INVALID_ARGUMENT,
        "itself");
    f.clock.set(lease.expiresAt());
    assertConflict(() -> leases.transfer(f.db, rangeId, "a", 1, "b"), "expired");
  }

  @Test
  void releaseFreesTheLeaseAtOnceAndTheNextGrantTakesANewEpoch() {
    f.rootWithReplicas("a", "b");
    leases.acquire(f.db, rangeId, "a");

    leases.release(f.db, rangeId, "a", 1);
    leases.release(f.db, rangeId, "a", 1); // harmless again

    assertThat(leases.get(f.db, rangeId)).isEmpty();
    assertThat(f.range(rangeId).leaseholder()).isNull();
    assertThat(f.range(rangeId).leaseEpoch()).isEqualTo(1);
    assertThat(leases.acquire(f.db, rangeId, "b").epoch()).isEqualTo(2);
    leases.release(f.db, rangeId, "a", 1); // no longer a's: nothing happens
    assertThat(leases.get(f.db, rangeId).orElseThrow().holder()).isEqualTo("b");
  }

  @Test
  void splitChildrenInheritTheLeaseAndItsEpoch() {
    f.rootWithReplicas("a", "b");
    leases.acquire(f.db, rangeId, "a");
    RangeCatalog.SplitResult split = f.catalog.split(f.db, rangeId, new byte[] {'m'});

    Lease left = leases.renew(f.db, split.left().rangeId(), "a", 1);
    assertThat(left.epoch()).isEqualTo(1);
    Lease right = leases.transfer(f.db, split.right().rangeId(), "a", 1, "b");
    assertThat(right.epoch()).isEqualTo(2);
    assertThat(f.range(split.right().rangeId()).leaseholder()).isEqualTo("b");
  }

  /*
   * Regression (found by LayerPropertiesTest): a merge kept the left range's lease and dropped the
   * right one's, so while the right range's holder still served its keys, the merged range could
   * be granted at once to another node (left lease vacant or expired), or after the left lease's
   * earlier expiry: two nodes serving one key at the same instant.
   */
  @Test
  void mergeWhileTheRightHalfIsLeasedToAnotherNodeIsRefused() {
    f.rootWithReplicas("a", "b");
    leases.acquire(f.db, rangeId, "a");
    RangeCatalog.SplitResult split = f.catalog.split(f.db, rangeId, new byte[] {'m'});
    long left = split.left().rangeId();
    long right = split.right().rangeId();
    leases.release(f.db, left, "a", 1);

    assertConflict(() -> f.catalog.merge(f.db, left, right), "is leased to a");
    leases.transfer(f.db, right, "a", 1, "b");
    leases.acquire(f.db, left, "a");
    assertConflict(() -> f.catalog.merge(f.db, left, right), "is leased to b");

    f.clock.advanceMillis(
        leaseMs + offsetMs + 1); // b's lease is free for others: b stopped serving
    RangeDescriptor merged = f.catalog.merge(f.db, left, right);
    assertThat(merged.leaseholder()).isEqualTo("a");
    assertThat(f.catalog.rangesOfNode(f.db, "b"))
        .containsExactly(new RangeCatalog.Assignment(left, false));
  }

  /*
   * Regression (found by LayerPropertiesTest): after a merge of two halves leased to a, a, not yet
   * aware of the merge, transferred the merged range under its old epoch, revoking only its guard
   * of the left half; b then served the whole range while a's guard of the right half still served.
   */
  @Test
  void mergeOfHalvesLeasedToOneNodeTakesANewEpochAndTheLaterExpiry() {
    f.rootWithReplicas("a", "b");
    leases.acquire(f.db, rangeId, "a");
    RangeCatalog.SplitResult split = f.catalog.split(f.db, rangeId, new byte[] {'m'});
    f.clock.advanceMillis(1_000);
    Lease right = leases.renew(f.db, split.right().rangeId(), "a", 1);

    RangeDescriptor merged = f.catalog.merge(f.db, split.left().rangeId(), split.right().rangeId());

    assertThat(leases.get(f.db, merged.rangeId()))
        .contains(new Lease("a", 2, right.expiresAt(), 1));
    assertThat(merged.leaseholder()).isEqualTo("a");
    assertThat(merged.leaseEpoch()).isEqualTo(2);
    assertConflict(
        () -> leases.transfer(f.db, merged.rangeId(), "a", 1, "b"), "does not hold the lease");
    assertConflict(() -> leases.renew(f.db, merged.rangeId(), "a", 1), "does not hold the lease");
    f.clock.set(
        right.expiresAt()
            - 1_000
            + offsetMs
            + 1); // the left half's lease is free for others, the right's is not
    keepAlive("b");
    assertConflict(() -> leases.acquire(f.db, merged.rangeId(), "b"), "held by a");
  }

  @Test
  void epochsOnlyGrowAcrossHolders() {
    f.rootWithReplicas("a", "b", "c");
    List<String> order = List.of("a", "b", "c", "a", "b");
    long lastEpoch = 0;
    for (String node : order) {
      keepAlive(node);
      Lease l = leases.acquire(f.db, rangeId, node);
      assertThat(l.epoch()).isGreaterThan(lastEpoch);
      assertThat(f.range(rangeId).leaseEpoch()).isEqualTo(l.epoch());
      lastEpoch = l.epoch();
      f.clock.set(l.expiresAt() + offsetMs + 1);
    }
    assertThat(lastEpoch).isEqualTo(order.size());
  }

  @Test
  void controllerLeaseFollowsTheSameRules() {
    Lease c1 = leases.acquireController(f.db, "ctl-1");
    assertThat(c1).isEqualTo(new Lease("ctl-1", 1, Fixture.START + leaseMs));
    assertThat(leases.controller(f.db)).contains(c1);
    assertRejected(
        () -> leases.acquireController(f.db, "ctl-2"),
        MetaException.Code.LEASE_CONFLICT,
        "controller: lease is held by ctl-1");

    f.clock.advanceMillis(2000);
    Lease renewed = leases.renewController(f.db, "ctl-1", 1);
    assertThat(renewed.expiresAt()).isEqualTo(Fixture.START + 2000 + leaseMs);
    assertRejected(
        () -> leases.renewController(f.db, "ctl-2", 1),
        MetaException.Code.LEASE_CONFLICT,
        "does not hold");

    f.clock.set(renewed.expiresAt() + offsetMs + 1);
    assertRejected(
        () -> leases.renewController(f.db, "ctl-1", 1),
        MetaException.Code.LEASE_CONFLICT,
        "expired");
    Lease c2 = leases.acquireController(f.db, "ctl-2");
    assertThat(c2.epoch()).isEqualTo(2);

    leases.resignController(f.db, "ctl-1", 1); // not the controller any more: no effect
    assertThat(leases.controller(f.db)).contains(c2);
    leases.resignController(f.db, "ctl-2", 2);
    assertThat(leases.controller(f.db)).isEmpty();
    assertThat(leases.acquireController(f.db, "ctl-1").epoch()).isEqualTo(3);
  }

  // ---------------------------------------------------------------- helpers

  /** Heartbeats the nodes so that advancing the clock past a lease does not leave them expired. */
  private void keepAlive(String... nodes) {
    for (String n : nodes) f.heartbeat(n, f.registry.get(f.db, n).orElseThrow().incarnation());
  }

  private byte[] metaVersion() {
    return f.db.read(tr -> tr.get(f.ks.metaVersionKey()).join());
  }

  private static void assertConflict(ThrowingCallable call, String message) {
    assertRejected(call, MetaException.Code.LEASE_CONFLICT, message);
  }

  private static void assertRejected(
      ThrowingCallable call, MetaException.Code code, String message) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(MetaException.class, e -> assertThat(e.code()).isEqualTo(code))
        .hasMessageContaining(message);
  }
}
