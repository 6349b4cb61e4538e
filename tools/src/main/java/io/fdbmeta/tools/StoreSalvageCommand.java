package io.fdbmeta.tools;

import io.fdbmeta.embedded.EmbeddedFdb;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code fdbmeta store salvage}: makes an embedded store that refuses to open as corrupt open. */
@Command(
    name = "salvage",
    mixinStandardHelpOptions = true,
    description = {
      "Make an embedded store that refuses to open as corrupt open again: keep every commit before"
          + " the first damaged or missing log record, drop the rest, and say what was dropped.",
      "Every file it changes or moves is first copied into DIR/salvage-<time>/. Run it only while"
          + " nothing has the store open. A store that opens as it is is left unchanged."
    })
final class StoreSalvageCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--dir",
      required = true,
      paramLabel = "DIR",
      description = "The embedded store's directory (what --embedded names).")
  Path dir;

  @Override
  public Integer call() {
    EmbeddedFdb.SalvageReport report;
    try {
      report = EmbeddedFdb.salvage(dir);
    } catch (IOException | IllegalStateException e) {
      throw new CliException(1, "cannot salvage " + dir + ": " + e.getMessage(), e);
    }
    PrintWriter out = spec.commandLine().getOut();
    if (report.changes().isEmpty()) {
      out.println("nothing to salvage: " + dir + " opens as it is");
    } else {
      report.changes().forEach(c -> out.println("salvaged " + c));
      out.println("the original files are in " + report.backup());
    }
    out.flush();
    return 0;
  }
}
