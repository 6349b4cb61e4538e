package io.fdbmeta.tools;

import io.fdbmeta.layer.NodeRecord;
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

/** {@code fdbmeta nodes list}: every registered node in id order, read a page per transaction. */
@Command(
    name = "list",
    mixinStandardHelpOptions = true,
    description =
        "List nodes in id order: address, region/zone/rack, status, incarnation, capacity, liveness.")
final class NodesListCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin JsonOption output = new JsonOption();

  @Option(names = "--limit", paramLabel = "N", description = "Show at most N nodes (default: all).")
  @Nullable Integer limit;

  @Override
  public Integer call() {
    if (limit != null && limit < 1)
      throw new ParameterException(spec.commandLine(), "--limit must be at least 1, got " + limit);
    int max = limit == null ? Integer.MAX_VALUE : limit;
    try (MetaSession session = MetaSession.open(spec)) {
      Paging.Collected<NodeRecord> read =
          Paging.collect((cursor, n) -> session.registry().list(session.db(), cursor, n), max);
      List<NodeRecord> nodes = read.items();
      boolean more = read.more();
      print(nodes, more, session.now());
      return 0;
    }
  }

  private void print(List<NodeRecord> nodes, boolean more, long now) {
    PrintWriter out = spec.commandLine().getOut();
    if (output.json) {
      List<Object> items = Json.list();
      for (NodeRecord n : nodes) items.add(Views.nodeJson(n, now));
      out.println(
          Json.object().put("count", nodes.size()).put("truncated", more).put("nodes", items));
    } else if (nodes.isEmpty()) {
      out.println(
          "no nodes; add one with 'fdbmeta nodes add ID --addr HOST:PORT --zone Z --rack R'");
    } else {
      Table table = new Table(Views.NODE_HEADER);
      for (NodeRecord n : nodes) table.row(Views.nodeRow(n, now));
      table.print(out);
      out.println(
          nodes.size()
              + (nodes.size() == 1 ? " node" : " nodes")
              + (more ? " shown; more exist (raise --limit)" : ""));
    }
    out.flush();
  }
}
