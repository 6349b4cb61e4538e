package io.fdbmeta.tools.bench;

import com.apple.foundationdb.Database;
import io.fdbmeta.embedded.EmbeddedFdb;
import io.fdbmeta.layer.CatalogExport;
import io.fdbmeta.layer.CatalogImport;
import io.fdbmeta.layer.CatalogRestore;
import io.fdbmeta.layer.Keyspace;
import io.fdbmeta.layer.LayerConfig;
import io.fdbmeta.layer.Lease;
import io.fdbmeta.layer.MetaDump;
import io.fdbmeta.layer.NodeRecord;
import io.fdbmeta.layer.NodeRegistry;
import io.fdbmeta.layer.Progress;
import io.fdbmeta.layer.RangeCatalog;
import io.fdbmeta.tools.Json;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.ForkJoinPool;
import org.jspecify.annotations.Nullable;

/*
 * `fdbmeta bench export`: the time to export a catalog of R ranges (3 replicas and a lease each,
 * over 30 nodes, random range ids as a real catalog has) to a dump file and to import that file
 * into an empty cluster, each from the command's point of view: export = CatalogExport (pages, catch-up) + writing the file; import =
 * reading and checking the whole file + CatalogRestore. Building the source catalog (CatalogImport)
 * is set-up and timed apart. Then the imported cluster is exported again and compared with the
 * dump record for record (everything but the header's cluster and read version and the trailer's
 * checksum), so the figures are of a round trip that is exact.
 *
 * It runs on its own stores, as a migration from one store to another does: the source catalog
 * in one, exported and closed, then the import into a fresh one. Both fdb-embedded, durable in a
 * temporary directory (what `fdbmeta export` and `import` use by default), or under DIR (source/
 * and target/), or in memory; the benchmark's clusters are cleared after.
 * Targets (the issue's): each of export and import of 1,000,000 ranges under 60 s; for R ranges,
 * 60 s * R / 1,000,000.
 */
/** Measures export and import of a whole catalog; see the header comment. */
public final class ExportBenchmark {
  public static final int DEFAULT_RANGES = 1_000_000;
  static final int NODES = 30;
  static final String SOURCE = "fdbmeta-bench-export";
  static final String TARGET = "fdbmeta-bench-import";

  /** {@code dir} null: a temporary directory; {@code memory}: no directory at all. */
  public record Config(int ranges, @Nullable Path dir, boolean memory) {
    public Config {
      if (ranges < 1) throw new IllegalArgumentException("--ranges must be >= 1, got " + ranges);
      if (memory && dir != null)
        throw new IllegalArgumentException("--memory and --dir exclude each other");
    }
  }

  /** The figures of one run. */
  public record Result(
      Config config,
      String store,
      double loadAverage,
      double buildSeconds,
      double exportSeconds,
      double importSeconds,
      long records,
      long fileBytes,
      boolean exact,
      List<Target> targets) {
    public double exportRecordsPerSecond() {
      return records / exportSeconds;
    }

    public double importRecordsPerSecond() {
      return records / importSeconds;
    }

    public void print(PrintWriter out, String reproduce, boolean json) {
      out.printf(
          Locale.ROOT,
          "bench export: %,d ranges (3 replicas, a lease each, %d nodes) on %s%n",
          config.ranges(),
          NODES,
          store);
      out.print(Target.loadWarning(loadAverage));
      out.printf(
          Locale.ROOT,
          "  %-44s %8.1f s%n",
          "build the source catalog (CatalogImport)",
          buildSeconds);
      out.printf(
          Locale.ROOT,
          "  %-44s %8.1f s  %,10.0f records/s  %s%n",
          "export (paged snapshot + write the file)",
          exportSeconds,
          exportRecordsPerSecond(),
          Target.byId(targets, "export").verdict("%.1f", " s"));
      out.printf(
          Locale.ROOT,
          "  %-44s %8.1f s  %,10.0f records/s  %s%n",
          "import (read + check the file + load)",
          importSeconds,
          importRecordsPerSecond(),
          Target.byId(targets, "import").verdict("%.1f", " s"));
      out.printf(
          Locale.ROOT,
          "  %,d records, dump file %,.1f MB; re-export of the import equals the dump: %s%n",
          records,
          fileBytes / 1e6,
          exact ? "yes (exact)" : "NO");
      out.printf(
          Locale.ROOT,
          "load average %.1f on %d cpus%n",
          loadAverage,
          Runtime.getRuntime().availableProcessors());
      out.println("reproduce: " + reproduce);
      if (json)
        out.println(
            Json.object()
                .put("ranges", config.ranges())
                .put("store", store)
                .put("loadAverage", loadAverage)
                .put("buildSeconds", buildSeconds)
                .put("exportSeconds", exportSeconds)
                .put("importSeconds", importSeconds)
                .put("records", records)
                .put("exportRecordsPerSecond", exportRecordsPerSecond())
                .put("importRecordsPerSecond", importRecordsPerSecond())
                .put("fileBytes", fileBytes)
                .put("exact", exact)
                .put("targets", Target.json(targets))
                .put("reproduce", reproduce));
      out.flush();
    }
  }

