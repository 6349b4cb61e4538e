package io.fdbmeta.tools;

import io.fdbmeta.layer.Migrations;
import io.fdbmeta.layer.SchemaVersion;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code fdbmeta migrate run}: every pending migration to its swap (the layer's Migrations). */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = {
      "Run every pending migration to the newest schema version this binary knows, while the"
          + " cluster serves. Resumes a migration already under way (also after kill -9). Progress"
          + " with rate and ETA; one line per pass, the catch-up and the swap.",
      "Every fdbmeta process writing to the cluster must run this version or later."
    })
final class MigrateRunCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--rate",
      paramLabel = "N",
      defaultValue = "0",
      description = "At most N records a second (default: no limit).")
  long rate;

  @Option(
      names = "--batch",
      paramLabel = "N",
      defaultValue = "" + Migrations.BATCH,
      description =
          "Records per transaction (default: ${DEFAULT-VALUE}; smaller batches conflict less with a"
              + " busy cluster's own writes).")
  int batch = Migrations.BATCH;

  @Override
  public Integer call() throws InterruptedException {
    if (rate < 0) throw new ParameterException(spec.commandLine(), "--rate must be 0 or more");
    if (batch < 1 || batch > 10_000)
      throw new ParameterException(spec.commandLine(), "--batch must be 1 to 10000");
    try (MetaSession session = MetaSession.open(spec)) {
      PrintWriter out = spec.commandLine().getOut();
      Migrations migrations = new Migrations(session.keyspace(), session.config()).withBatch(batch);
      long before = migrations.status(session.db()).schemaVersion();
      if (before == SchemaVersion.LATEST) {
        out.println("schema version " + before + ": nothing to migrate");
        return 0;
      }
      long after =
          migrations.run(
              session.db(), rate, MigrationViews.lines(out, spec.commandLine().getErr()));
      out.println("schema version " + before + " -> " + after);
      return 0;
    }
  }
}
