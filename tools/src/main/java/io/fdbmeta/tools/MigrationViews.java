package io.fdbmeta.tools;

import io.fdbmeta.layer.Migration;
import io.fdbmeta.layer.MigrationProgress;
import io.fdbmeta.layer.Migrations;
import io.fdbmeta.layer.SchemaVersion;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

/** How the migrate commands print: status and plan tables, and a run's lines. */
final class MigrationViews {
  private MigrationViews() {}

  static void printStatus(PrintWriter out, Migrations.Status s, Migrations migrations) {
    List<Migration> pending = migrations.pending(s.schemaVersion());
    out.println(
        "schema version "
            + s.schemaVersion()
            + " (this binary knows "
            + SchemaVersion.OLDEST
            + " to "
            + SchemaVersion.LATEST
            + "); pending: "
            + (pending.isEmpty()
                ? "none"
                : String.join(", ", pending.stream().map(Migration::id).toList())));
    if (s.migrations().isEmpty()) return;
    Table t = new Table("MIGRATION", "STATE", "PASS", "REWRITTEN", "UPDATED", "DETAIL");
    for (MigrationProgress p : s.migrations())
      t.row(
          p.id(),
          p.state().name().toLowerCase(Locale.ROOT),
          p.pass(),
          p.rewritten(),
          Instant.ofEpochMilli(p.updatedAt()),
          p.detail());
    t.print(out);
  }

  static void printPlan(PrintWriter out, long version, List<Migrations.Plan> plan) {
    if (plan.isEmpty()) {
      out.println("schema version " + version + ": nothing to migrate");
      return;
    }
    Table t = new Table("MIGRATION", "FROM", "TO", "RECORDS", "TO REWRITE", "NOT YET");
    for (Migrations.Plan p : plan)
      t.row(
          p.migration().id(),
          p.migration().from(),
          p.migration().to(),
          p.records(),
          p.toRewrite(),
          p.later());
    t.print(out);
    for (Migrations.Plan p : plan)
      out.println(p.migration().id() + ": " + p.migration().description());
  }

  /**
   * A listener printing a line per note on {@code out}, and each pass's progress on {@code err}
   * (ProgressReporter: a bar with rate and ETA on a terminal, plain lines otherwise).
   */
  static Migrations.Listener lines(PrintWriter out, PrintWriter err) {
    ProgressReporter progress = ProgressReporter.forConsole(err);
    return new Migrations.Listener() {
      private String phase = "";

      @Override
      public void progress(Migration m, MigrationProgress p, long total) {
        String now = m.id() + " " + p.state().name().toLowerCase(Locale.ROOT) + " pass " + p.pass();
        if (!now.equals(phase)) {
          phase = now;
          progress.phase(now, total);
        }
        progress.at(p.scanned());
      }

      @Override
      public void note(String line) {
        progress.finish();
        phase = "";
        out.println(line);
        out.flush();
      }
    };
  }
}