  private final Config config;
  private final PrintWriter err;
  private final Progress progress;

  public ExportBenchmark(Config config, PrintWriter err, Progress progress) {
    this.config = config;
    this.err = err;
    this.progress = progress;
  }

  private void say(String s) {
    err.println(s);
    err.flush();
  }

  public Result run() {
    double loadAverage = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    Path tmp = null;
    ForkJoinPool pool = new ForkJoinPool(Math.max(2, Runtime.getRuntime().availableProcessors()));
    try {
      tmp = Files.createTempDirectory("fdbmeta-bench-export");
      Path base = config.memory() ? null : config.dir() != null ? config.dir() : tmp;
      String store =
          base == null
              ? "fdb-embedded in memory"
              : "fdb-embedded durable in "
                  + base.resolve("source")
                  + " and "
                  + base.resolve("target");
      LayerConfig lc = LayerConfig.defaults();
      Path file = tmp.resolve("catalog.dump");
      double build;
      double export;
      long records;
      // the source store: built, exported, then closed, as a migration leaves it
      try (Database db = open(base, "source", pool)) {
        Keyspace src = Keyspace.open(db, SOURCE);
        clear(db, src);
        long t0 = System.nanoTime();
        say(String.format(Locale.ROOT, "bench export: building %,d ranges", config.ranges()));
        build(db, new RangeCatalog(src, lc), new NodeRegistry(src, lc));
        build = seconds(t0);
        long t1 = System.nanoTime();
        MetaDump dump = new CatalogExport(src).export(db, progress);
        write(dump, file);
        export = seconds(t1);
        records = dump.records();
        clear(db, src);
      }
      // the target store: a fresh one, as `fdbmeta import` in its own process finds it
      double imported;
      boolean exact;
      try (Database db = open(base, "target", pool)) {
        Keyspace dst = Keyspace.open(db, TARGET);
        clear(db, dst);
        long t2 = System.nanoTime();
        progress.phase("check", -1);
        MetaDump.Parsed parsed;
        try (BufferedReader r = reader(file)) {
          parsed = MetaDump.read(r, progress::at);
        }
        if (!parsed.ok())
          throw new IllegalStateException("the dump was refused: " + parsed.problems());
        new CatalogRestore(new RangeCatalog(dst, lc))
            .restore(db, parsed.dump(), parsed.sha256(), file.toString(), progress);
        imported = seconds(t2);
        parsed = null;
        Path again = tmp.resolve("again.dump");
        write(new CatalogExport(dst).export(db, progress), again);
        progress.phase("compare", -1);
        exact = sameRecords(file, again);
        clear(db, dst);
      }
      long bytes = Files.size(file);
      double scale = config.ranges() / 1_000_000.0;
      List<Target> targets =
          List.of(
              Target.atMost("export", "export of the catalog, seconds", 60 * scale, export),
              Target.atMost("import", "import of the dump, seconds", 60 * scale, imported));
      return new Result(
          config, store, loadAverage, build, export, imported, records, bytes, exact, targets);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      pool.shutdown();
      if (tmp != null) deleteQuietly(tmp);
    }
  }

