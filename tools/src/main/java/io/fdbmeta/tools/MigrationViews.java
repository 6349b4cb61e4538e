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
    out.println(
        "schema version "
            + s.schemaVersion()
            + " (this binary knows "
            + SchemaVersion.OLDEST
            + " to "
            + SchemaVersion.LATEST
            + "); pending: "
            + (migrations.pending(s.schemaVersion()).isEmpty()
                ? "none"
                : String.join(
                    ", ",
                    migrations.pending(s.schemaVersion()).stream().map(Migration::id).toList())));
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

  /** A listener printing a line per note, and progress with rate and ETA every 2 s. */
  static Migrations.Listener lines(PrintWriter out) {
    return new Migrations.Listener() {
      private final long started = System.nanoTime();
      private long lastPrint = started;

      @Override
      public void progress(Migration m, MigrationProgress p, long total) {
        long now = System.nanoTime();
        if (now - lastPrint < 2_000_000_000L || total == 0) return;
        lastPrint = now;
        double seconds = (now - started) / 1e9;
        double rate = p.scanned() / Math.max(seconds, 1e-3);
        long left = Math.max(0, total - p.scanned());
        out.printf(
            Locale.ROOT,
            "%s: pass %d, %s %,d of %,d records (%.0f%%), %,.0f records/s, ETA %.0f s%n",
            m.id(),
            p.pass(),
            p.state().name().toLowerCase(Locale.ROOT),
            p.scanned(),
            total,
            100.0 * p.scanned() / total,
            rate,
            rate > 0 ? left / rate : 0);
        out.flush();
      }

      @Override
      public void note(String line) {
        out.println(line);
        out.flush();
      }
    };
  }
}
