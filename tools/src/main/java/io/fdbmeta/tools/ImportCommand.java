package io.fdbmeta.tools;

import io.fdbmeta.layer.CatalogRestore;
import io.fdbmeta.layer.ImportProblem;
import io.fdbmeta.layer.MetaDump;
import io.fdbmeta.layer.Progress;
import io.fdbmeta.layer.RangeTable;
import io.fdbmeta.layer.RangeTableImport;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code fdbmeta import --in FILE} loads a dump written by {@code fdbmeta export} into an empty
 * cluster; {@code fdbmeta import --from-csv FILE} loads a range table dumped from MySQL or
 * PostgreSQL into a cluster whose nodes are registered and whose catalog is fresh. Either way the
 * whole file is read and checked first; any problem is printed with its line and nothing is written
 * (exit 2). An interrupted import is finished by running the same command again.
 */
@Command(
    name = "import",
    mixinStandardHelpOptions = true,
    description = {
      "Load a dump (--in, from 'fdbmeta export') into an empty cluster, or a SQL range table"
          + " (--from-csv) into a cluster with its nodes registered and a fresh catalog.",
      "The whole file is checked first: every problem is printed with its line number and nothing is"
          + " written (exit 2). Run the same import again to finish one that was interrupted."
    })
final class ImportCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin JsonOption output = new JsonOption();

  @Option(names = "--in", paramLabel = "FILE", description = "A dump written by fdbmeta export.")
  @Nullable Path in;

  @Option(
      names = "--from-csv",
      paramLabel = "FILE",
      description =
          "A range table: MySQL SELECT ... INTO OUTFILE (tab-separated, \\N for NULL) or PostgreSQL"
              + " \\copy ... TO ... CSV.")
  @Nullable Path csv;

  @Option(
      names = "--columns",
      paramLabel = "NAMES",
      defaultValue = "start,end,replicas,leaseholder",
      description =
          "With --from-csv: the file's columns in order; start, end and replicas are required,"
              + " leaseholder optional, any other name is skipped (default: ${DEFAULT-VALUE}).")
  String columns = "start,end,replicas,leaseholder";

  @Option(
      names = "--format",
      paramLabel = "auto|mysql|csv",
      defaultValue = "auto",
      description = "With --from-csv: the dialect; auto: a tab in the first line means mysql.")
  String format = "auto";

  @Option(
      names = "--keys",
      paramLabel = "text|hex",
      defaultValue = "text",
      description =
          "With --from-csv: keys are text (the field's bytes) or hex (an optional \\x or 0x prefix"
              + " is accepted); an empty or NULL end is the end of the keyspace.")
  String keys = "text";

  @Option(names = "--header", description = "With --from-csv: the first line names the columns.")
  boolean header;

  @Option(names = "--quiet", description = "No progress on stderr.")
  boolean quiet;

  @Override
  public Integer call() throws IOException {
    if ((in == null) == (csv == null))
      throw new ParameterException(
          spec.commandLine(), "give exactly one of --in FILE (a dump) or --from-csv FILE");
    PrintWriter err = spec.commandLine().getErr();
    ProgressReporter bar = quiet ? null : ProgressReporter.forConsole(err);
    Progress progress = bar == null ? Progress.NONE : bar;
    return in != null ? dump(in, progress, bar) : table(csv, progress, bar);
  }

  private int dump(Path file, Progress progress, @Nullable ProgressReporter bar)
      throws IOException {
    long t0 = System.nanoTime();
    MetaDump.Parsed parsed;
    progress.phase("check", -1);
    try (BufferedReader r =
        new BufferedReader(
            new InputStreamReader(Files.newInputStream(file), StandardCharsets.ISO_8859_1),
            1 << 20)) {
      parsed = MetaDump.read(r, progress::at);
    } catch (java.nio.file.NoSuchFileException e) {
      throw new CliException(2, "--in " + file + ": no such file");
    }
    if (bar != null) bar.finish();
    refuse(file, parsed.problems());
    MetaDump dump = parsed.dump();
    try (MetaSession session = MetaSession.open(spec)) {
      boolean resumed =
          new CatalogRestore(session.catalog())
              .restore(session.db(), dump, parsed.sha256(), file.toString(), progress);
      if (bar != null) bar.finish();
      report(
          session,
          file,
          resumed,
          t0,
          dump.records(),
          ExportCommand.counts(dump),
          Json.object()
              .put("ranges", dump.ranges().size())
              .put("leases", dump.leases())
              .put("nodes", dump.nodes().size())
              .put("ops", dump.ops().size())
              .put("config", dump.config().size()));
      return 0;
    }
  }

  private int table(Path file, Progress progress, @Nullable ProgressReporter bar)
      throws IOException {
    long t0 = System.nanoTime();
    RangeTable.Options options;
    try {
      options =
          new RangeTable.Options(
              switch (format.toLowerCase(Locale.ROOT)) {
                case "auto" -> null;
                case "mysql" -> RangeTable.Format.MYSQL;
                case "csv" -> RangeTable.Format.CSV;
                default ->
                    throw new IllegalArgumentException(
                        "--format must be auto, mysql or csv, got '" + format + "'");
              },
              switch (keys.toLowerCase(Locale.ROOT)) {
                case "text" -> RangeTable.Keys.TEXT;
                case "hex" -> RangeTable.Keys.HEX;
                default ->
                    throw new IllegalArgumentException(
                        "--keys must be text or hex, got '" + keys + "'");
              },
              List.of(columns.trim().split("\\s*,\\s*")),
              header);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (java.nio.file.NoSuchFileException e) {
      throw new CliException(2, "--from-csv " + file + ": no such file");
    }
    RangeTable.Parsed parsed = RangeTable.parse(bytes, options);
    try (MetaSession session = MetaSession.open(spec)) {
      RangeTableImport importer = new RangeTableImport(session.catalog());
      List<ImportProblem> problems = new ArrayList<>(parsed.problems());
      problems.addAll(importer.check(session.db(), parsed.rows()));
      problems.sort(Comparator.comparingLong(ImportProblem::line));
      refuse(file, problems);
      boolean resumed = importer.importTable(session.db(), parsed, file.toString(), progress);
      if (bar != null) bar.finish();
      long leases = parsed.rows().stream().filter(r -> r.leaseholder() != null).count();
      report(
          session,
          file,
          resumed,
          t0,
          parsed.rows().size() + leases,
          parsed.rows().size() + " ranges, " + leases + " leases",
          Json.object().put("ranges", parsed.rows().size()).put("leases", leases));
      return 0;
    }
  }

  /** Prints every problem, one line each, and fails with exit 2 if there is any. */
  private void refuse(Path file, List<ImportProblem> problems) {
    if (problems.isEmpty()) return;
    PrintWriter err = spec.commandLine().getErr();
    for (ImportProblem p : problems)
      err.println(file + ":" + (p.line() > 0 ? p.line() + ": " : " ") + p.message());
    err.flush();
    throw new CliException(
        2,
        file
            + ": "
            + problems.size()
            + (problems.size() >= ImportProblem.MAX ? "+" : "")
            + " problem"
            + (problems.size() == 1 ? "" : "s")
            + "; nothing was written");
  }

  private void report(
      MetaSession session,
      Path file,
      boolean resumed,
      long t0,
      long records,
      String counts,
      Json json) {
    double secs = (System.nanoTime() - t0) / 1e9;
    PrintWriter o = spec.commandLine().getOut();
    if (output.json) {
      o.println(
          json.put("store", session.storeDescription())
              .put("cluster", session.cluster())
              .put("file", file.toString())
              .put("resumed", resumed)
              .put("records", records)
              .put("seconds", secs)
              .put("recordsPerSecond", records / secs));
    } else {
      o.println(
          (resumed ? "finished the interrupted import of " : "imported ")
              + file
              + " into cluster '"
              + session.cluster()
              + "' ("
              + session.storeDescription()
              + "): "
              + counts);
      o.println(
          String.format(
              Locale.ROOT, "%d records in %.1fs (%.0f records/s)", records, secs, records / secs));
    }
    o.flush();
  }
}
