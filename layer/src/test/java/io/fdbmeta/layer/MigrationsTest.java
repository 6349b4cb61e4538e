package io.fdbmeta.layer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.apple.foundationdb.KeyValue;
import io.fdbmeta.embedded.FaultPlan;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Online migrations ({@link Migrations}) with the lease migration of schema 1 to 2: a catalog of
 * old-form leases of every kind, run to the swap, killed and resumed at random steps, aborted, and
 * against faults.
 */
class MigrationsTest {
  static final int RANGES = 5_000;
  static final String[] NODES = {"a", "b", "c"};

  /**
   * Builds a version-1 catalog: every fifth lease expired, every seventh held with no incarnation.
   */
  private static Map<Long, Lease> oldCatalog(Fixture f) {
    Map<String, Long> incarnation = new LinkedHashMap<>();
    for (String n : NODES) incarnation.put(n, f.register(n).incarnation());
    CatalogImport importer = new CatalogImport(f.catalog);
    List<CatalogImport.ImportedRange> chunk = new ArrayList<>();
    for (int i = 0; i < RANGES; i++) {
      String holder = NODES[i % 3];
      long expires = f.clock.millis() + (i % 5 == 0 ? -60_000 : 9_000);
      chunk.add(
          new CatalogImport.ImportedRange(
              100 + i,
              i == RANGES - 1 ? null : key(i + 1),
              List.of(NODES),
              holder,
              expires,
              i % 7 == 0 ? 0 : incarnation.get(holder)));
      if (chunk.size() == 1000) {
        importer.importChunkAsync(f.db, chunk).join();
        chunk.clear();
      }
    }
    if (!chunk.isEmpty()) importer.importChunkAsync(f.db, chunk).join();
    f.db.run(
        tr -> {
          SchemaVersion.write(tr, f.ks, 1);
          return null;
        });
    return leases(f);
  }

  private static byte[] key(int i) {
    return String.format("k%06d", i).getBytes(StandardCharsets.UTF_8);
  }

  private static Map<Long, Lease> leases(Fixture f) {
    Map<Long, Lease> out = new LinkedHashMap<>();
    for (KeyValue kv : f.db.read(tr -> tr.getRange(f.ks.leases()).asList().join()))
      out.put(f.ks.rangeIdOfLeaseKey(kv.getKey()), Lease.decode(kv.getValue()));
    return out;
  }

  /** Advances the fake clock by a lease whenever a pass starts, so LATER leases expire. */
  private static Migrations.Listener agingListener(Fixture f, List<String> notes) {
    return new Migrations.Listener() {
      @Override
      public void progress(Migration m, MigrationProgress p, long total) {}

      @Override
      public void note(String line) {
        notes.add(line);
        if (line.contains("; pass ")) f.clock.advanceMillis(f.config.leaseMillis() * 2);
      }
    };
  }

  /** The old catalog as the migration must leave it, given the time it ended. */
  private static void assertTransformed(Map<Long, Lease> before, Map<Long, Lease> after) {
    assertThat(after.keySet()).isEqualTo(before.keySet());
    for (Map.Entry<Long, Lease> e : before.entrySet()) {
      Lease was = e.getValue();
      Lease now = after.get(e.getKey());
      assertThat(now.epoch()).as("range %d keeps its epoch", e.getKey()).isEqualTo(was.epoch());
      if (LeaseRules.isVacant(now)) continue; // expired: vacated
      assertThat(now.ridesOnLiveness()).as("range %d", e.getKey()).isTrue();
      assertThat(now.holder()).isEqualTo(was.holder());
      assertThat(now.holderIncarnation()).isEqualTo(was.holderIncarnation()).isNotZero();
    }
  }

