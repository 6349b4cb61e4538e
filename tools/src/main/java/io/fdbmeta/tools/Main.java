package io.fdbmeta.tools;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code fdbmeta} command. Global options ({@link StoreOptions}) are inherited, so they may be
 * given before or after a subcommand. Exit codes: 0 success, 1 failure at run time, 2 bad usage.
 */
@Command(
    name = "fdbmeta",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description =
        "Metadata control plane of a range-sharded storage system, built as a FoundationDB layer.",
    subcommands = {
      DemoCommand.class,
      InitCommand.class,
      StatusCommand.class,
      NodesCommand.class,
      RangesCommand.class,
      PlanCommand.class,
      ExportCommand.class,
      ImportCommand.class,
      PingCommand.class,
      SimCommand.class,
      BenchCommand.class,
      StoreCommand.class,
      ControllerCommand.class,
      RouterCommand.class,
      NodeCommand.class,
      PlaygroundCommand.class,
      CertsCommand.class,
      UsersCommand.class,
      MigrateCommand.class
    })
public final class Main implements Callable<Integer> {
  @Mixin StoreOptions store = new StoreOptions();

  @Option(
      names = "--json",
      description =
          "Print one JSON object (one line) instead of text, for the commands that can; also"
              + " accepted after the command name.")
  boolean json;

  @Spec CommandSpec spec;

  private final Map<String, String> env;

  Main(Map<String, String> env) {
    this.env = env;
  }

  public static void main(String[] args) {
    PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
    PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
    System.exit(run(args, out, err, System.getenv()));
  }

  /** Runs one command line and returns its exit code; never calls {@link System#exit}. */
  public static int run(String[] args, PrintWriter out, PrintWriter err, Map<String, String> env) {
    return commandLine(out, err, env).execute(args);
  }

  static CommandLine commandLine(PrintWriter out, PrintWriter err, Map<String, String> env) {
    CommandLine cmd = new CommandLine(new Main(env));
    cmd.setOut(out);
    cmd.setErr(err);
    cmd.setDefaultValueProvider(new ConfigFile.DefaultsFromFile());
    cmd.setExecutionStrategy(ErrorHandlers::validateThenRun);
    cmd.setParameterExceptionHandler(ErrorHandlers::onParameterError);
    cmd.setExecutionExceptionHandler(ErrorHandlers::onExecutionError);
    return cmd;
  }

  /** The global store options of the command line {@code spec} belongs to. */
  static StoreOptions storeOptions(CommandSpec spec) {
    return ((Main) spec.root().userObject()).store;
  }

  /** The environment the command line runs in (System.getenv() outside tests). */
  static Map<String, String> env(CommandSpec spec) {
    return ((Main) spec.root().userObject()).env;
  }

  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(), "missing command");
  }
}
