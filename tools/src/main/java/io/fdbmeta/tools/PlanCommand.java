package io.fdbmeta.tools;

import com.apple.foundationdb.tuple.ByteArrayUtil;
import io.fdbmeta.layer.control.Controller;
import io.fdbmeta.layer.control.ControllerConfig;
import io.fdbmeta.layer.control.ControllerPlan;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code fdbmeta plan}: what the controller would do now, without doing it. */
@Command(
    name = "plan",
    mixinStandardHelpOptions = true,
    description =
        "Dry run of the controller on the store: nodes it would mark dead, leases it would move, replica moves"
            + " (re-creations and rebalancing), splits, merges, and placement constraints it cannot meet. Changes nothing"
            + " and does not take the controller lease.")
final class PlanCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin JsonOption output = new JsonOption();

  @Override
  public Integer call() {
    try (MetaSession session = MetaSession.open(spec)) {
      ControllerPlan p =
          Controller.plan(
              session.db(), session.keyspace(), session.config(), ControllerConfig.defaults());
      PrintWriter out = spec.commandLine().getOut();
      if (output.json) {
        out.println(json(p));
      } else {
        out.print(text(p));
      }
      out.flush();
      return 0;
    }
  }

  static String text(ControllerPlan p) {
    StringBuilder sb = new StringBuilder();
    if (p.isEmpty())
      return "nothing to do: no expired node, no imbalance beyond the thresholds, no hot or cold range to split or merge\n";
    for (ControllerPlan.DeadNode d : p.markDead())
      sb.append("mark dead   ")
          .append(d.nodeId())
          .append(" (incarnation ")
          .append(d.incarnation())
          .append(", liveness expired at ")
          .append(Instant.ofEpochMilli(d.livenessExpiredAt()))
          .append(")\n");
    for (ControllerPlan.LeaseMove m : p.leaseMoves())
      sb.append("move lease  range ")
          .append(m.rangeId())
          .append(": ")
          .append(m.from())
          .append(" -> ")
          .append(m.to())
          .append('\n');
    for (ControllerPlan.ReplicaMove m : p.moves())
      sb.append("move        range ")
          .append(m.rangeId())
          .append(": ")
          .append(m.from())
          .append(" -> ")
          .append(m.to())
          .append(" (")
          .append(m.reason())
          .append(")\n");
    for (ControllerPlan.Split s : p.splits())
      sb.append("split       range ")
          .append(s.rangeId())
          .append(" at ")
          .append(ByteArrayUtil.printable(s.key()))
          .append(" (")
          .append(s.why())
          .append(")\n");
    for (ControllerPlan.Merge m : p.merges())
      sb.append("merge       ranges ")
          .append(m.leftId())
          .append(" + ")
          .append(m.rightId())
          .append('\n');
    for (ControllerPlan.Unsatisfiable u : p.unsatisfiable()) {
      sb.append("UNSATISFIABLE range ")
          .append(u.rangeId())
          .append(": ")
          .append(u.what())
          .append(": ")
          .append(u.constraint())
          .append(": ")
          .append(u.why())
          .append('\n');
    }
    return sb.toString();
  }

  static Json json(ControllerPlan p) {
    List<Object> dead = Json.list();
    p.markDead()
        .forEach(
            d ->
                dead.add(
                    Json.object()
                        .put("node", d.nodeId())
                        .put("incarnation", d.incarnation())
                        .put("livenessExpiredAt", d.livenessExpiredAt())));
    List<Object> leases = Json.list();
    p.leaseMoves()
        .forEach(
            m ->
                leases.add(
                    Json.object()
                        .put("range", m.rangeId())
                        .put("from", m.from())
                        .put("to", m.to())));
    List<Object> moves = Json.list();
    p.moves()
        .forEach(
            m ->
                moves.add(
                    Json.object()
                        .put("range", m.rangeId())
                        .put("from", m.from())
                        .put("to", m.to())
                        .put("reason", m.reason())));
    List<Object> splits = Json.list();
    p.splits()
        .forEach(
            s ->
                splits.add(
                    Json.object()
                        .put("range", s.rangeId())
                        .put("key", ByteArrayUtil.printable(s.key()))
                        .put("why", s.why())));
    List<Object> merges = Json.list();
    p.merges()
        .forEach(m -> merges.add(Json.object().put("left", m.leftId()).put("right", m.rightId())));
    List<Object> unsat = Json.list();
    p.unsatisfiable()
        .forEach(
            u ->
                unsat.add(
                    Json.object()
                        .put("range", u.rangeId())
                        .put("node", u.node())
                        .put("what", u.what())
                        .put("constraint", u.constraint())
                        .put("why", u.why())));
    return Json.object()
        .put("markDead", dead)
        .put("leaseMoves", leases)
        .put("moves", moves)
        .put("splits", splits)
        .put("merges", merges)
        .put("unsatisfiable", unsat);
  }
}
