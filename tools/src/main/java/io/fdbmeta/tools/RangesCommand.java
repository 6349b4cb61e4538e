package io.fdbmeta.tools;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code fdbmeta ranges}: groups the range catalog commands. */
@Command(
    name = "ranges",
    mixinStandardHelpOptions = true,
    description = "List, look up, split and merge key ranges.",
    subcommands = {
      RangesListCommand.class,
      RangesLookupCommand.class,
      RangesSplitCommand.class,
      RangesMergeCommand.class,
      RangesPlaceCommand.class
    })
final class RangesCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    throw new ParameterException(
        spec.commandLine(), "missing command: list, lookup, split, merge or place");
  }
}
