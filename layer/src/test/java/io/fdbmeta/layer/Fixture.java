package io.fdbmeta.layer;

import static org.assertj.core.api.Assertions.assertThat;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.KeyValue;
import com.apple.foundationdb.tuple.Tuple;
import io.fdbmeta.embedded.EmbeddedFdb;
import io.fdbmeta.embedded.FaultPlan;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * An embedded database with a bootstrapped catalog, a node registry and leases on one fake clock.
 */
public final class Fixture implements AutoCloseable {
  public static final long START = 1_700_000_000_000L;
  public static final NodeRecord.Locality LOCALITY = new NodeRecord.Locality("r1", "z1", "rack1");
  public static final NodeRecord.Capacity CAPACITY = new NodeRecord.Capacity(1L << 40, 8);

  public final FakeClock clock = new FakeClock(START);
  public final LayerConfig config = LayerConfig.builder().clock(clock).build();
  public final Database db;
  public final Keyspace ks;
  public final RangeCatalog catalog;
  public final NodeRegistry registry;
  public final LeaseManager leases;
  public final RangeDescriptor root;

  public Fixture() {
    this(FaultPlan.none());
  }

  /** Faults apply to every commit, including set-up; the layer's retries must absorb them. */
  public Fixture(FaultPlan faults) {
    db = EmbeddedFdb.builder().faults(faults).build();
    ks = Keyspace.open(db, "test");
    catalog = new RangeCatalog(ks, config);
    registry = new NodeRegistry(ks, config);
    leases = new LeaseManager(catalog);
    root = catalog.bootstrapAsync(db).join();
  }

  public static NodeRegistry.Registration reg(String nodeId) {
    return new NodeRegistry.Registration(nodeId, nodeId + ":7000", LOCALITY, CAPACITY);
  }

  public NodeRecord register(String nodeId) {
    return registry.register(db, reg(nodeId), UUID.randomUUID().toString());
  }

  public NodeRecord heartbeat(String nodeId, long incarnation) {
    return registry.heartbeat(
        db, new NodeRegistry.Heartbeat(nodeId, incarnation, NodeRecord.Load.NONE, CAPACITY));
  }

  /** Registers the nodes and makes them replicas of the root range. */
  public RangeDescriptor rootWithReplicas(String... nodeIds) {
    RangeDescriptor d = root;
    for (String n : nodeIds) {
      register(n);
      d = catalog.addReplicaAsync(db, root.rangeId(), n, -1).join();
    }
    return d;
  }

  public RangeDescriptor range(long rangeId) {
    return catalog.get(db, rangeId).orElseThrow();
  }

  /** Every node has exactly one liveness entry, and it matches the record's status and expiry. */
  public void assertLivenessMatchesRecords() {
    List<KeyValue> nodes = db.read(tr -> tr.getRange(ks.nodes()).asList().join());
    List<KeyValue> entries =
        db.read(tr -> tr.getRange(ks.livenessSubspace().range()).asList().join());
    Map<String, Tuple> entryByNode = new HashMap<>();
    for (KeyValue kv : entries) {
      Tuple t = ks.livenessSubspace().unpack(kv.getKey());
      assertThat((Object) entryByNode.put(t.getString(2), t))
          .as("second liveness entry for %s", t.getString(2))
          .isNull();
    }
    assertThat(entryByNode).hasSameSizeAs(nodes);
    for (KeyValue kv : nodes) {
      NodeRecord n = NodeRecord.decode(kv.getValue());
      assertThat((Object) entryByNode.get(n.nodeId()))
          .as("liveness entry of %s", n)
          .isEqualTo(Tuple.from(n.status().name(), n.livenessExpiresAt(), n.nodeId()));
    }
  }

  @Override
  public void close() {
    db.close();
  }
}
