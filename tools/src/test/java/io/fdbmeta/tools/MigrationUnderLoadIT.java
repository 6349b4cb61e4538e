package io.fdbmeta.tools;

import static org.assertj.core.api.Assertions.assertThat;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.tuple.Tuple;
import io.fdbmeta.embedded.EmbeddedFdb;
import io.fdbmeta.layer.Keyspace;
import io.fdbmeta.layer.LayerConfig;
import io.fdbmeta.layer.Lease;
import io.fdbmeta.layer.LeaseManager;
import io.fdbmeta.layer.RangeCatalog;
import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.layer.SchemaVersion;
import io.fdbmeta.tools.ServiceProcesses.Service;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lease migration (schema 1 to 2) on a cluster whose every process runs on its own, while a
 * client writes through the router, ranges are split and a fourth node joins (the controller moves
 * replicas onto it), and the migrating process, {@code fdbmeta migrate run}, is killed with kill -9
 * at random points and run again (issue 18). Nothing fails, nothing acknowledged is lost, and every
 * lease ends in the new form, agreeing with its range's descriptor; a lease no one changed
 * meanwhile is exactly the old one transformed.
 *
 * <p>Seed and kills: {@code -Dfdbmeta.migrate.seed=N -Dfdbmeta.migrate.kills=K} (default 1 and 2).
 * Scale: {@code -Dfdbmeta.migrate.ranges=100000} (default 41, placed range by range as `ranges
 * place` does; more are loaded with `fdbmeta import --from-csv`, the cut-over path, and migrated at
 * a rate that makes the backfill last about 10 s so the kills land in it). Reproduce with {@code
 * mvn -B -o verify -pl tools -am -Dit.test=MigrationUnderLoadIT -Dtest=NoSuchTest
 * -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class MigrationUnderLoadIT {
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
  private static final int SPLIT_KEYS = 40;

  /** Catalogs larger than this are imported from a CSV instead of placed range by range. */
  private static final int PLACED_AT_MOST = 1_000;

  private static final int PAGE = 5_000;

  @TempDir Path tmp;

  private @Nullable ServiceProcesses cluster;

  @AfterEach
  void stop() {
    if (cluster != null) cluster.close();
  }

  @Test
  void killedAtRandomPointsUnderLoadItFinishesWithNothingFailedOrLost() throws Exception {
    long seed = Long.getLong("fdbmeta.migrate.seed", 1);
    int kills = Integer.getInteger("fdbmeta.migrate.kills", 2);
    int rangeCount = Integer.getInteger("fdbmeta.migrate.ranges", SPLIT_KEYS + 1);
    String setUp = "placed range by range";
    ServiceProcesses c = ServiceProcesses.start(tmp);
    cluster = c;
    List<FdbmetaProcess> nodeProcs = new ArrayList<>();
    for (int i = 1; i <= 3; i++) nodeProcs.add(c.startNode("n" + i, i));
    List<Service> nodes = new ArrayList<>();
    for (int i = 0; i < 3; i++)
      nodes.add(ServiceProcesses.awaitNode("n" + (i + 1), nodeProcs.get(i)));
    if (rangeCount <= PLACED_AT_MOST) {
      List<String> splitKeys = new ArrayList<>();
      for (int i = 1; i < rangeCount; i++) splitKeys.add(String.format("k%02d", i));
      c.placeRanges(splitKeys, List.of("n1", "n2", "n3"), 3);
    } else {
      long t0 = System.nanoTime();
      importRanges(c, rangeCount);
      long t1 = System.nanoTime();
      Map<String, Long> holders = awaitLeases(c, rangeCount);
      setUp =
          String.format(
              "imported in %.1f s, leases taken in %.1f s (%s)",
              (t1 - t0) / 1e9, (System.nanoTime() - t1) / 1e9, holders);
    }
    FdbmetaProcess ctl = c.startController("ctl-1");
    FdbmetaProcess routerProc = c.startRouter("router-1");
    ServiceProcesses.awaitActive(ctl);
    List<Service> routers = new CopyOnWriteArrayList<>();
    routers.add(ServiceProcesses.awaitRouter("router-1", routerProc));
    for (Service s : nodes) ServiceProcesses.awaitReady(s, READY_TIMEOUT);
    ServiceProcesses.awaitReady(routers.get(0), READY_TIMEOUT);

    Map<Long, Lease> old = toVersionOne(c.storeAddress());
    assertThat(old.size()).isGreaterThanOrEqualTo(rangeCount);
    LoadWriter w = new LoadWriter(c, () -> routers, List.of("k05", "k17", "k29", "k38"));
    AtomicBoolean splitting = new AtomicBoolean(true);
    AtomicInteger splits = new AtomicInteger();
    Thread splitter = new Thread(() -> split(c, splitting, splits, new Random(seed)), "splitter");
    splitter.start();

    Random random = new Random(seed);
    List<String> killedAfter = new ArrayList<>();
    for (int k = 0; k < kills; k++) {
      FdbmetaProcess m = migrate(c, "migrate-" + k, rangeCount);
      long wait = 1500 + random.nextInt(2500); // the JVM starts in about a second
      Thread.sleep(wait);
      if (k == 0) c.startNode("n4", 1); // joins empty: the controller moves replicas onto it
      m.kill(); // kill -9
      killedAfter.add(wait + " ms");
    }
    FdbmetaProcess last = migrate(c, "migrate-last", rangeCount);
    Integer exit = last.waitFor(Duration.ofSeconds(120 + rangeCount / 500));
    assertThat(exit).as(String.join("\n", last.output())).isZero();
    Cli status = Cli.run("--store", c.storeAddress(), "migrate", "status");
    String swapped =
        status
            .out()
            .lines()
            .filter(l -> l.contains("swapped: schema version 2"))
            .findFirst()
            .orElseThrow(() -> new AssertionError(status.out() + status.err()));
    // the kills must have landed before the swap, or the runs after them proved nothing
    assertThat(last.output())
        .as("the last run had work left")
        .noneMatch(l -> l.contains("nothing to migrate"));
    splitting.set(false);
    splitter.join();
    Thread.sleep(1000);
    w.close();
    List<String> lost = w.lost(routers.get(0));

    int transformedExactly = 0;
    int changedMeanwhile = 0;
    try (Database db = EmbeddedFdb.connect(c.storeAddress())) {
      Keyspace ks = Keyspace.open(db, "default");
      assertThat(SchemaVersion.check(db, ks)).isEqualTo(2);
      RangeCatalog catalog = new RangeCatalog(ks, LayerConfig.defaults());
      LeaseManager leases = new LeaseManager(catalog);
      for (RangeDescriptor d : all(db, catalog)) {
        Optional<Lease> l = leases.get(db, d.rangeId());
        if (l.isEmpty()) continue; // vacant
        assertThat(l.get().ridesOnLiveness()).as("range %d: %s", d.rangeId(), l.get()).isTrue();
        assertThat(l.get().holder()).as("range %d", d.rangeId()).isEqualTo(d.leaseholder());
        assertThat(l.get().epoch()).as("range %d", d.rangeId()).isEqualTo(d.leaseEpoch());
        Lease was = old.get(d.rangeId());
        if (was != null
            && was.holder().equals(l.get().holder())
            && was.epoch() == l.get().epoch()) {
          assertThat(l.get())
              .isEqualTo(Lease.onLiveness(was.holder(), was.epoch(), was.holderIncarnation()));
          transformedExactly++;
        } else {
          changedMeanwhile++;
        }
      }
    }
    System.out.printf(
        "MigrationUnderLoadIT: %,d ranges (%s), seed %d, migrate killed with kill -9 after %s, then run"
            + " to the swap (%s); %d splits meanwhile; %d leases exactly the old ones transformed,"
            + " %d changed meanwhile; %d writes acknowledged, %d failed %s, %d lost%n",
        rangeCount,
        setUp,
        seed,
        killedAfter,
        swapped.strip(),
        splits.get(),
        transformedExactly,
        changedMeanwhile,
        w.acked.size(),
        w.failed.get(),
        w.failures,
        lost.size());
    assertThat(w.failed.get()).as("failed writes: %s", w.failures).isZero();
    assertThat(lost).as("acknowledged writes lost").isEmpty();
    assertThat(w.acked).hasSizeGreaterThan(100);
    assertThat(transformedExactly).isPositive();
  }

  /**
   * Starts `fdbmeta migrate run`, paced so its backfill lasts about 7 s (the kills land 1.5 s to 4
   * s after the start, of which the JVM takes about one).
   */
  private FdbmetaProcess migrate(ServiceProcesses c, String name, int rangeCount) {
    List<String> pace =
        rangeCount <= PLACED_AT_MOST
            ? List.of("--batch", "4", "--rate", "6")
            : List.of("--rate", "" + rangeCount / 7);
    List<String> args = new ArrayList<>(List.of("--store", c.storeAddress(), "migrate", "run"));
    args.addAll(pace);
    return FdbmetaProcess.start(name, ServiceProcesses.JVM, args, tmp.resolve(name + ".log"));
  }

  /**
   * Loads {@code n} ranges over n1, n2 and n3 (each a replica of all) as a cut-over does: a range
   * table in a CSV, through `fdbmeta import --from-csv`. Without a leaseholder column: the
   * reference nodes hold no data for the ranges, so they take them as new and acquire the leases
   * themselves (with imported leases each replica would wait to copy from another; see the README).
   */
  private void importRanges(ServiceProcesses c, int n) throws Exception {
    Path csv = tmp.resolve("ranges.csv");
    try (var w = java.nio.file.Files.newBufferedWriter(csv)) {
      for (int i = 0; i < n; i++) {
        String start = i == 0 ? "" : String.format("k%07d", i);
        String end = i == n - 1 ? "" : String.format("k%07d", i + 1);
        w.write(start + "," + end + ",n1;n2;n3\n");
      }
    }
    Cli r =
        Cli.run(
            "--store",
            c.storeAddress(),
            "import",
            "--from-csv",
            csv.toString(),
            "--columns",
            "start,end,replicas");
    assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
  }

  /**
   * Waits until the nodes hold a lease on each of the {@code n} ranges (up to 10 minutes).
   *
   * @return how many each node holds
   */
  private static Map<String, Long> awaitLeases(ServiceProcesses c, int n)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
    try (Database db = EmbeddedFdb.connect(c.storeAddress())) {
      Keyspace ks = Keyspace.open(db, "default");
      while (true) {
        long held = 0;
        Map<String, Long> byHolder = new TreeMap<>();
        byte[] from = ks.leaseKey(0);
        byte[] to = ks.leaseKey(Long.MAX_VALUE);
        while (true) {
          byte[] begin = from;
          List<com.apple.foundationdb.KeyValue> page =
              db.read(tr -> tr.snapshot().getRange(begin, to, PAGE).asList().join());
          held += page.size();
          for (var kv : page) byHolder.merge(Lease.decode(kv.getValue()).holder(), 1L, Long::sum);
          if (page.size() < PAGE) break;
          from =
              com.apple.foundationdb.tuple.ByteArrayUtil.join(
                  page.get(page.size() - 1).getKey(), new byte[1]);
        }
        if (held >= n) return byHolder;
        assertThat(System.nanoTime()).as("leases held: %d of %d", held, n).isLessThan(deadline);
        Thread.sleep(2_000);
      }
    }
  }

  private static List<RangeDescriptor> all(Database db, RangeCatalog catalog) {
    List<RangeDescriptor> out = new ArrayList<>();
    byte[] cursor = null;
    do {
      var page = catalog.list(db, cursor, PAGE);
      out.addAll(page.items());
      cursor = page.nextCursor();
    } while (cursor != null);
    return out;
  }

  /**
   * Rewrites every lease in the form binaries before liveness leases wrote (same holder, epoch and
   * incarnation, an expiry of its own two minutes out) and sets schema version 1.
   *
   * @return the leases as rewritten, by range id
   */
  private static Map<Long, Lease> toVersionOne(String store) {
    Map<Long, Lease> out = new HashMap<>();
    try (Database db = EmbeddedFdb.connect(store)) {
      Keyspace ks = Keyspace.open(db, "default");
      RangeCatalog catalog = new RangeCatalog(ks, LayerConfig.defaults());
      LeaseManager leases = new LeaseManager(catalog);
      long expires = System.currentTimeMillis() + 120_000;
      List<RangeDescriptor> ranges = all(db, catalog);
      for (int i = 0; i < ranges.size(); i += 500) {
        Map<Long, Lease> batch = new HashMap<>();
        for (RangeDescriptor d : ranges.subList(i, Math.min(ranges.size(), i + 500))) {
          Optional<Lease> l = leases.get(db, d.rangeId());
          if (l.isEmpty()) continue;
          batch.put(
              d.rangeId(),
              new Lease(l.get().holder(), l.get().epoch(), expires, l.get().holderIncarnation()));
        }
        db.run(
            tr -> {
              batch.forEach((id, lease) -> tr.set(ks.leaseKey(id), lease.encode()));
              return null;
            });
        out.putAll(batch);
      }
      db.run(
          tr -> {
            tr.set(ks.schemaVersionKey(), Tuple.from(1L).pack());
            return null;
          });
    }
    return out;
  }

  /** Splits a random range (not the first) every 300 ms through the CLI. */
  private static void split(
      ServiceProcesses c, AtomicBoolean splitting, AtomicInteger splits, Random random) {
    while (splitting.get()) {
      try {
        List<RangeDescriptor> ranges = c.ranges();
        RangeDescriptor d = ranges.get(1 + random.nextInt(ranges.size() - 1));
        String key =
            new String(d.startKey(), StandardCharsets.UTF_8) + "s" + random.nextInt(1_000_000);
        if (d.contains(key.getBytes(StandardCharsets.UTF_8))) {
          Cli r = Cli.run("--store", c.storeAddress(), "ranges", "split", "" + d.rangeId(), key);
          if (r.exitCode() == 0) splits.incrementAndGet();
        }
        Thread.sleep(300);
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        // a split that lost a race with another change: the next one picks another range
      }
    }
  }
}
