package io.fdbmeta.tools;

import com.apple.foundationdb.tuple.Versionstamp;
import io.fdbmeta.layer.ClusterStats;
import io.fdbmeta.layer.ImportMarker;
import io.fdbmeta.layer.NodeStatus;
import io.fdbmeta.layer.Versionstamps;
import java.io.PrintWriter;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code fdbmeta status}: one screen about the store and the cluster's metadata. */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description =
        "Summarise the store and the cluster: ranges, nodes by status, meta_version, changelog.")
final class StatusCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin JsonOption output = new JsonOption();

  @Override
  public Integer call() {
    try (MetaSession session = MetaSession.open(spec)) {
      ClusterStats.Summary s = session.stats().summary(session.db());
      ImportMarker pending = ImportMarker.get(session.db(), session.keyspace());
      PrintWriter out = spec.commandLine().getOut();
      if (output.json) {
        Json nodes = Json.object().put("total", s.nodes());
        for (Map.Entry<NodeStatus, Long> e : s.nodesByStatus().entrySet())
          nodes.put(e.getKey().name(), e.getValue());
        out.println(
            Json.object()
                .put("store", session.storeDescription())
                .put("cluster", s.cluster())
                .put("initialised", s.bootstrapped())
                .put("schemaVersion", s.schemaVersion())
                .put(
                    "incompleteImport",
                    pending == null
                        ? null
                        : Json.object()
                            .put("kind", pending.kind())
                            .put("source", pending.source())
                            .put("sha256", pending.sha256())
                            .put("ranges", pending.ranges()))
                .put("ranges", s.ranges())
                .put("nodes", nodes)
                .put("metaVersion", hex(s.metaVersion()))
                .put(
                    "changelog",
                    Json.object()
                        .put("entries", s.changelogEntries())
                        .put("oldest", position(s.oldestChange()))
                        .put("newest", position(s.newestChange()))
                        .put("floor", floor(s.changelogFloor()))));
      } else {
        StringJoiner byStatus = new StringJoiner(", ");
        s.nodesByStatus().forEach((status, n) -> byStatus.add(status.name() + " " + n));
        Table t = new Table("store:", session.storeDescription());
        t.row("cluster:", s.cluster());
        t.row(
            "initialised:",
            s.bootstrapped()
                ? "yes (schema version " + s.schemaVersion() + ")"
                : "no: run 'fdbmeta init'");
        if (pending != null)
          t.row(
              "import:",
              "INCOMPLETE: the "
                  + pending.kind()
                  + " import of "
                  + pending.source()
                  + " ("
                  + pending.ranges()
                  + " ranges) did not finish; run the same 'fdbmeta import' again to finish it");
        t.row("ranges:", s.ranges());
        t.row("nodes:", s.nodes() + " (" + byStatus + ")");
        t.row(
            "meta_version:",
            s.metaVersion() == null ? "none (no routing change yet)" : hex(s.metaVersion()));
        t.row(
            "changelog:",
            s.changelogEntries()
                + " entries"
                + (s.oldestChange() == null
                    ? ""
                    : ", oldest "
                        + position(s.oldestChange())
                        + ", newest "
                        + position(s.newestChange()))
                + ", floor "
                + (s.changelogFloor() == null
                    ? "none (never trimmed)"
                    : floor(s.changelogFloor())));
        t.print(out);
      }
      out.flush();
      return 0;
    }
  }

  private static @Nullable String hex(byte @Nullable [] bytes) {
    return bytes == null ? null : Keys.hex(bytes);
  }

  /** The stored changelog floor as a position, like the entries' (or null if never set). */
  private static @Nullable String floor(byte @Nullable [] stored) {
    return stored == null ? null : position(Versionstamps.decodePosition(stored));
  }

  /**
   * A changelog position as hex: 10-byte commit versionstamp, then the 2-byte order within the
   * commit.
   */
  private static @Nullable String position(@Nullable Versionstamp v) {
    return v == null ? null : Keys.hex(v.getBytes());
  }
}
