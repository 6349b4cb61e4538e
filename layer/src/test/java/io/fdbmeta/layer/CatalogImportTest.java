package io.fdbmeta.layer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
