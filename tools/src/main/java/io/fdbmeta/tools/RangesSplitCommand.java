package io.fdbmeta.tools;

import com.apple.foundationdb.tuple.ByteArrayUtil;
import io.fdbmeta.layer.RangeCatalog;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fdbmeta ranges split RANGE_ID KEY}: both phases of a split, for operators. */
@Command(
    name = "split",
    mixinStandardHelpOptions = true,
    description =
        "Split range RANGE_ID at KEY into [start, KEY) and [KEY, end), both at the next generation. "
            + "KEY must lie strictly inside the range.")
final class RangesSplitCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin JsonOption output = new JsonOption();

  @Parameters(
      index = "0",
      paramLabel = "RANGE_ID",
      description = "The range to split (see 'fdbmeta ranges list').")
  long rangeId;

  @Parameters(
      index = "1",
      paramLabel = "KEY",
      description = "The split key, as UTF-8 text (or hex bytes with --hex).")
  String key = "";

  @Option(names = "--hex", description = "KEY is hex bytes, e.g. 00ff6b.")
  boolean hex;

  @Override
  public Integer call() {
    byte[] k = KeyArgs.parse(spec, key, hex);
    try (MetaSession session = MetaSession.open(spec)) {
      RangeCatalog.SplitResult r = session.catalog().split(session.db(), rangeId, k);
      PrintWriter out = spec.commandLine().getOut();
      if (output.json) {
        out.println(
            Json.object()
                .put("splitRangeId", rangeId)
                .put("key", ByteArrayUtil.printable(k))
                .put("keyHex", Keys.hex(k))
                .put("left", Views.rangeJson(r.left()))
                .put("right", Views.rangeJson(r.right())));
      } else {
        out.println("split range " + rangeId + " at " + Keys.quoted(k) + " into:");
        out.println("  " + Views.rangeLine(r.left()));
        out.println("  " + Views.rangeLine(r.right()));
      }
      out.flush();
      return 0;
    }
  }
}