  @Test
  void runRewritesEveryOldLeaseCatchesUpAndSwapsToVersionTwo() throws Exception {
    try (Fixture f = new Fixture()) {
      Map<Long, Lease> before = oldCatalog(f);
      Migrations migrations = new Migrations(f.ks, f.config);
      List<Migrations.Plan> plan = migrations.plan(f.db);
      assertThat(plan).singleElement().satisfies(p -> assertThat(p.records()).isEqualTo(RANGES));
      long heldWithoutIncarnation = 0;
      long expired = 0;
      for (int i = 0; i < RANGES; i++) {
        if (i % 5 == 0) expired++;
        else if (i % 7 == 0) heldWithoutIncarnation++;
      }
      assertThat(plan.get(0).later()).isEqualTo(heldWithoutIncarnation);
      assertThat(plan.get(0).toRewrite()).isEqualTo(RANGES - heldWithoutIncarnation);
      List<String> notes = new ArrayList<>();
      assertThat(migrations.run(f.db, 0, agingListener(f, notes))).isEqualTo(2);
      Map<Long, Lease> after = leases(f);
      assertTransformed(before, after);
      assertThat(after.values().stream().filter(LeaseRules::isVacant).count())
          .isEqualTo(expired + heldWithoutIncarnation);
      Migrations.Status s = migrations.status(f.db);
      assertThat(s.schemaVersion()).isEqualTo(2);
      assertThat(s.migrations())
          .singleElement()
          .satisfies(p -> assertThat(p.state()).isEqualTo(MigrationProgress.State.DONE));
      List<KeyValue> backups =
          f.db.read(
              tr ->
                  tr.getRange(f.ks.migrationBackup("2-lease-rides-on-liveness").range())
                      .asList()
                      .join());
      assertThat(backups).isEmpty();
      assertThat(notes).anyMatch(n -> n.contains("pass 2")).anyMatch(n -> n.startsWith("swapped"));
      assertThat(migrations.run(f.db, 0, agingListener(f, notes))).as("nothing left").isEqualTo(2);
    }
  }

  @Test
  void aRecordWrittenBehindTheCursorIsCaughtUpFromTheChangelogBeforeTheSwap() throws Exception {
    try (Fixture f = new Fixture()) {
      oldCatalog(f);
      f.register("d");
      long range = 100; // the first lease: behind the cursor after a pass's first batch
      int[] steps = {0};
      List<String> notes = new ArrayList<>();
      Migrations.Listener writer =
          new Migrations.Listener() {
            final Migrations.Listener aging = agingListener(f, notes);

            @Override
            public void progress(Migration m, MigrationProgress p, long total) {
              // in the last pass (the first left leases it could not rewrite yet), once past it
              if (p.pass() != 2
                  || p.state() != MigrationProgress.State.BACKFILL
                  || p.scanned() == 0
                  || steps[0] > 0) return;
              steps[0]++;
              long epoch = f.leases.get(f.db, range).map(Lease::epoch).orElse(0L);
              // as an older binary would: an expired lease of its own form, then a routing change
              f.db.run(
                  tr -> {
                    tr.set(
                        f.ks.leaseKey(range),
                        new Lease("a", epoch, f.clock.millis() - 60_000, 1).encode());
                    return null;
                  });
              f.catalog.addReplicaAsync(f.db, range, "d", -1).join();
            }

            @Override
            public void note(String line) {
              aging.note(line);
            }
          };
      new Migrations(f.ks, f.config).run(f.db, 0, writer);
      Lease after = leases(f).get(range);
      assertThat(steps[0]).as("the lease was written behind the cursor").isEqualTo(1);
      assertThat(LeaseRules.isVacant(after)).as("caught up: %s", after).isTrue();
      assertThat(SchemaVersion.check(f.db, f.ks)).isEqualTo(2);
    }
  }

