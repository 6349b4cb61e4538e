package io.fdbmeta.layer;

import static org.assertj.core.api.Assertions.assertThat;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.KeyValue;
import com.apple.foundationdb.tuple.Tuple;
import io.fdbmeta.embedded.EmbeddedFdb;
import io.fdbmeta.embedded.FaultPlan;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Random sequences of catalog operations against fdb-embedded with faults injected (1020, 1021
 * applied and dropped, 1007); after every step the catalog must tile the keyspace, generations must
 * never decrease, and the node index must agree with the descriptors. jqwik prints the seed of a
 * failing run; the fault plan's seed is part of the generated input.
 */
class CatalogPropertiesTest {
  private static final List<String> NODES = List.of("n1", "n2", "n3", "n4");

  sealed interface Op permits Split, Merge, AddReplica, RemoveReplica {}

  record Split(int rangeIndex, byte[] key) implements Op {}

  record Merge(int rangeIndex) implements Op {}

  record AddReplica(int rangeIndex, String node) implements Op {}

  record RemoveReplica(int rangeIndex, String node) implements Op {}

  @Provide
  Arbitrary<List<Op>> ops() {
    Arbitrary<Integer> index = Arbitraries.integers().between(0, 1000);
    Arbitrary<byte[]> key = Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(4);
    Arbitrary<String> node = Arbitraries.of(NODES);
    Arbitrary<Op> op =
        Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(5, Combinators.combine(index, key).as(Split::new)),
            net.jqwik.api.Tuple.of(2, index.map(Merge::new)),
            net.jqwik.api.Tuple.of(2, Combinators.combine(index, node).as(AddReplica::new)),
            net.jqwik.api.Tuple.of(1, Combinators.combine(index, node).as(RemoveReplica::new)));
    return op.list().ofMinSize(5).ofMaxSize(40);
  }

  @Property(tries = 25)
  void catalogInvariantsHoldUnderFaults(@ForAll("ops") List<Op> ops, @ForAll long faultSeed) {
    FaultPlan faults =
        FaultPlan.seeded(faultSeed)
            .notCommitted(0.05)
            .commitUnknownResultApplied(0.05)
            .commitUnknownResultDropped(0.05)
            .transactionTooOld(0.02)
            .build();
    try (Database db = EmbeddedFdb.builder().faults(faults).build()) {
      Keyspace ks = Keyspace.open(db, "prop");
      RangeCatalog catalog = new RangeCatalog(ks, LayerConfig.defaults());
      for (String n : NODES) writeLiveNode(db, ks, n);
      catalog.bootstrapAsync(db).join();
      Map<Long, Long> maxGeneration = new HashMap<>();
      for (Op op : ops) {
        List<RangeDescriptor> ranges = listAll(catalog, db);
        try {
          apply(op, ranges, catalog, db);
        } catch (MetaException refused) {
          // Split keys outside the range and merges of ranges with different replicas are refused.
          assertThat(refused.code())
              .isIn(MetaException.Code.INVALID_ARGUMENT, MetaException.Code.NOT_ALLOWED);
        }
        checkInvariants(listAll(catalog, db), maxGeneration, db, ks);
      }
    }
  }

  private static void apply(
      Op op, List<RangeDescriptor> ranges, RangeCatalog catalog, Database db) {
    if (op instanceof Split s) {
      RangeDescriptor r = ranges.get(s.rangeIndex() % ranges.size());
      catalog.split(db, r.rangeId(), s.key());
    } else if (op instanceof Merge m) {
      int i = m.rangeIndex() % ranges.size();
      if (i + 1 < ranges.size())
        catalog.merge(db, ranges.get(i).rangeId(), ranges.get(i + 1).rangeId());
    } else if (op instanceof AddReplica a) {
      FdbErrors.join(
          catalog.addReplicaAsync(
              db, ranges.get(a.rangeIndex() % ranges.size()).rangeId(), a.node(), -1));
    } else if (op instanceof RemoveReplica r) {
      FdbErrors.join(
          catalog.removeReplicaAsync(
              db, ranges.get(r.rangeIndex() % ranges.size()).rangeId(), r.node(), -1));
    }
  }

  private static void checkInvariants(
      List<RangeDescriptor> ranges, Map<Long, Long> maxGeneration, Database db, Keyspace ks) {
    RangeCatalogTest.assertTiles(ranges);
    for (RangeDescriptor r : ranges) {
      Long before = maxGeneration.put(r.rangeId(), r.generation());
      assertThat(before == null || before <= r.generation())
          .as("generation of %s never decreases", r.rangeId())
          .isTrue();
    }
    Set<String> expected = new HashSet<>();
    for (RangeDescriptor r : ranges) {
      for (String n : r.replicas()) expected.add(n + "/" + r.rangeId());
    }
    Set<String> indexed = new HashSet<>();
    List<KeyValue> rows =
        db.read(tr -> tr.getRange(ks.rangeByNodeSubspace().range()).asList().join());
    for (KeyValue kv : rows) {
      Tuple t = ks.rangeByNodeSubspace().unpack(kv.getKey());
      indexed.add(t.getString(0) + "/" + t.getLong(1));
    }
    assertThat(indexed).as("range_by_node agrees with descriptors").isEqualTo(expected);
  }

  static List<RangeDescriptor> listAll(RangeCatalog catalog, Database db) {
    List<RangeDescriptor> out = new ArrayList<>();
    byte[] cursor = null;
    do {
      Page<RangeDescriptor> page = catalog.list(db, cursor, 100);
      out.addAll(page.items());
      cursor = page.nextCursor();
    } while (cursor != null);
    return out;
  }

  static void writeLiveNode(Database db, Keyspace ks, String id) {
    NodeRecord n =
        new NodeRecord(
            id,
            "127.0.0.1:1",
            new NodeRecord.Locality("r", "z-" + id, "k-" + id),
            new NodeRecord.Capacity(1, 1),
            NodeRecord.Load.NONE,
            NodeStatus.LIVE,
            1,
            Long.MAX_VALUE);
    db.run(
        tr -> {
          tr.set(ks.nodeKey(id), n.encode());
          return null;
        });
  }
}
