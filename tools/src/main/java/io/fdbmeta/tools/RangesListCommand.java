package io.fdbmeta.tools;

import io.fdbmeta.layer.RangeDescriptor;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code fdbmeta ranges list}: every range in key order, read a page per transaction. */
@Command(
    name = "list",
    mixinStandardHelpOptions = true,
    description =
        "List ranges in key order: id, [start, end) (∞: no end), generation, replicas, leaseholder, lease epoch.")
final class RangesListCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin JsonOption output = new JsonOption();

  @Option(
      names = "--limit",
      paramLabel = "N",
      description = "Show at most N ranges (default: all).")
  @Nullable Integer limit;

  @Override
  public Integer call() {
    if (limit != null && limit < 1)
      throw new ParameterException(spec.commandLine(), "--limit must be at least 1, got " + limit);
    int max = limit == null ? Integer.MAX_VALUE : limit;
    try (MetaSession session = MetaSession.open(spec)) {
      Paging.Collected<RangeDescriptor> read =
          Paging.collect((cursor, n) -> session.catalog().list(session.db(), cursor, n), max);
      List<RangeDescriptor> ranges = read.items();
      boolean more = read.more();
      if (ranges.isEmpty()) {
        throw new CliException(
            ErrorHandlers.FAILURE,
            "cluster '" + session.cluster() + "' has no ranges; run init first");
      }
      print(ranges, more);
      return 0;
    }
  }

  private void print(List<RangeDescriptor> ranges, boolean more) {
    PrintWriter out = spec.commandLine().getOut();
    if (output.json) {
      List<Object> items = Json.list();
      for (RangeDescriptor d : ranges) items.add(Views.rangeJson(d));
      out.println(
          Json.object().put("count", ranges.size()).put("truncated", more).put("ranges", items));
    } else {
      Table table = new Table(Views.RANGE_HEADER);
      for (RangeDescriptor d : ranges) table.row(Views.rangeRow(d));
      table.print(out);
      out.println(
          ranges.size()
              + (ranges.size() == 1 ? " range" : " ranges")
              + (more ? " shown; more exist (raise --limit)" : ""));
    }
    out.flush();
  }
}