  @Test
  void killedAtRandomStepsItResumesAndEndsTheSameAsAnUninterruptedRun() throws Exception {
    Map<Long, Lease> expected;
    try (Fixture f = new Fixture()) {
      oldCatalog(f);
      new Migrations(f.ks, f.config).run(f.db, 0, agingListener(f, new ArrayList<>()));
      expected = leases(f);
    }
    for (long seed = 1; seed <= 4; seed++) {
      try (Fixture f = new Fixture()) {
        oldCatalog(f);
        Random random = new Random(seed);
        int kills = 0;
        while (true) {
          int stopAfter = 1 + random.nextInt(4);
          int[] steps = {0};
          Migrations.Listener dying =
              new Migrations.Listener() {
                final Migrations.Listener aging = agingListener(f, new ArrayList<>());

                @Override
                public void progress(Migration m, MigrationProgress p, long total) {
                  if (++steps[0] == stopAfter) throw new Killed();
                }

                @Override
                public void note(String line) {
                  aging.note(line);
                }
              };
          try {
            new Migrations(f.ks, f.config).run(f.db, 0, dying);
            break;
          } catch (Killed k) {
            kills++;
          }
        }
        assertThat(kills).as("seed " + seed).isPositive();
        assertThat(leases(f)).as("seed " + seed).isEqualTo(expected);
        assertThat(SchemaVersion.check(f.db, f.ks)).isEqualTo(2);
      }
    }
  }

  @Test
  void abortPutsBackWhatItCanAndTheVersionStaysOne() throws Exception {
    try (Fixture f = new Fixture()) {
      Map<Long, Lease> before = oldCatalog(f);
      Migrations migrations = new Migrations(f.ks, f.config);
      int[] steps = {0};
      Migrations.Listener stopInPassOne =
          new Migrations.Listener() {
            @Override
            public void progress(Migration m, MigrationProgress p, long total) {
              if (++steps[0] == 2) throw new Killed();
            }

            @Override
            public void note(String line) {}
          };
      assertThatThrownBy(() -> migrations.run(f.db, 0, stopInPassOne)).isInstanceOf(Killed.class);
      MigrationProgress aborted = migrations.abort(f.db, agingListener(f, new ArrayList<>()));
      assertThat(aborted.state()).isEqualTo(MigrationProgress.State.ABORTED);
      assertThat(SchemaVersion.check(f.db, f.ks)).isEqualTo(1);
      Map<Long, Lease> after = leases(f);
      for (Map.Entry<Long, Lease> e : before.entrySet()) {
        Lease now = after.get(e.getKey());
        // expired leases come back as they were; leases that ride on liveness stay (see revert)
        if (!now.ridesOnLiveness()) assertThat(now).isEqualTo(e.getValue());
        else assertThat(now.epoch()).isEqualTo(e.getValue().epoch());
      }
      assertThat(after.values().stream().anyMatch(LeaseRules::isVacant)).isFalse();
      assertThat(migrations.run(f.db, 0, agingListener(f, new ArrayList<>())))
          .as("a run after an abort starts over")
          .isEqualTo(2);
      assertTransformed(before, leases(f));
    }
  }

  @Test
  void commitUnknownResultAndConflictsOnEveryCommitChangeNothing() throws Exception {
    Map<Long, Lease> expected;
    try (Fixture f = new Fixture()) {
      oldCatalog(f);
      new Migrations(f.ks, f.config).run(f.db, 0, agingListener(f, new ArrayList<>()));
      expected = leases(f);
    }
    try (Fixture f =
        new Fixture(
            FaultPlan.seeded(7)
                .commitUnknownResultApplied(0.1)
                .commitUnknownResultDropped(0.1)
                .notCommitted(0.1)
                .build())) {
      oldCatalog(f);
      new Migrations(f.ks, f.config).run(f.db, 0, agingListener(f, new ArrayList<>()));
      assertThat(leases(f)).isEqualTo(expected);
    }
  }

  @Test
  void aVersionNewerThanThisBinaryKnowsIsRefused() {
    try (Fixture f = new Fixture()) {
      f.db.run(
          tr -> {
            SchemaVersion.write(tr, f.ks, SchemaVersion.LATEST + 1);
            return null;
          });
      assertThatThrownBy(() -> SchemaVersion.check(f.db, f.ks))
          .isInstanceOf(MetaException.class)
          .hasMessageContaining("schema version 3, newer than this binary knows (up to 2)");
      assertThatThrownBy(() -> new Migrations(f.ks, f.config).run(f.db, 0, null))
          .isInstanceOf(MetaException.class);
    }
  }

  /** Stands for kill -9 of the migrating process between two committed steps. */
  private static final class Killed extends RuntimeException {}
}
