package io.fdbmeta.tools;

import io.fdbmeta.layer.NodeRecord;
import io.fdbmeta.layer.NodeStatus;
import io.fdbmeta.layer.RangeDescriptor;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code fdbmeta ranges place}: the first replicas of ranges that have none (InitialPlacement). */
@Command(
    name = "place",
    mixinStandardHelpOptions = true,
    description = {
      "Give every range that has no replica (a fresh cluster's) its replicas on live registered"
          + " nodes, spread over zones, and a leaseholder. Ranges with replicas are left to the"
          + " controller. Safe to run again.",
      "Start the nodes first: 'fdbmeta init', then 'fdbmeta node' processes, then this."
    })
final class RangesPlaceCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin JsonOption output = new JsonOption();

  @Option(
      names = "--replication",
      paramLabel = "N",
      defaultValue = "3",
      description =
          "Replicas per range (default: ${DEFAULT-VALUE}; fewer if fewer nodes are live).")
  int replication = 3;

  @Override
  public Integer call() {
    if (replication < 1)
      throw new ParameterException(
          spec.commandLine(), "--replication must be at least 1, got " + replication);
    try (MetaSession session = MetaSession.open(spec)) {
      List<NodeRecord> live = new ArrayList<>();
      for (NodeRecord n :
          Paging.collect(
                  (cursor, k) -> session.registry().list(session.db(), cursor, k),
                  Integer.MAX_VALUE)
              .items()) if (n.status() == NodeStatus.LIVE) live.add(n);
      List<RangeDescriptor> ranges =
          Paging.collect(
                  (cursor, k) -> session.catalog().list(session.db(), cursor, k), Integer.MAX_VALUE)
              .items();
      List<RangeDescriptor> placed = new ArrayList<>();
      int i = 0;
      for (RangeDescriptor d : ranges) {
        if (!d.replicas().isEmpty()) continue;
        if (live.isEmpty())
          throw new CliException(
              1,
              "no live node to place range "
                  + d.rangeId()
                  + " on; start 'fdbmeta node' processes first");
        placed.add(
            InitialPlacement.place(
                session.db(),
                session.catalog(),
                d,
                InitialPlacement.choose(live, i++, replication)));
      }
      print(placed, ranges.size());
      return 0;
    }
  }

  private void print(List<RangeDescriptor> placed, int total) {
    PrintWriter out = spec.commandLine().getOut();
    if (output.json) {
      List<Object> items = Json.list();
      for (RangeDescriptor d : placed) items.add(Views.rangeJson(d));
      out.println(Json.object().put("placed", items).put("ranges", total));
    } else {
      for (RangeDescriptor d : placed) out.println("placed " + Views.rangeLine(d));
      out.println(
          placed.isEmpty()
              ? "every one of the " + total + " ranges has replicas; nothing changed"
              : "placed " + placed.size() + " of " + total + " ranges");
    }
    out.flush();
  }
}
