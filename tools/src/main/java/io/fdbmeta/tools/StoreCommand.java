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
    description = "Serve an embedded store to other processes, or look after its directory.",
    subcommands = {StoreServeCommand.class, StoreSalvageCommand.class})
final class StoreCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(), "missing command: serve or salvage");
  }
}
