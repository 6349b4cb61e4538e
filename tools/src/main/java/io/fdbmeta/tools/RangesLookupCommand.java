package io.fdbmeta.tools;

import com.apple.foundationdb.tuple.ByteArrayUtil;
import io.fdbmeta.layer.RangeDescriptor;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fdbmeta ranges lookup KEY}: the range that holds a key. */
@Command(
    name = "lookup",
    mixinStandardHelpOptions = true,
    description = "Show the range that holds KEY.")
final class RangesLookupCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin JsonOption output = new JsonOption();

  @Parameters(paramLabel = "KEY", description = "The key, as UTF-8 text (or hex bytes with --hex).")
  String key = "";

  @Option(names = "--hex", description = "KEY is hex bytes, e.g. 00ff6b.")
  boolean hex;

  @Override
  public Integer call() {
    byte[] k = KeyArgs.parse(spec, key, hex);
    try (MetaSession session = MetaSession.open(spec)) {
      RangeDescriptor d = session.catalog().lookup(session.db(), k);
      PrintWriter out = spec.commandLine().getOut();
      if (output.json) {
        out.println(
            Json.object()
                .put("key", ByteArrayUtil.printable(k))
                .put("keyHex", Keys.hex(k))
                .put("range", Views.rangeJson(d)));
      } else {
        out.println(Keys.quoted(k) + " is in " + Views.rangeLine(d));
      }
      out.flush();
      return 0;
    }
  }
}
