package io.fdbmeta.layer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.apple.foundationdb.tuple.Versionstamp;
import io.fdbmeta.embedded.FaultPlan;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

class CatalogImportTest {
  static byte[] key(int i) {
    return String.format("k%05d", i).getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void importsRangesWithReplicasAndLeasesInChunksAndARetriedChunkCountsOnce() {
    try (Fixture f = new Fixture()) {
      for (String n : List.of("a", "b", "c")) f.register(n);
      CatalogImport importer = new CatalogImport(f.catalog);
      List<CatalogImport.ImportedRange> all = new ArrayList<>();
      for (int i = 0; i < 25; i++) {
        all.add(
            new CatalogImport.ImportedRange(
                1000 + i,
                i == 24 ? null : key(i + 1),
                List.of("a", "b", "c"),
                List.of("a", "b", "c").get(i % 3),
                f.clock.millis() + 9_000,
                1));
      }
      importer.importChunkAsync(f.db, all.subList(0, 10)).join();
      importer
          .importChunkAsync(f.db, all.subList(0, 10))
          .join(); // a retry after commit_unknown_result
      importer.importChunkAsync(f.db, all.subList(10, 25)).join();
      List<RangeDescriptor> ranges = f.catalog.list(f.db, null, 100).items();
      assertThat(ranges).hasSize(25);
      byte[] start = new byte[0];
      for (int i = 0; i < 25; i++) {
        RangeDescriptor d = ranges.get(i);
        assertThat(d.startKey()).isEqualTo(start);
        assertThat(d.rangeId()).isEqualTo(1000 + i);
        assertThat(d.replicas()).containsExactly("a", "b", "c");
        assertThat(f.leases.get(f.db, d.rangeId()).orElseThrow().holder())
            .isEqualTo(d.leaseholder());
        start = d.endKey();
      }
      assertThat(start).isNull();
      assertThat(f.catalog.rangesOfNode(f.db, "a")).hasSize(25);
      assertThat(f.catalog.get(f.db, Ids.ROOT_RANGE_ID)).isEmpty();
      assertThat(f.catalog.lookup(f.db, key(7)).rangeId()).isEqualTo(1007);
    }
  }

  @Test
  void aBulkImportLogsNoEntryPerRangeButMovesTheFloorPastItsCommitSoFollowersReload() {
    try (Fixture f = new Fixture()) {
      f.register("a");
      var reader = new io.fdbmeta.layer.route.ChangelogReader(f.ks);
      var before = reader.readAfterAsync(f.db, null, 1_000).join();
      List<CatalogImport.ImportedRange> chunk = new ArrayList<>();
      for (int i = 0; i < 5; i++)
        chunk.add(
            new CatalogImport.ImportedRange(
                2000 + i, i == 4 ? null : key(i + 1), List.of("a"), "a", 0, 1));
      new CatalogImport(f.catalog).importChunkAsync(f.db, chunk).join();

      var after = reader.readAfterAsync(f.db, null, 1_000).join();
      assertThat(after.entries()).isEqualTo(before.entries());
      // a follower at the newest position before the import is behind the floor: it reloads
      Versionstamp last =
          before.entries().isEmpty()
              ? Versionstamps.ORIGIN
              : before.entries().get(before.entries().size() - 1).position();
      assertThat(after.floor()).isGreaterThan(last);
      byte[] metaVersion = f.db.read(tr -> tr.get(f.ks.metaVersionKey())).join();
      assertThat(after.floor().getTransactionVersion()).isEqualTo(metaVersion);
    }
  }

  @Test
  void chunksRetriedAfterCommitUnknownResultAndConflictsImportExactlyOnce() {
    for (long seed = 1; seed <= 5; seed++) {
      try (Fixture f =
          new Fixture(
              FaultPlan.seeded(seed)
                  .commitUnknownResultApplied(0.2)
                  .commitUnknownResultDropped(0.1)
                  .notCommitted(0.1)
                  .build())) {
        for (String n : List.of("a", "b", "c")) f.register(n);
        CatalogImport importer = new CatalogImport(f.catalog);
        for (int c = 0; c < 5; c++) {
          List<CatalogImport.ImportedRange> chunk = new ArrayList<>();
          for (int i = c * 5; i < c * 5 + 5; i++)
            chunk.add(
                new CatalogImport.ImportedRange(
                    1000 + i, i == 24 ? null : key(i + 1), List.of("a", "b", "c"), "b", 0, 1));
          importer.importChunkAsync(f.db, chunk).join();
        }
        List<RangeDescriptor> ranges = f.catalog.list(f.db, null, 100).items();
        assertThat(ranges).extracting(RangeDescriptor::rangeId).as("seed %d", seed).hasSize(25);
        for (int i = 0; i < 25; i++) {
          assertThat(ranges.get(i).rangeId()).isEqualTo(1000 + i);
          assertThat(ranges.get(i).generation()).isEqualTo(1);
        }
        assertThat(f.catalog.rangesOfNode(f.db, "b")).hasSize(25);
      }
    }
  }

  @Test
  void refusesACatalogThatIsNotFresh() {
    try (Fixture f = new Fixture()) {
      f.rootWithReplicas("a");
      CatalogImport importer = new CatalogImport(f.catalog);
      assertThatThrownBy(
              () ->
                  importer
                      .importChunkAsync(
                          f.db,
                          List.of(
                              new CatalogImport.ImportedRange(
                                  5000, null, List.of("a"), null, 0, 1)))
                      .join())
          .isInstanceOf(CompletionException.class)
          .hasMessageContaining("fresh catalog");
    }
  }
}
