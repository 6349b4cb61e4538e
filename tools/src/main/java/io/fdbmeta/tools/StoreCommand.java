package io.fdbmeta.tools;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code fdbmeta store}: groups the commands that act on an embedded store's files. */
@Command(
    name = "store",
    mixinStandardHelpOptions = true,
    description = "Look after an embedded store's directory.",
    subcommands = {StoreSalvageCommand.class})
final class StoreCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(), "missing command: salvage");
  }
}
