package io.fdbmeta.layer.route;

import static io.fdbmeta.layer.route.RouteFixtures.await;
import static io.fdbmeta.layer.route.RouteFixtures.catalogRanges;
import static io.fdbmeta.layer.route.RouteFixtures.key;
import static io.fdbmeta.layer.route.RouteFixtures.randomMerge;
import static io.fdbmeta.layer.route.RouteFixtures.randomSplit;
import static io.fdbmeta.layer.route.RouteFixtures.registerNode;
import static org.assertj.core.api.Assertions.assertThat;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.tuple.Versionstamp;
import io.fdbmeta.embedded.EmbeddedFdb;
import io.fdbmeta.embedded.FaultPlan;
import io.fdbmeta.layer.CatalogImport;
import io.fdbmeta.layer.ChangeEvent;
import io.fdbmeta.layer.ChangelogTrimmer;
import io.fdbmeta.layer.Keyspace;
import io.fdbmeta.layer.LayerConfig;
import io.fdbmeta.layer.LeaseManager;
import io.fdbmeta.layer.RangeCatalog;
import io.fdbmeta.layer.RangeDescriptor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RouteFollowerTest {
  private static final Duration CONVERGE = Duration.ofSeconds(10);
  private static final int KEYS = 100_000;
  private static final int LEASE_BATCH = 200;

  private Database db;
  private Keyspace ks;
  private RangeCatalog catalog;
  private RouteFollower follower;

  private void open(Database database, LayerConfig config) {
    db = database;
    ks = Keyspace.open(db, "test");
    catalog = new RangeCatalog(ks, config);
    catalog.bootstrapAsync(db).join();
  }

  @AfterEach
  void close() {
    if (follower != null) follower.close();
    if (db != null) db.close();
  }

  private void awaitConverged(RouteFollower f) {
    await(
        "follower to equal the catalog",
        CONVERGE,
        () -> f.table().snapshot().ranges().equals(catalogRanges(db, catalog)),
        () ->
            f.metrics()
                + " table "
                + f.table().size()
                + " ranges, catalog "
                + catalogRanges(db, catalog).size());
  }

  /**
   * The cut-over path with nodes running: a bulk import (no changelog entry per range; each chunk
   * moves the floor, so a follower reloads, and a reload under way when the next chunk commits
   * starts over) while a node grants itself the new ranges' leases as soon as its follower shows
   * them. The follower must end equal to the catalog, leases included.
   */
  @Test
  void aFollowerEqualsTheCatalogAfterABulkImportRacedByLeaseGrants() throws Exception {
    open(EmbeddedFdb.inMemory(), LayerConfig.defaults());
    for (String n : List.of("a", "b")) registerNode(db, ks, n);
    follower = new RouteFollower(db, ks);
    follower.start();
    LeaseManager leases = new LeaseManager(catalog);
    AtomicBoolean importing = new AtomicBoolean(true);
    AtomicInteger grantedWhileImporting = new AtomicInteger();
    Thread granter =
        new Thread(
            () -> {
              while (importing.get()) {
                List<Long> vacant = new ArrayList<>();
                for (RangeDescriptor d : follower.table().snapshot().ranges())
                  if (!d.replicas().isEmpty() && d.leaseholder() == null) vacant.add(d.rangeId());
                for (int i = 0; i < vacant.size(); i += LEASE_BATCH) {
                  List<Long> batch = vacant.subList(i, Math.min(vacant.size(), i + LEASE_BATCH));
                  String node = batch.get(0) % 2 == 0 ? "a" : "b";
                  int granted = leases.acquireEachAsync(db, batch, node).join().size();
                  if (importing.get()) grantedWhileImporting.addAndGet(granted);
                }
              }
            },
            "granter");
    granter.start();
    int n = 3 * CatalogImport.DEFAULT_CHUNK;
    CatalogImport importer = new CatalogImport(catalog);
    for (int from = 0; from < n; from += CatalogImport.DEFAULT_CHUNK) {
      List<CatalogImport.ImportedRange> chunk = new ArrayList<>();
      for (int i = from; i < from + CatalogImport.DEFAULT_CHUNK; i++) {
        byte[] end = i == n - 1 ? null : key(i + 1);
        chunk.add(new CatalogImport.ImportedRange(10_000 + i, end, List.of("a", "b"), null, 0, 0));
      }
      importer.importChunkAsync(db, chunk).join();
      Thread.sleep(50); // lets the follower load and the granter grant between chunks
    }
    importing.set(false);
    granter.join();

    assertThat(grantedWhileImporting.get()).as("leases granted during the import").isPositive();
    follower.sync();
    awaitConverged(follower);
    for (RangeDescriptor d : catalogRanges(db, catalog))
      assertThat(follower.table().byId(d.rangeId())).as("by id").isEqualTo(d);
  }

  /**
   * Records every state the follower publishes and fails if one does not tile the keyspace or
   * regresses a range.
   */
  private static final class Checker implements RouteFollower.Listener {
    final AtomicReference<Throwable> failure = new AtomicReference<>();
    final Map<Long, RangeDescriptor> latest = new HashMap<>();
    RouteTable table;

    Checker(RouteTable table) {
      this.table = table;
    }

    @Override
    public void onChanges(Versionstamp position, List<ChangeEvent> events) {
      check(table.snapshot());
    }

    @Override
    public void onReload(RouteSnapshot snapshot) {
      check(snapshot);
    }

    private void check(RouteSnapshot s) {
      try {
        RouteTableTest.assertTiles(s);
        for (RangeDescriptor d : s.ranges()) {
          RangeDescriptor before = latest.put(d.rangeId(), d);
          if (before != null && RouteSnapshot.newer(before, d))
            throw new AssertionError("regressed " + before + " to " + d);
        }
      } catch (Throwable e) {
        failure.compareAndSet(null, e);
      }
    }

    void assertOk() {
      if (failure.get() != null)
        throw new AssertionError("follower published a bad state", failure.get());
    }
  }

  @Test
  void followsSplitsMergesAndReplicaChanges() {
    open(EmbeddedFdb.inMemory(), LayerConfig.defaults());
    registerNode(db, ks, "n1");
    registerNode(db, ks, "n2");
    follower = new RouteFollower(db, ks);
    Checker checker = new Checker(follower.table());
    follower.addListener(checker);
    follower.start();
    assertThat(follower.table().snapshot().ranges()).isEqualTo(catalogRanges(db, catalog));

    Random rnd = new Random(1);
    RangeDescriptor root = catalog.lookup(db, key(0));
    catalog.addReplicaAsync(db, root.rangeId(), "n1", -1).join();
    for (int i = 0; i < 60; i++) randomSplit(db, catalog, rnd, KEYS);
    for (int i = 0; i < 20; i++) randomMerge(db, catalog, rnd, KEYS);
    RangeDescriptor some = catalog.lookup(db, key(rnd.nextInt(KEYS)));
    catalog.addReplicaAsync(db, some.rangeId(), "n2", -1).join();
    RangeDescriptor other = catalog.lookup(db, key(rnd.nextInt(KEYS)));
    catalog.removeReplicaAsync(db, other.rangeId(), "n1", -1).join();

    awaitConverged(follower); // by watches, no sync
    assertThat(follower.table().byId(some.rangeId()).replicas()).contains("n2");
    follower.sync();
    assertThat(follower.table().snapshot().ranges()).isEqualTo(catalogRanges(db, catalog));
    RouteFollower.Metrics m = follower.metrics();
    assertThat(m.appliedCommits()).isGreaterThanOrEqualTo(60);
    assertThat(m.reloads()).isZero();
    assertThat(m.ranges()).isEqualTo(follower.table().size());
    for (int i = 0; i < 1_000; i++) {
      byte[] k = key(rnd.nextInt(KEYS));
      assertThat(follower.table().lookup(k)).isEqualTo(catalog.lookup(db, k));
    }
    checker.assertOk();
  }

  @Test
  void startDuringConcurrentSplitsLosesAndRegressesNothing() throws Exception {
    open(EmbeddedFdb.inMemory(), LayerConfig.defaults());
    Random rnd = new Random(2);
    for (int i = 0; i < 200; i++) randomSplit(db, catalog, rnd, KEYS);
    CompletableFuture<Void> writer =
        CompletableFuture.runAsync(
            () -> {
              Random w = new Random(3);
              for (int i = 0; i < 400; i++) {
                if (w.nextInt(3) == 0) randomMerge(db, catalog, w, KEYS);
                else randomSplit(db, catalog, w, KEYS);
              }
            });
    // Tiny pages so the load spans many transactions while the writer changes ranges between them.
    follower =
        new RouteFollower(
            db, ks, ChangeFeed.Options.builder().loadPageSize(7).logPageSize(5).build());
    Checker checker = new Checker(follower.table());
    follower.addListener(checker);
    follower.start();
    writer.get();
    awaitConverged(follower);
    checker.assertOk();
  }

  @Test
  void reloadsWhenCursorFellBehindTrimmedFloor() {
    open(EmbeddedFdb.inMemory(), LayerConfig.builder().changelogRetention(10).build());
    follower =
        new RouteFollower(
            db,
            ks,
            ChangeFeed.Options.builder().watches(false).pollInterval(Duration.ofHours(1)).build());
    Checker checker = new Checker(follower.table());
    follower.addListener(checker);
    follower.start();
    Random rnd = new Random(4);
    for (int i = 0; i < 50; i++) randomSplit(db, catalog, rnd, KEYS);
    long trimmed =
        new ChangelogTrimmer(ks, LayerConfig.builder().changelogRetention(10).build()).trim(db);
    assertThat(trimmed).isPositive();
    follower.sync();
    assertThat(follower.metrics().reloads()).isEqualTo(1);
    assertThat(follower.table().snapshot().ranges()).isEqualTo(catalogRanges(db, catalog));
    for (int i = 0; i < 5; i++) randomSplit(db, catalog, rnd, KEYS);
    follower.sync(); // back to following the log
    assertThat(follower.metrics().reloads()).isEqualTo(1);
    assertThat(follower.table().snapshot().ranges()).isEqualTo(catalogRanges(db, catalog));
    checker.assertOk();
  }

  @Test
  void convergesByPollWithoutWatches() {
    open(EmbeddedFdb.inMemory(), LayerConfig.defaults());
    follower =
        new RouteFollower(
            db,
            ks,
            ChangeFeed.Options.builder()
                .watches(false)
                .pollInterval(Duration.ofMillis(20))
                .build());
    follower.start();
    Random rnd = new Random(5);
    for (int i = 0; i < 50; i++) randomSplit(db, catalog, rnd, KEYS);
    awaitConverged(follower);
    assertThat(follower.metrics().watchFires()).isZero();
    assertThat(follower.metrics().polls()).isPositive();
  }

  @Test
  void convergesWithSpuriousWatchFires() {
    open(
        EmbeddedFdb.builder().faults(FaultPlan.seeded(6).spuriousWatchFires(0.5).build()).build(),
        LayerConfig.defaults());
    follower =
        new RouteFollower(
            db, ks, ChangeFeed.Options.builder().pollInterval(Duration.ofHours(1)).build());
    Checker checker = new Checker(follower.table());
    follower.addListener(checker);
    follower.start();
    Random rnd = new Random(6);
    for (int i = 0; i < 50; i++) randomSplit(db, catalog, rnd, KEYS);
    awaitConverged(follower);
    checker.assertOk();
  }

  @Test
  void convergesAndAlwaysTilesUnderCommitFaults() throws Exception {
    FaultPlan faults =
        FaultPlan.seeded(7)
            .notCommitted(0.05)
            .commitUnknownResultApplied(0.05)
            .commitUnknownResultDropped(0.03)
            .transactionTooOld(0.03)
            .commitDelay(0.1, Duration.ofMillis(2))
            .spuriousWatchFires(0.1)
            .build();
    open(EmbeddedFdb.builder().faults(faults).build(), LayerConfig.defaults());
    follower =
        new RouteFollower(
            db,
            ks,
            ChangeFeed.Options.builder()
                .loadPageSize(5)
                .logPageSize(3)
                .pollInterval(Duration.ofMillis(200))
                .build());
    Checker checker = new Checker(follower.table());
    follower.addListener(checker);
    Random rnd = new Random(7);
    for (int i = 0; i < 50; i++) randomSplit(db, catalog, rnd, KEYS);
    CompletableFuture<Void> writer =
        CompletableFuture.runAsync(
            () -> {
              Random w = new Random(8);
              for (int i = 0; i < 300; i++) {
                if (w.nextInt(3) == 0) randomMerge(db, catalog, w, KEYS);
                else randomSplit(db, catalog, w, KEYS);
              }
            });
    follower.start();
    // Readers on the hot path never miss: every lookup finds a range holding its key.
    Random r = new Random(9);
    while (!writer.isDone()) {
      byte[] k = key(r.nextInt(KEYS));
      RangeDescriptor d = follower.table().lookup(k);
      assertThat(d).isNotNull();
      assertThat(d.contains(k)).isTrue();
    }
    writer.get();
    awaitConverged(follower);
    checker.assertOk();
  }
}
