package io.fdbmeta.tools;

import io.fdbmeta.layer.RangeDescriptor;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fdbmeta ranges merge LEFT_ID RIGHT_ID}: joins two adjacent ranges into the left one. */
@Command(
    name = "merge",
    mixinStandardHelpOptions = true,
    description =
        "Merge range RIGHT_ID into the range LEFT_ID that ends where it starts. Both must have the same replicas; "
            + "the merged range keeps LEFT_ID and its lease.")
final class RangesMergeCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin JsonOption output = new JsonOption();

  @Parameters(index = "0", paramLabel = "LEFT_ID", description = "The left range.")
  long leftId;

  @Parameters(
      index = "1",
      paramLabel = "RIGHT_ID",
      description = "The right range, starting where LEFT_ID ends.")
  long rightId;

  @Override
  public Integer call() {
    try (MetaSession session = MetaSession.open(spec)) {
      RangeDescriptor merged = session.catalog().merge(session.db(), leftId, rightId);
      PrintWriter out = spec.commandLine().getOut();
      if (output.json) {
        out.println(
            Json.object()
                .put("leftRangeId", leftId)
                .put("rightRangeId", rightId)
                .put("range", Views.rangeJson(merged)));
      } else {
        out.println("merged range " + rightId + " into " + Views.rangeLine(merged));
      }
      out.flush();
      return 0;
    }
  }
}
