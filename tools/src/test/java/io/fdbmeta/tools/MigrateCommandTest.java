package io.fdbmeta.tools;

import static org.assertj.core.api.Assertions.assertThat;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.tuple.Tuple;
import io.fdbmeta.embedded.EmbeddedFdb;
import io.fdbmeta.layer.CatalogImport;
import io.fdbmeta.layer.Keyspace;
import io.fdbmeta.layer.LayerConfig;
import io.fdbmeta.layer.NodeRecord;
import io.fdbmeta.layer.NodeRegistry;
import io.fdbmeta.layer.RangeCatalog;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fdbmeta migrate status | plan | run | abort} as a user types them, on an old cluster. */
class MigrateCommandTest {
  static final int RANGES = 300;

  @TempDir Path dir;

  /** A version-1 cluster as older binaries left it: leases with their own expiry, half expired. */
  private void oldCluster() {
    try (Database db = EmbeddedFdb.open(dir)) {
      Keyspace ks = Keyspace.open(db, "default");
      LayerConfig config = LayerConfig.defaults();
      new RangeCatalog(ks, config).init(db);
      long incarnation =
          new NodeRegistry(ks, config)
              .register(
                  db,
                  new NodeRegistry.Registration(
                      "n1",
                      "127.0.0.1:7000",
                      new NodeRecord.Locality("local", "z1", "r1"),
                      new NodeRecord.Capacity(1L << 40, 4)),
                  "token")
              .incarnation();
      List<CatalogImport.ImportedRange> ranges = new ArrayList<>();
      long now = System.currentTimeMillis();
      for (int i = 0; i < RANGES; i++)
        ranges.add(
            new CatalogImport.ImportedRange(
                10 + i,
                i == RANGES - 1
                    ? null
                    : String.format("k%04d", i + 1).getBytes(StandardCharsets.UTF_8),
                List.of("n1"),
                "n1",
                now + (i % 2 == 0 ? -60_000 : 60_000),
                incarnation));
      new CatalogImport(new RangeCatalog(ks, config)).importChunkAsync(db, ranges).join();
      db.run(
          tr -> {
            tr.set(ks.schemaVersionKey(), Tuple.from(1L).pack());
            return null;
          });
    }
  }

  private Cli fdbmeta(String... args) {
    List<String> all = new ArrayList<>(List.of("--embedded", dir.toString()));
    all.addAll(List.of(args));
    return Cli.run(all.toArray(String[]::new));
  }

  @Test
  void statusPlanRunStatusOnAnOldCluster() {
    oldCluster();
    Cli status = fdbmeta("migrate", "status");
    assertThat(status.exitCode()).as(status.err()).isZero();
    assertThat(status.out())
        .contains(
            "schema version 1 (this binary knows 1 to 2); pending: 2-lease-rides-on-liveness");

    Cli plan = fdbmeta("migrate", "plan");
    assertThat(plan.exitCode()).as(plan.err()).isZero();
    assertThat(plan.out())
        .containsPattern("2-lease-rides-on-liveness +1 +2 +" + RANGES + " +" + RANGES + " +0");

    Cli run = fdbmeta("migrate", "run");
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out())
        .contains("started 2-lease-rides-on-liveness")
        .contains("swapped: schema version 2 (" + RANGES + " records rewritten)")
        .contains("schema version 1 -> 2");

    Cli after = fdbmeta("migrate", "status");
    assertThat(after.out())
        .contains("schema version 2 (this binary knows 1 to 2); pending: none")
        .containsPattern("2-lease-rides-on-liveness +done +1 +" + RANGES);
    assertThat(fdbmeta("migrate", "run").out()).contains("nothing to migrate");
    assertThat(fdbmeta("migrate", "abort").out()).contains("no migration is under way");
    assertThat(fdbmeta("status").out()).containsPattern("initialised: +yes \\(schema version 2\\)");
  }

  @Test
  void aClusterNewerThanThisBinaryIsRefusedByEveryCommand() {
    assertThat(fdbmeta("init").exitCode()).isZero();
    try (Database db = EmbeddedFdb.open(dir)) {
      Keyspace ks = Keyspace.open(db, "default");
      db.run(
          tr -> {
            tr.set(ks.schemaVersionKey(), Tuple.from(3L).pack());
            return null;
          });
    }
    for (String[] command : new String[][] {{"status"}, {"ranges", "list"}, {"migrate", "run"}}) {
      Cli r = fdbmeta(command);
      assertThat(r.exitCode()).as(String.join(" ", command)).isEqualTo(1);
      assertThat(r.err())
          .contains("has metadata schema version 3, newer than this binary knows (up to 2)");
    }
  }
}
