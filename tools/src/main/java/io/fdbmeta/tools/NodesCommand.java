package io.fdbmeta.tools;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code fdbmeta nodes}: groups the node registry commands. */
@Command(
    name = "nodes",
    mixinStandardHelpOptions = true,
    description = "Add and list storage nodes.",
    subcommands = {NodesAddCommand.class, NodesListCommand.class})
final class NodesCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(), "missing command: add or list");
  }
}
