package io.fdbmeta.layer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class NodeRegistryTest {
  private final Fixture f = new Fixture();
  private final NodeRegistry registry = f.registry;

  @AfterEach
  void close() {
    f.close();
  }

  @Test
  void registerCreatesLiveNodeAtIncarnationOne() {
    NodeRecord n = registry.register(f.db, Fixture.reg("n1"), "token-a");

    assertThat(n.status()).isEqualTo(NodeStatus.LIVE);
    assertThat(n.incarnation()).isEqualTo(1);
    assertThat(n.livenessExpiresAt()).isEqualTo(Fixture.START + f.config.livenessMillis());
    assertThat(registry.get(f.db, "n1")).contains(n);
    f.assertLivenessMatchesRecords();
  }

  @Test
  void addRefusesATakenIdButAcceptsItsOwnRetry() {
    NodeRecord added = registry.add(f.db, Fixture.reg("n1"), "token-a");
    assertThat(registry.add(f.db, Fixture.reg("n1"), "token-a"))
        .as("retry with the same token")
        .isEqualTo(added);
    assertThatThrownBy(() -> registry.add(f.db, Fixture.reg("n1"), "token-b"))
        .isInstanceOf(MetaException.class)
        .hasMessageContaining("node already exists")
        .satisfies(
            e ->
                assertThat(((MetaException) e).code())
                    .isEqualTo(MetaException.Code.CONFLICTING_OPERATION));
    assertThat(registry.get(f.db, "n1")).contains(added);
    f.assertLivenessMatchesRecords();
  }

  @Test
  void sameTokenIsTheSameRegistrationAndNewTokenIsANewIncarnation() {
    NodeRecord first = registry.register(f.db, Fixture.reg("n1"), "token-a");
    f.clock.advanceMillis(1000);

    assertThat(registry.register(f.db, Fixture.reg("n1"), "token-a")).isEqualTo(first);
    NodeRecord second = registry.register(f.db, Fixture.reg("n1"), "token-b");

    assertThat(second.incarnation()).isEqualTo(2);
    assertThat(second.processToken()).isEqualTo("token-b");
    assertThat(second.livenessExpiresAt())
        .isEqualTo(Fixture.START + 1000 + f.config.livenessMillis());
    f.assertLivenessMatchesRecords();
  }

  @Test
  void heartbeatMovesTheLivenessEntryAndRecordsLoad() {
    registry.register(f.db, Fixture.reg("n1"), "t");
    f.clock.advanceMillis(3000);
    NodeRecord.Load load = new NodeRecord.Load(12, 340.5, 1 << 20, 1.5);
    NodeRecord.Capacity bigger = new NodeRecord.Capacity(2L << 40, 16);

    NodeRecord n = registry.heartbeat(f.db, new NodeRegistry.Heartbeat("n1", 1, load, bigger));

    assertThat(n.livenessExpiresAt()).isEqualTo(Fixture.START + 3000 + f.config.livenessMillis());
    assertThat(n.load()).isEqualTo(load);
    assertThat(n.capacity()).isEqualTo(bigger);
    assertThat(registry.get(f.db, "n1")).contains(n);
    f.assertLivenessMatchesRecords();
  }

  @Test
  void heartbeatFromAReplacedProcessIsRejected() {
    registry.register(f.db, Fixture.reg("n1"), "old");
    registry.register(f.db, Fixture.reg("n1"), "new");

    assertThatThrownBy(() -> f.heartbeat("n1", 1))
        .isInstanceOfSatisfying(
            MetaException.class,
            e -> {
              assertThat(e.code()).isEqualTo(MetaException.Code.STALE_GENERATION);
              assertThat(e.nodeId()).isEqualTo("n1");
            })
        .hasMessageContaining("incarnation 1")
        .hasMessageContaining("incarnation 2 is registered");
    assertThat(f.heartbeat("n1", 2).incarnation()).isEqualTo(2);
  }

  @Test
  void heartbeatOfUnknownNodeSaysSo() {
    assertThatThrownBy(() -> f.heartbeat("ghost", 1))
        .isInstanceOfSatisfying(
            MetaException.class,
            e -> assertThat(e.code()).isEqualTo(MetaException.Code.UNKNOWN_NODE))
        .hasMessageContaining("ghost");
  }

  @Test
  void decommissionedNodeCannotHeartbeatOrRegisterAgain() {
    f.register("n1");
    NodeRecord d = registry.decommission(f.db, "n1");
    assertThat(d.status()).isEqualTo(NodeStatus.DECOMMISSIONED);
    assertThat(registry.decommission(f.db, "n1")).isEqualTo(d);

    assertThatThrownBy(() -> f.heartbeat("n1", 1))
        .isInstanceOfSatisfying(
            MetaException.class,
            e -> assertThat(e.code()).isEqualTo(MetaException.Code.NOT_ALLOWED))
        .hasMessageContaining("DECOMMISSIONED");
    assertThatThrownBy(() -> f.register("n1"))
        .isInstanceOfSatisfying(
            MetaException.class,
            e -> assertThat(e.code()).isEqualTo(MetaException.Code.NOT_ALLOWED));
    f.assertLivenessMatchesRecords();
  }

  @Test
  void decommissionRefusesANodeThatHoldsReplicas() {
    f.rootWithReplicas("n1");

    assertThatThrownBy(() -> registry.decommission(f.db, "n1"))
        .isInstanceOfSatisfying(
            MetaException.class,
            e -> assertThat(e.code()).isEqualTo(MetaException.Code.NOT_ALLOWED))
        .hasMessageContaining("range " + Ids.ROOT_RANGE_ID);
  }

  @Test
  void drainKeepsHeartbeatingAndSurvivesARestart() {
    f.register("n1");
    assertThat(registry.drain(f.db, "n1").status()).isEqualTo(NodeStatus.DRAINING);
    assertThat(registry.drain(f.db, "n1").status()).isEqualTo(NodeStatus.DRAINING);
    assertThat(f.heartbeat("n1", 1).status()).isEqualTo(NodeStatus.DRAINING);

    NodeRecord restarted = f.register("n1");

    assertThat(restarted.status()).isEqualTo(NodeStatus.DRAINING);
    assertThat(restarted.incarnation()).isEqualTo(2);
    f.assertLivenessMatchesRecords();
  }

  @Test
  void listPagesThroughAllNodes() {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 7; i++) ids.add(f.register("n" + i).nodeId());

    List<String> seen = new ArrayList<>();
    byte[] cursor = null;
    int pages = 0;
    do {
      Page<NodeRecord> page = registry.list(f.db, cursor, 3);
      page.items().forEach(n -> seen.add(n.nodeId()));
      cursor = page.nextCursor();
      pages++;
    } while (cursor != null);

    assertThat(seen).containsExactlyElementsOf(ids);
    assertThat(pages).isEqualTo(3);
  }

  @Test
  void expiredFindsOnlyNodesPastExpiryPlusOffset() {
    f.register("early");
    f.clock.advanceMillis(1000);
    f.register("late");
    long earlyExpiry = Fixture.START + f.config.livenessMillis();

    // at expiresAt + offset the node is not yet expired; one millisecond later it is
    assertThat(registry.expired(f.db, earlyExpiry + f.config.maxClockOffsetMillis(), 10)).isEmpty();
    assertThat(registry.expired(f.db, earlyExpiry + f.config.maxClockOffsetMillis() + 1, 10))
        .extracting(NodeRecord::nodeId)
        .containsExactly("early");
    assertThat(registry.expired(f.db, earlyExpiry + 10_000, 10))
        .extracting(NodeRecord::nodeId)
        .containsExactly("early", "late");
    assertThat(registry.expired(f.db, earlyExpiry + 10_000, 1))
        .extracting(NodeRecord::nodeId)
        .containsExactly("early");
  }

  @Test
  void expiredReadsOnlyExpiredLivenessEntries() {
    int total = 500;
    int expired = 20;
    for (int i = 0; i < total; i++) {
      f.register(String.format("n%04d", i));
      if (i == expired - 1)
        f.clock.advance(Duration.ofSeconds(30)); // the first 20 expire long before the rest
    }
    long now = Fixture.START + f.config.livenessMillis() + 5_000;
    CountingReads counting = new CountingReads(f.db);

    List<NodeRecord> found = registry.expired(counting, now, 1000);

    assertThat(found).hasSize(expired);
    // the range reads returned exactly the expired entries (LIVE + DRAINING scans), not the 480
    // live ones
    assertThat(counting.rangeRows).hasSize(expired);
    for (byte[] key : counting.rangeRows) {
      assertThat(f.ks.livenessSubspace().unpack(key).getLong(1))
          .isLessThan(now - f.config.maxClockOffsetMillis());
    }
  }

  @Test
  void expiredIncludesDrainingNodesButNotDeadOnes() {
    f.register("live");
    f.register("draining");
    f.register("dead");
    registry.drain(f.db, "draining");
    f.clock.advance(Duration.ofSeconds(20));
    registry.markDead(f.db, "dead", 1);

    assertThat(registry.expired(f.db, f.clock.millis(), 10))
        .extracting(NodeRecord::nodeId)
        .containsExactly("live", "draining");
  }

  @Test
  void markDeadMovesTheEntryAndIsIdempotent() {
    f.register("n1");
    f.clock.advance(Duration.ofSeconds(20));

    NodeRecord dead = registry.markDead(f.db, "n1", 1);

    assertThat(dead.status()).isEqualTo(NodeStatus.DEAD);
    assertThat(registry.markDead(f.db, "n1", 1)).isEqualTo(dead);
    assertThat(registry.expired(f.db, f.clock.millis(), 10)).isEmpty();
    f.assertLivenessMatchesRecords();
    assertThatThrownBy(() -> f.heartbeat("n1", 1))
        .isInstanceOfSatisfying(
            MetaException.class,
            e -> assertThat(e.code()).isEqualTo(MetaException.Code.NOT_ALLOWED))
        .hasMessageContaining("register again");

    NodeRecord back = f.register("n1");
    assertThat(back.status()).isEqualTo(NodeStatus.LIVE);
    assertThat(back.incarnation()).isEqualTo(2);
    f.assertLivenessMatchesRecords();
  }

  @Test
  void markDeadLosesToAHeartbeatOrARestart() {
    f.register("n1");
    f.clock.advance(Duration.ofSeconds(20));
    f.heartbeat("n1", 1);

    assertThatThrownBy(() -> registry.markDead(f.db, "n1", 1))
        .isInstanceOfSatisfying(
            MetaException.class,
            e -> assertThat(e.code()).isEqualTo(MetaException.Code.CONFLICTING_OPERATION));

    f.clock.advance(Duration.ofSeconds(20));
    f.register("n1");
    assertThatThrownBy(() -> registry.markDead(f.db, "n1", 1))
        .isInstanceOfSatisfying(
            MetaException.class,
            e -> assertThat(e.code()).isEqualTo(MetaException.Code.STALE_GENERATION));
    assertThatThrownBy(() -> registry.markDead(f.db, "nobody", 1))
        .isInstanceOfSatisfying(
            MetaException.class,
            e -> assertThat(e.code()).isEqualTo(MetaException.Code.UNKNOWN_NODE));
  }

  @Test
  void badArgumentsAreRejectedUpFront() {
    assertThatThrownBy(() -> Fixture.reg("bad id"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("node id");
    assertThatThrownBy(() -> registry.register(f.db, Fixture.reg("n1"), ""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("token");
    assertThatThrownBy(() -> registry.list(f.db, null, 0))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
