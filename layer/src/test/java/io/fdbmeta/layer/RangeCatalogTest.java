package io.fdbmeta.layer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.apple.foundationdb.Database;
import io.fdbmeta.embedded.EmbeddedFdb;
import io.fdbmeta.embedded.FaultPlan;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RangeCatalogTest {
  private Database db = EmbeddedFdb.inMemory();
  private final LayerConfig config = LayerConfig.defaults();

  @AfterEach
  void close() {
    db.close();
  }

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private RangeCatalog catalog() {
    return new RangeCatalog(Keyspace.open(db, "test"), config);
  }

  private static List<RangeDescriptor> all(RangeCatalog catalog, Database db) {
    List<RangeDescriptor> out = new ArrayList<>();
    byte[] cursor = null;
    do {
      Page<RangeDescriptor> page = catalog.list(db, cursor, 2);
      out.addAll(page.items());
      cursor = page.nextCursor();
    } while (cursor != null);
    return out;
  }

  /**
   * Ranges tile the keyspace: the first starts at "", each starts where the previous ended, the
   * last is unbounded.
   */
  static void assertTiles(List<RangeDescriptor> ranges) {
    assertThat(ranges).isNotEmpty();
    assertThat(ranges.get(0).startKey()).isEmpty();
    for (int i = 1; i < ranges.size(); i++) {
      assertThat(ranges.get(i).startKey())
          .as("range %d starts where %d ends", i, i - 1)
          .isEqualTo(ranges.get(i - 1).endKey());
    }
    assertThat(ranges.get(ranges.size() - 1).endKey()).isNull();
  }

  @Test
  void bootstrapIsIdempotentAndCoversEverything() {
    RangeCatalog catalog = catalog();
    RangeDescriptor root = catalog.bootstrapAsync(db).join();
    assertThat(catalog.bootstrapAsync(db).join()).isEqualTo(root);
    assertThat(catalog.lookup(db, new byte[0])).isEqualTo(root);
    assertThat(catalog.lookup(db, new byte[] {(byte) 0xff, (byte) 0xff, 0})).isEqualTo(root);
    assertTiles(all(catalog, db));
  }

  @Test
  void lookupBeforeInitSaysSo() {
    assertThatThrownBy(() -> catalog().lookup(db, b("k")))
        .isInstanceOf(MetaException.class)
        .hasMessageContaining("run init first")
        .satisfies(
            e ->
                assertThat(((MetaException) e).code())
                    .isEqualTo(MetaException.Code.NOT_BOOTSTRAPPED));
  }

  @Test
  void splitsReplaceTheParentWithTwoChildrenOfTheNextGeneration() {
    RangeCatalog catalog = catalog();
    RangeDescriptor root = catalog.bootstrapAsync(db).join();
    RangeCatalog.SplitResult s1 = catalog.split(db, root.rangeId(), b("m"));
    assertThat(s1.left().generation()).isEqualTo(root.generation() + 1);
    assertThat(s1.left().endKey()).isEqualTo(b("m"));
    assertThat(s1.right().startKey()).isEqualTo(b("m"));
    assertThat(catalog.get(db, root.rangeId())).isEmpty();
    RangeCatalog.SplitResult s2 = catalog.split(db, s1.left().rangeId(), b("c"));
    assertThat(catalog.lookup(db, b("b"))).isEqualTo(s2.left());
    assertThat(catalog.lookup(db, b("c"))).isEqualTo(s2.right());
    assertThat(catalog.lookup(db, b("l\u00ff"))).isEqualTo(s2.right());
    assertThat(catalog.lookup(db, b("m"))).isEqualTo(s1.right());
    assertThat(catalog.get(db, s2.right().rangeId())).contains(s2.right());
    assertTiles(all(catalog, db));
    assertThat(all(catalog, db)).hasSize(3);
  }

  @Test
  void splitKeysOutsideTheRangeAreRejected() {
    RangeCatalog catalog = catalog();
    RangeDescriptor root = catalog.bootstrapAsync(db).join();
    RangeCatalog.SplitResult s = catalog.split(db, root.rangeId(), b("m"));
    assertThatThrownBy(() -> catalog.split(db, s.right().rangeId(), b("a")))
        .isInstanceOf(MetaException.class)
        .hasMessageContaining("strictly inside")
        .satisfies(
            e ->
                assertThat(((MetaException) e).code())
                    .isEqualTo(MetaException.Code.INVALID_ARGUMENT));
    assertThatThrownBy(() -> catalog.split(db, s.right().rangeId(), b("m")))
        .isInstanceOf(MetaException.class);
    assertThatThrownBy(() -> catalog.split(db, 999, b("q")))
        .isInstanceOf(MetaException.class)
        .satisfies(
            e ->
                assertThat(((MetaException) e).code()).isEqualTo(MetaException.Code.UNKNOWN_RANGE));
    assertThatThrownBy(() -> catalog.split(db, s.right().rangeId(), new byte[9000]))
        .isInstanceOf(MetaException.class)
        .hasMessageContaining("exceeds");
    assertThat(all(catalog, db)).hasSize(2);
  }

  @Test
  void aSplitPreparedOnAStaleGenerationAbortsAndChangesNothing() {
    RangeCatalog catalog = catalog();
    RangeDescriptor root = catalog.bootstrapAsync(db).join();
    String op = Ids.newOpId();
    catalog
        .prepareSplitAsync(db, op, root.rangeId(), b("m"), -1, Ids.newRangeId(), Ids.newRangeId())
        .join();
    registerLiveNode("n1");
    catalog
        .addReplicaAsync(db, root.rangeId(), "n1", -1)
        .join(); // generation moves on between the phases
    assertThatThrownBy(() -> FdbErrors.join(catalog.commitSplitAsync(db, op)))
        .isInstanceOf(MetaException.class)
        .satisfies(
            e ->
                assertThat(((MetaException) e).code())
                    .isEqualTo(MetaException.Code.STALE_GENERATION));
    assertThat(all(catalog, db)).hasSize(1);
    assertThatThrownBy(() -> FdbErrors.join(catalog.commitSplitAsync(db, op)))
        .hasMessageContaining("aborted");
  }

  /*
   * Regression (found by LayerPropertiesTest): when the commit that aborted a split came back with
   * commit_unknown_result, the retried body found the op ABORTED and failed with
   * CONFLICTING_OPERATION, not the STALE_GENERATION a fault-free run gives.
   */
  @Test
  void commitSplitOfAnAbortedOpSaysStaleGenerationAgainAsARetriedCommitWould() {
    RangeCatalog catalog = catalog();
    RangeDescriptor root = catalog.bootstrapAsync(db).join();
    String op = Ids.newOpId();
    catalog
        .prepareSplitAsync(db, op, root.rangeId(), b("m"), -1, Ids.newRangeId(), Ids.newRangeId())
        .join();
    registerLiveNode("n1");
    catalog.addReplicaAsync(db, root.rangeId(), "n1", -1).join();
    for (int run = 0; run < 2; run++) {
      assertThatThrownBy(() -> FdbErrors.join(catalog.commitSplitAsync(db, op)))
          .isInstanceOfSatisfying(
              MetaException.class,
              e -> assertThat(e.code()).isEqualTo(MetaException.Code.STALE_GENERATION))
          .hasMessageContaining("aborted: parent generation is 2, split prepared at 1");
    }
  }

  @Test
  void splitManyCutsOneRangeAtEveryKeyInOneCommit() {
    RangeCatalog catalog = catalog();
    RangeDescriptor root = catalog.bootstrapAsync(db).join();
    List<byte[]> keys = List.of(b("c"), b("f"), b("k"));
    List<Long> ids = List.of(11L + 1000, 12L + 1000, 13L + 1000, 14L + 1000);
    String op = Ids.newOpId();
    List<RangeDescriptor> children =
        catalog.splitManyAsync(db, op, root.rangeId(), keys, ids).join();
    assertThat(children).extracting(RangeDescriptor::rangeId).containsExactlyElementsOf(ids);
    assertThat(catalog.splitManyAsync(db, op, root.rangeId(), keys, ids).join())
        .as("retry returns the same children")
        .isEqualTo(children);
    assertThat(all(catalog, db)).isEqualTo(children);
    assertTiles(children);
    assertThat(catalog.lookup(db, b("g"))).isEqualTo(children.get(2));
    assertThatThrownBy(
            () ->
                catalog.splitManyAsync(
                    db,
                    Ids.newOpId(),
                    children.get(0).rangeId(),
                    List.of(b("b"), b("a")),
                    List.of(1L, 2L, 3L)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("strictly increasing");
    assertThatThrownBy(
            () ->
                FdbErrors.join(
                    catalog.splitManyAsync(
                        db,
                        Ids.newOpId(),
                        children.get(0).rangeId(),
                        List.of(b("x")),
                        List.of(5001L, 5002L))))
        .hasMessageContaining("strictly inside");
  }

  @Test
  void mergeJoinsAdjacentRangesWithTheSameReplicas() {
    RangeCatalog catalog = catalog();
    RangeDescriptor root = catalog.bootstrapAsync(db).join();
    RangeCatalog.SplitResult s = catalog.split(db, root.rangeId(), b("m"));
    RangeCatalog.SplitResult s2 = catalog.split(db, s.right().rangeId(), b("t"));
    assertThatThrownBy(() -> catalog.merge(db, s.left().rangeId(), s2.right().rangeId()))
        .hasMessageContaining("not adjacent");
    RangeDescriptor merged = catalog.merge(db, s.left().rangeId(), s2.left().rangeId());
    assertThat(merged.rangeId()).isEqualTo(s.left().rangeId());
    assertThat(merged.endKey()).isEqualTo(b("t"));
    assertThat(catalog.lookup(db, b("p"))).isEqualTo(merged);
    assertThat(catalog.get(db, s2.left().rangeId())).isEmpty();
    assertTiles(all(catalog, db));
  }

  @Test
  void replicaChangesMaintainTheNodeIndex() {
    RangeCatalog catalog = catalog();
    RangeDescriptor root = catalog.bootstrapAsync(db).join();
    registerLiveNode("n1");
    registerLiveNode("n2");
    catalog.addReplicaAsync(db, root.rangeId(), "n1", -1).join();
    RangeDescriptor two = catalog.addReplicaAsync(db, root.rangeId(), "n2", -1).join();
    assertThat(two.replicas()).containsExactly("n1", "n2");
    assertThat(two.generation()).isEqualTo(root.generation() + 2);
    assertThat(catalog.addReplicaAsync(db, root.rangeId(), "n2", -1).join())
        .as("idempotent")
        .isEqualTo(two);
    RangeCatalog.SplitResult s = catalog.split(db, root.rangeId(), b("k"));
    assertThat(catalog.rangesOfNode(db, "n1"))
        .extracting(RangeCatalog.Assignment::rangeId)
        .containsExactlyInAnyOrder(s.left().rangeId(), s.right().rangeId());
    catalog.removeReplicaAsync(db, s.left().rangeId(), "n1", -1).join();
    assertThat(catalog.rangesOfNode(db, "n1"))
        .extracting(RangeCatalog.Assignment::rangeId)
        .containsExactly(s.right().rangeId());
    assertThatThrownBy(
            () -> FdbErrors.join(catalog.addReplicaAsync(db, s.left().rangeId(), "ghost", -1)))
        .hasMessageContaining("no such node");
    assertThatThrownBy(
            () -> FdbErrors.join(catalog.addReplicaAsync(db, s.left().rangeId(), "n1", 1)))
        .satisfies(
            e ->
                assertThat(((MetaException) e).code())
                    .isEqualTo(MetaException.Code.STALE_GENERATION));
  }

  @Test
  void splitsAndMergesApplyOnceUnderCommitUnknownResult() {
    db.close();
    db =
        EmbeddedFdb.builder()
            .faults(
                FaultPlan.seeded(7)
                    .commitUnknownResultApplied(0.3)
                    .commitUnknownResultDropped(0.2)
                    .notCommitted(0.1)
                    .build())
            .build();
    RangeCatalog catalog = catalog();
    RangeDescriptor root = catalog.bootstrapAsync(db).join();
    long id = root.rangeId();
    for (int i = 0; i < 20; i++) {
      RangeCatalog.SplitResult s = catalog.split(db, id, new byte[] {(byte) (10 + i * 10)});
      id = s.right().rangeId();
    }
    List<RangeDescriptor> ranges = all(catalog, db);
    assertTiles(ranges);
    assertThat(ranges).hasSize(21);
    assertThat(ranges).allSatisfy(r -> assertThat(r.generation()).isLessThanOrEqualTo(21));
  }

  private void registerLiveNode(String id) {
    Keyspace ks = Keyspace.open(db, "test");
    NodeRecord n =
        new NodeRecord(
            id,
            "127.0.0.1:1",
            new NodeRecord.Locality("r", "z", "k"),
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
