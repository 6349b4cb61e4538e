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
 * Reproduce with {@code mvn -B -o verify -pl tools -am -Dit.test=MigrationUnderLoadIT
 * -Dtest=NoSuchTest -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class MigrationUnderLoadIT {
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
  private static final int SPLIT_KEYS = 40;

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
    ServiceProcesses c = ServiceProcesses.start(tmp);
    cluster = c;
    List<FdbmetaProcess> nodeProcs = new ArrayList<>();
    for (int i = 1; i <= 3; i++) nodeProcs.add(c.startNode("n" + i, i));
    FdbmetaProcess ctl = c.startController("ctl-1");
    FdbmetaProcess routerProc = c.startRouter("router-1");
    List<Service> nodes = new ArrayList<>();
    for (int i = 0; i < 3; i++)
      nodes.add(ServiceProcesses.awaitNode("n" + (i + 1), nodeProcs.get(i)));
    List<String> splitKeys = new ArrayList<>();
    for (int i = 1; i <= SPLIT_KEYS; i++) splitKeys.add(String.format("k%02d", i));
    c.placeRanges(splitKeys, List.of("n1", "n2", "n3"), 3);
    ServiceProcesses.awaitActive(ctl);
    List<Service> routers = new CopyOnWriteArrayList<>();
    routers.add(ServiceProcesses.awaitRouter("router-1", routerProc));
    for (Service s : nodes) ServiceProcesses.awaitReady(s, READY_TIMEOUT);
    ServiceProcesses.awaitReady(routers.get(0), READY_TIMEOUT);

    Map<Long, Lease> old = toVersionOne(c.storeAddress());
    assertThat(old).hasSizeGreaterThan(SPLIT_KEYS);
    LoadWriter w = new LoadWriter(c, () -> routers, List.of("k05", "k17", "k29", "k38"));
    AtomicBoolean splitting = new AtomicBoolean(true);
    AtomicInteger splits = new AtomicInteger();
    Thread splitter = new Thread(() -> split(c, splitting, splits, new Random(seed)), "splitter");
    splitter.start();

    Random random = new Random(seed);
    List<String> killedAfter = new ArrayList<>();
    for (int k = 0; k < kills; k++) {
      FdbmetaProcess m = migrate(c, "migrate-" + k);
      long wait = 1500 + random.nextInt(2500); // the JVM starts in about a second
      Thread.sleep(wait);
      if (k == 0) c.startNode("n4", 1); // joins empty: the controller moves replicas onto it
      m.kill(); // kill -9
      killedAfter.add(wait + " ms");
    }
    FdbmetaProcess last = migrate(c, "migrate-last");
    Integer exit = last.waitFor(Duration.ofSeconds(120));
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
      for (RangeDescriptor d : catalog.list(db, null, 10_000).items()) {
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
        "MigrationUnderLoadIT: seed %d, migrate killed with kill -9 after %s, then run to the swap"
            + " (%s); %d splits meanwhile; %d leases exactly the old ones transformed, %d changed"
            + " meanwhile; %d writes acknowledged, %d failed %s, %d lost%n",
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

  private FdbmetaProcess migrate(ServiceProcesses c, String name) {
    return FdbmetaProcess.start(
        name,
        ServiceProcesses.JVM,
        List.of("--store", c.storeAddress(), "migrate", "run", "--batch", "4", "--rate", "6"),
        tmp.resolve(name + ".log"));
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
      for (RangeDescriptor d : catalog.list(db, null, 10_000).items()) {
        Optional<Lease> l = leases.get(db, d.rangeId());
        if (l.isEmpty()) continue;
        Lease oldForm =
            new Lease(l.get().holder(), l.get().epoch(), expires, l.get().holderIncarnation());
        db.run(
            tr -> {
              tr.set(ks.leaseKey(d.rangeId()), oldForm.encode());
              return null;
            });
        out.put(d.rangeId(), oldForm);
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
