package io.fdbmeta.layer;

import static org.assertj.core.api.Assertions.assertThat;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.KeyValue;
import com.apple.foundationdb.tuple.Versionstamp;
import io.fdbmeta.embedded.EmbeddedFdb;
import io.fdbmeta.layer.route.RouteFixtures;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ChangelogTrimmerTest {
  @Test
  void keepsRetentionNewestEntriesAndAdvancesFloorInBoundedBatches() {
    try (Database db = EmbeddedFdb.inMemory()) {
      Keyspace ks = Keyspace.open(db, "test");
      LayerConfig config = LayerConfig.builder().changelogRetention(10).build();
      RangeCatalog catalog = new RangeCatalog(ks, config);
      catalog.bootstrapAsync(db).join();
      Random rnd = new Random(1);
      while (entries(db, ks).size() < 40) RouteFixtures.randomSplit(db, catalog, rnd, 10_000);
      List<KeyValue> before = entries(db, ks);
      ChangelogTrimmer trimmer = new ChangelogTrimmer(ks, config);

      assertThat(trimmer.trimBatchAsync(db, 7).join()).isEqualTo(7); // bounded
      assertThat(floor(db, ks)).isEqualTo(position(ks, before.get(6)));

      long rest = trimmer.trimAsync(db, 4, db.getExecutor()).join();
      assertThat(rest).isEqualTo(before.size() - 10 - 7);
      List<KeyValue> after = entries(db, ks);
      assertThat(after).hasSize(10);
      assertThat(position(ks, after.get(0)))
          .isEqualTo(position(ks, before.get(before.size() - 10)));
      assertThat(floor(db, ks)).isEqualTo(position(ks, before.get(before.size() - 11)));
      assertThat(trimmer.trim(db)).isZero(); // within retention: nothing to do, floor unchanged
      assertThat(floor(db, ks)).isEqualTo(position(ks, before.get(before.size() - 11)));
    }
  }

  private static List<KeyValue> entries(Database db, Keyspace ks) {
    return db.read(tr -> tr.getRange(ks.changelogRange()).asList().join());
  }

  private static Versionstamp floor(Database db, Keyspace ks) {
    return Versionstamps.decodePosition(db.read(tr -> tr.get(ks.changelogFloorKey()).join()));
  }

  private static Versionstamp position(Keyspace ks, KeyValue kv) {
    return Versionstamps.position(ks.changelogSubspace(), kv.getKey());
  }
}
