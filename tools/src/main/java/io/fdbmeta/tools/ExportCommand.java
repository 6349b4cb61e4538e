package io.fdbmeta.tools;

import io.fdbmeta.layer.CatalogExport;
import io.fdbmeta.layer.MetaDump;
import io.fdbmeta.layer.Progress;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code fdbmeta export --out FILE}: every record of the cluster as of one read version, in the
 * dump format of {@link MetaDump} (README: "Export and import"). The file appears only once it is
 * complete: it is written as FILE.partial and renamed.
 */
@Command(
    name = "export",
    mixinStandardHelpOptions = true,
    description =
        "Write every record of the cluster (ranges, leases, nodes, config, ops, schema version) as of"
            + " one read version to FILE, one record per line, with counts and a SHA-256 at the end."
            + " Reads in pages; the changelog proves they form one snapshot.")
final class ExportCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin JsonOption output = new JsonOption();

  @Option(names = "--out", required = true, paramLabel = "FILE", description = "The dump to write.")
  Path out;

  @Option(names = "--force", description = "Replace FILE if it exists.")
  boolean force;

  @Option(
      names = "--page-size",
      paramLabel = "N",
      defaultValue = "" + CatalogExport.DEFAULT_PAGE,
      description = "Ranges per read transaction (default: ${DEFAULT-VALUE}).")
  int pageSize;

  @Option(names = "--quiet", description = "No progress on stderr.")
  boolean quiet;

  /** "R ranges, L leases, N nodes, O ops, C config entries" */
  static String counts(MetaDump d) {
    return d.ranges().size()
        + " ranges, "
        + d.leases()
        + " leases, "
        + d.nodes().size()
        + " nodes, "
        + d.ops().size()
        + " ops, "
        + d.config().size()
        + " config entries";
  }

  @Override
  public Integer call() throws IOException {
    if (pageSize < 1 || pageSize > 100_000)
      throw new ParameterException(spec.commandLine(), "--page-size must be in [1, 100000]");
    if (Files.exists(out) && !force)
      throw new CliException(
          2, out + " exists: choose another --out, or add --force to replace it");
    PrintWriter err = spec.commandLine().getErr();
    ProgressReporter bar = quiet ? null : ProgressReporter.forConsole(err);
    Progress progress = bar == null ? Progress.NONE : bar;
    try (MetaSession session = MetaSession.open(spec)) {
      long t0 = System.nanoTime();
      MetaDump dump =
          new CatalogExport(session.keyspace(), pageSize).export(session.db(), progress);
      long read = System.nanoTime();
      progress.phase("write", dump.ranges().size());
      Path partial = out.resolveSibling(out.getFileName() + ".partial");
      String sha;
      try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(partial), 1 << 20)) {
        sha = dump.write(os, progress::at);
      }
      Files.move(partial, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      if (bar != null) bar.finish();
      long t1 = System.nanoTime();
      double secs = (t1 - t0) / 1e9;
      PrintWriter o = spec.commandLine().getOut();
      if (output.json) {
        o.println(
            Json.object()
                .put("store", session.storeDescription())
                .put("cluster", session.cluster())
                .put("file", out.toString())
                .put("readVersion", dump.readVersion())
                .put("ranges", dump.ranges().size())
                .put("leases", dump.leases())
                .put("nodes", dump.nodes().size())
                .put("ops", dump.ops().size())
                .put("config", dump.config().size())
                .put("records", dump.records())
                .put("sha256", sha)
                .put("readSeconds", (read - t0) / 1e9)
                .put("seconds", secs)
                .put("recordsPerSecond", dump.records() / secs));
      } else {
        o.println(
            "exported cluster '"
                + session.cluster()
                + "' ("
                + session.storeDescription()
                + ") as of read version "
                + dump.readVersion()
                + " to "
                + out
                + ": "
                + counts(dump));
        o.println(
            String.format(
                java.util.Locale.ROOT,
                "%d records in %.1fs (%.0f records/s), sha256 %s",
                dump.records(),
                secs,
                dump.records() / secs,
                sha));
      }
      o.flush();
      return 0;
    }
  }
}
