package io.fdbmeta.tools;

import java.time.Duration;
import java.util.Objects;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The command line that reproduces a run, for the benches' reports: the command, then each of its
 * own options whose value differs from the field's initial value, in declaration order. Defaults
 * therefore live once, in the option fields.
 */
final class Reproduce {
  private Reproduce() {}

  static String commandLine(CommandSpec spec, String command) {
    StringBuilder sb = new StringBuilder(command);
    for (OptionSpec o : spec.options()) {
      if (o.usageHelp() || o.versionHelp() || o.inherited()) continue;
      Object value = o.getValue();
      if (Objects.equals(value, o.initialValue())) continue;
      sb.append(' ').append(o.longestName());
      if (!(value instanceof Boolean)) sb.append(' ').append(format(value));
    }
    return sb.toString();
  }

  private static String format(Object value) {
    return value instanceof Duration d ? d.toMillis() + "ms" : String.valueOf(value);
  }
}
