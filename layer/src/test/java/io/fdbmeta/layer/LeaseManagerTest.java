package io.fdbmeta.layer;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
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

    assertThat(lease).isEqualTo(Lease.onLiveness("a", 1, 1));
    assertThat(lease.ridesOnLiveness()).isTrue();
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
  void noSecondHolderUntilTheHolderIsMarkedDeadNotOnTimeAlone() {
    f.rootWithReplicas("a", "b");
    leases.acquire(f.db, rangeId, "a");

    // a's liveness lapsed long ago, but it may still heartbeat again and serve: not free
    f.clock.advance(Duration.ofMinutes(5));
    keepAlive("b");
    assertConflict(() -> leases.acquire(f.db, rangeId, "b"), "held by a");
    assertThat(leases.isFreeAsync(f.db, rangeId).join()).isFalse();

    f.registry.markDead(f.db, "a", 1); // ends incarnation 1 and with it all of a's leases
    assertThat(leases.isFreeAsync(f.db, rangeId).join()).isTrue();
    Lease second = leases.acquire(f.db, rangeId, "b");
    assertThat(second.holder()).isEqualTo("b");
    assertThat(second.epoch()).isEqualTo(2);
    assertThat(f.range(rangeId).leaseholder()).isEqualTo("b");
    assertThat(f.range(rangeId).leaseEpoch()).isEqualTo(2);
  }

  @Test
  void reacquireByTheHolderKeepsTheEpochAndWritesNothing() {
    f.rootWithReplicas("a");
    leases.acquire(f.db, rangeId, "a");
    byte[] metaVersion = metaVersion();
    byte[] record = rawLease();
    f.clock.advanceMillis(1000);

    Lease again = leases.acquire(f.db, rangeId, "a");

    assertThat(again).isEqualTo(Lease.onLiveness("a", 1, 1));
    assertThat(metaVersion()).isEqualTo(metaVersion);
    assertThat(rawLease()).isEqualTo(record);
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
  void acquireEachGrantsTheRangesItMayInOneCommitAndLeavesOutTheRefusedOnes() {
    long[] ids = threeRangesOnAAndB();
    long left = ids[0];
    long heldByA = ids[1];
    long vacant = ids[2];
    leases.acquire(f.db, heldByA, "a");
    long entriesBefore = changelogEntries();

    Map<Long, Lease> granted =
        leases.acquireEachAsync(f.db, List.of(left, heldByA, 424242L, vacant), "b").join();

    assertThat(granted)
        .as("held by a live node, and an unknown range, are left out")
        .containsOnlyKeys(left, vacant);
    assertThat(granted.get(left)).isEqualTo(Lease.onLiveness("b", 1, 1));
    assertThat(f.range(left).leaseholder()).isEqualTo("b");
    assertThat(f.range(heldByA).leaseholder()).isEqualTo("a");
    assertThat(changelogEntries() - entriesBefore).as("one entry per grant").isEqualTo(2);

    f.register("outsider");
    assertThat(leases.acquireEachAsync(f.db, List.of(left), "outsider").join()).isEmpty();
    assertThat(leases.acquireEachAsync(f.db, List.of(left), "b").join())
        .as("a holder asking again keeps its epoch")
        .containsEntry(left, Lease.onLiveness("b", 1, 1));
  }

  @Test
  void transferEachHandsOverTheLeasesItMayInOneCommitAndLeavesOutTheRefusedOnes() {
    long[] ids = threeRangesOnAAndB();
    long left = ids[0];
    long heldByA = ids[1];
    long heldByB = ids[2];
    leases.acquire(f.db, left, "a");
    leases.acquire(f.db, heldByA, "a");
    leases.acquire(f.db, heldByB, "b");
    f.register("outsider");
    long entriesBefore = changelogEntries();

    Map<Long, Lease> moved =
        leases
            .transferEachAsync(
                f.db,
                "a",
                List.of(
                    new LeaseManager.Transfer(left, 1, "b"),
                    new LeaseManager.Transfer(heldByA, 1, "outsider"),
                    new LeaseManager.Transfer(heldByB, 1, "a"),
                    new LeaseManager.Transfer(424242L, 1, "b")))
            .join();

    assertThat(moved)
        .as("to a node that is no replica, of another's lease, of an unknown range: left out")
        .containsOnlyKeys(left);
    assertThat(moved.get(left)).isEqualTo(Lease.onLiveness("b", 2, 1));
    assertThat(f.range(left).leaseholder()).isEqualTo("b");
    assertThat(f.range(heldByA).leaseholder()).isEqualTo("a");
    assertThat(f.range(heldByB).leaseholder()).isEqualTo("b");
    assertThat(changelogEntries() - entriesBefore).as("one entry per transfer").isEqualTo(1);
    assertThat(
            leases
                .transferEachAsync(f.db, "a", List.of(new LeaseManager.Transfer(left, 1, "b")))
                .join())
        .as("a retry finds it done")
        .containsEntry(left, Lease.onLiveness("b", 2, 1));
  }

  @Test
  void releaseEachVacatesTheLeasesHeldAtTheirEpochsAndSkipsTheRest() {
    f.rootWithReplicas("a", "b");
    RangeCatalog.SplitResult halves = f.catalog.split(f.db, rangeId, "m".getBytes(UTF_8));
    long left = halves.left().rangeId();
    long right = halves.right().rangeId();
    leases.acquire(f.db, left, "a");
    leases.acquire(f.db, right, "b");

    leases.releaseEachAsync(f.db, "a", Map.of(left, 1L, right, 1L, 424242L, 1L)).join();

    assertThat(f.range(left).leaseholder()).isNull();
    assertThat(f.range(right).leaseholder()).as("b's lease is not a's to release").isEqualTo("b");
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
  void renewOfALivenessLeaseWritesNothingAndHoldsOnlyWhileTheHoldersLivenessIsValid() {
    f.rootWithReplicas("a", "b");
    Lease lease = leases.acquire(f.db, rangeId, "a");
    byte[] metaVersion = metaVersion();
    byte[] record = rawLease();

    f.clock.advanceMillis(3000);
    NodeRecord a = f.heartbeat("a", 1); // the one write that keeps all of a's leases
    Lease renewed = leases.renew(f.db, rangeId, "a", 1);
    assertThat(renewed).isEqualTo(lease);
    assertThat(rawLease()).as("nothing written").isEqualTo(record);
    assertThat(metaVersion()).as("a renewal is not a routing change").isEqualTo(metaVersion);

    assertConflict(() -> leases.renew(f.db, rangeId, "b", 1), "does not hold");
    assertConflict(() -> leases.renew(f.db, rangeId, "a", 0), "does not hold");

    // valid only strictly before livenessExpiresAt - offset
    f.clock.set(a.livenessExpiresAt() - offsetMs);
    assertConflict(() -> leases.renew(f.db, rangeId, "a", 1), "whose liveness is LIVE");
    keepAlive("a"); // a heartbeat brings it back: it was never free for others
    assertThat(leases.renew(f.db, rangeId, "a", 1)).isEqualTo(lease);
  }

  /*
   * Online conversion of a store written by an older binary: its range leases carry their own
   * expiry. The holder keeps serving throughout; its next renewal (within one renewal interval)
   * turns the record into a liveness lease at the same epoch, without a routing change.
   */
  @Test
  void anOldExpiringLeaseIsConvertedToALivenessLeaseByItsNextRenewalAtTheSameEpoch() {
    f.rootWithReplicas("a", "b");
    leases.acquire(f.db, rangeId, "a");
    Lease old = new Lease("a", 1, Fixture.START + leaseMs, 1); // as an older binary wrote it
    f.db.run(
        tr -> {
          tr.set(f.ks.leaseKey(rangeId), old.encode());
          return null;
        });
    byte[] metaVersion = metaVersion();
    assertThat(old.isValidForHolder(f.clock.millis(), offsetMs, null)).isTrue();

    f.clock.advanceMillis(3000);
    keepAlive("a", "b");
    Lease converted = leases.renew(f.db, rangeId, "a", 1);

    assertThat(converted).isEqualTo(Lease.onLiveness("a", 1, 1));
    assertThat(leases.get(f.db, rangeId)).contains(converted);
    assertThat(metaVersion()).isEqualTo(metaVersion);
    // past the old expiry it is still a's: it now rides on a's liveness
    f.clock.set(old.expiresAt() + offsetMs + 1);
    keepAlive("a", "b");
    assertConflict(() -> leases.acquire(f.db, rangeId, "b"), "held by a");
    assertThat(leases.renew(f.db, rangeId, "a", 1)).isEqualTo(converted);
  }

  @Test
  void anOldExpiringLeaseIsFreeForOthersByTimeAsBefore() {
    f.rootWithReplicas("a", "b");
    leases.acquire(f.db, rangeId, "a");
    Lease old = new Lease("a", 1, Fixture.START + leaseMs, 1);
    f.db.run(
        tr -> {
          tr.set(f.ks.leaseKey(rangeId), old.encode());
          return null;
        });
    f.clock.set(old.expiresAt() + offsetMs + 1);
    keepAlive("a", "b");
    Lease b = leases.acquire(f.db, rangeId, "b");
    assertThat(b).isEqualTo(Lease.onLiveness("b", 2, 1));
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

    assertThat(moved).isEqualTo(Lease.onLiveness("b", 2, 1));
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

    // the old process may serve until the liveness it had when it was replaced ran out
    NodeRecord a = f.registry.get(f.db, "a").orElseThrow();
    assertThat(a.priorLivenessEnd()).isEqualTo(Fixture.START + f.config.livenessMillis());
    f.clock.set(a.priorLivenessEnd() + offsetMs);
    f.heartbeat("a", 2);
    assertConflict(() -> leases.acquire(f.db, rangeId, "a"), "previous process");
    f.clock.advanceMillis(1);
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
    assertThat(lease.ridesOnLiveness()).isTrue();
    f.clock.set(Fixture.START + f.config.livenessMillis()); // a's liveness is no longer valid
    keepAlive("b");
    assertConflict(() -> leases.transfer(f.db, rangeId, "a", 1, "b"), "liveness");
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

    f.clock.advanceMillis(f.config.livenessMillis() + offsetMs + 1);
    keepAlive("a");
    f.registry.markDead(f.db, "b", 1); // b's lease is free for others: b stopped serving
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
  void mergeOfHalvesLeasedToOneNodeTakesANewEpoch() {
    f.rootWithReplicas("a", "b");
    leases.acquire(f.db, rangeId, "a");
    RangeCatalog.SplitResult split = f.catalog.split(f.db, rangeId, new byte[] {'m'});
    f.clock.advanceMillis(1_000);
    leases.renew(f.db, split.right().rangeId(), "a", 1);

    RangeDescriptor merged = f.catalog.merge(f.db, split.left().rangeId(), split.right().rangeId());

    assertThat(leases.get(f.db, merged.rangeId())).contains(Lease.onLiveness("a", 2, 1));
    assertThat(merged.leaseholder()).isEqualTo("a");
    assertThat(merged.leaseEpoch()).isEqualTo(2);
    assertConflict(
        () -> leases.transfer(f.db, merged.rangeId(), "a", 1, "b"), "does not hold the lease");
    assertConflict(() -> leases.renew(f.db, merged.rangeId(), "a", 1), "does not hold the lease");
    f.clock.advance(Duration.ofMinutes(1)); // a stopped heartbeating but is not marked DEAD
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
      f.clock.advanceMillis(f.config.livenessMillis() + offsetMs + 1);
      f.registry.markDead(f.db, node, f.registry.get(f.db, node).orElseThrow().incarnation());
      f.register(node); // rejoins at a new incarnation
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

  /** Splits the root, replicated on a and b, at m and t: the ids of [, m), [m, t) and [t, ). */
  private long[] threeRangesOnAAndB() {
    f.rootWithReplicas("a", "b");
    RangeCatalog.SplitResult halves = f.catalog.split(f.db, rangeId, "m".getBytes(UTF_8));
    RangeCatalog.SplitResult quarters =
        f.catalog.split(f.db, halves.right().rangeId(), "t".getBytes(UTF_8));
    return new long[] {
      halves.left().rangeId(), quarters.left().rangeId(), quarters.right().rangeId()
    };
  }

  private long changelogEntries() {
    return f.db.read(tr -> tr.getRange(f.ks.changelogSubspace().range()).asList().join()).size();
  }

  private byte[] rawLease() {
    return f.db.read(tr -> tr.get(f.ks.leaseKey(rangeId)).join());
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