  /** fdb-embedded in {@code base/name}, or in memory if {@code base} is null. */
  private static Database open(@Nullable Path base, String name, ForkJoinPool pool)
      throws IOException {
    EmbeddedFdb.Builder b = EmbeddedFdb.builder().executor(pool);
    if (base != null) {
      Files.createDirectories(base.resolve(name));
      b.directory(base.resolve(name));
    }
    return b.build();
  }

  private static double seconds(long since) {
    return (System.nanoTime() - since) / 1e9;
  }

  private static void clear(Database db, Keyspace... spaces) {
    db.run(
        tr -> {
          for (Keyspace ks : spaces) tr.clear(ks.all());
          return null;
        });
  }

  /** 30 nodes; ranges with 3 replicas each (round robin) and a liveness lease on the first. */
  private void build(Database db, RangeCatalog catalog, NodeRegistry registry) {
    catalog.init(db);
    List<NodeRecord> nodes = new ArrayList<>();
    for (int i = 0; i < NODES; i++) {
      String id = String.format(Locale.ROOT, "node-%02d", i);
      nodes.add(
          registry.register(
              db,
              new NodeRegistry.Registration(
                  id,
                  "127.0.0.1:" + (7000 + i),
                  new NodeRecord.Locality("r1", "z" + (i % 3), "rack" + i),
                  new NodeRecord.Capacity(1L << 40, 8)),
              UUID.randomUUID().toString()));
    }
    CatalogImport importer = new CatalogImport(catalog);
    List<CatalogImport.ImportedRange> chunk = new ArrayList<>();
    int n = config.ranges();
    // random 52-bit ids above the reserved ones, as Ids.newRangeId makes them (seeded: the same
    // catalog every run): the id-keyed indexes then see the scattered writes a real catalog causes
    java.util.SplittableRandom random = new java.util.SplittableRandom(18);
    java.util.Set<Long> used = new java.util.HashSet<>();
    progress.phase("build", n);
    for (int i = 0; i < n; i++) {
      NodeRecord a = nodes.get(i % NODES);
      List<String> replicas =
          List.of(
              a.nodeId(), nodes.get((i + 1) % NODES).nodeId(), nodes.get((i + 2) % NODES).nodeId());
      byte[] end =
          i == n - 1
              ? null
              : String.format(Locale.ROOT, "user:%010d", (long) (i + 1) * 1000)
                  .getBytes(StandardCharsets.US_ASCII);
      long id;
      do id = random.nextLong(1001, 1L << 52);
      while (!used.add(id));
      chunk.add(
          new CatalogImport.ImportedRange(
              id, end, replicas, a.nodeId(), Lease.RIDES_ON_LIVENESS, a.incarnation()));
      if (chunk.size() == CatalogImport.DEFAULT_CHUNK || i == n - 1) {
        importer.importChunkAsync(db, chunk).join();
        chunk.clear();
        progress.at(i + 1);
      }
    }
  }

  private void write(MetaDump dump, Path file) throws IOException {
    progress.phase("write", dump.ranges().size());
    try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
      dump.write(os, progress::at);
    }
  }

  private static BufferedReader reader(Path file) throws IOException {
    return new BufferedReader(
        new InputStreamReader(Files.newInputStream(file), StandardCharsets.ISO_8859_1), 1 << 20);
  }

  /** Equal record lines: everything but the header (cluster, read version) and the trailer. */
  static boolean sameRecords(Path a, Path b) throws IOException {
    try (BufferedReader x = reader(a);
        BufferedReader y = reader(b)) {
      x.readLine();
      y.readLine();
      while (true) {
        String l = x.readLine();
        String m = y.readLine();
        if (l == null || m == null) return l == null && m == null;
        if (l.startsWith("end ") && m.startsWith("end "))
          return l.substring(0, l.indexOf(" sha256="))
              .equals(m.substring(0, m.indexOf(" sha256=")));
        if (!l.equals(m)) return false;
      }
    }
  }

  private static void deleteQuietly(Path root) {
    try (var walk = Files.walk(root)) {
      walk.sorted(java.util.Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.deleteIfExists(p);
                } catch (IOException e) {
                  // best effort: a temporary directory
                }
              });
    } catch (IOException e) {
      // best effort
    }
  }
}
