package io.fdbmeta.tools;

import com.apple.foundationdb.FDBException;
import io.fdbmeta.layer.FdbErrors;
import io.fdbmeta.layer.MetaException;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Turns every failure into one line on stderr and an exit code: 2 for bad usage, the {@link
 * CliException}'s code, or 1 for anything else. Setting the environment variable {@code
 * FDBMETA_DEBUG} adds the stack trace.
 */
final class ErrorHandlers {
  static final int USAGE = 2;
  static final int FAILURE = 1;

  private ErrorHandlers() {}

  /** Answers --help/--version, then validates the global options, then runs the last subcommand. */
  static int validateThenRun(ParseResult parseResult) {
    Integer helpExit = CommandLine.executeHelpRequest(parseResult);
    if (helpExit != null) return helpExit;
    CommandSpec last = lastSubcommand(parseResult).commandSpec();
    Main.storeOptions(last).validate(last);
    if (((Main) last.root().userObject()).json) JsonOption.of(last).json = true;
    ConfigFile.of(last); // a --config file with an unknown key fails even if every option is given
    return new CommandLine.RunLast().execute(parseResult);
  }

  private static ParseResult lastSubcommand(ParseResult r) {
    while (r.hasSubcommand()) r = r.subcommand();
    return r;
  }

  static int onParameterError(ParameterException ex, String[] args) {
    CommandLine cmd = ex.getCommandLine();
    String name = cmd.getCommandSpec().qualifiedName();
    String message = ex.getMessage();
    if (ex instanceof UnmatchedArgumentException u) {
      List<String> unmatched = u.getUnmatched();
      String first = unmatched.isEmpty() ? "" : unmatched.get(0);
      if (!cmd.getSubcommands().isEmpty() && !first.startsWith("-")) {
        message = "unknown command '" + first + "'";
      } else if (first.startsWith("-")) {
        message = "unknown option '" + first + "'";
      }
      List<String> suggestions = u.getSuggestions();
      if (!suggestions.isEmpty())
        message += "; did you mean " + String.join(" or ", suggestions) + "?";
    }
    PrintWriter err = cmd.getErr();
    err.println(name + ": " + message + " (see '" + name + " --help')");
    err.flush();
    return USAGE;
  }

  static int onExecutionError(Exception ex, CommandLine cmd, ParseResult parseResult) {
    Throwable t = FdbErrors.cause(ex);
    PrintWriter err = cmd.getErr();
    err.println("fdbmeta: " + describe(t));
    if (Main.env(cmd.getCommandSpec()).containsKey("FDBMETA_DEBUG")) t.printStackTrace(err);
    err.flush();
    return t instanceof CliException c ? c.exitCode() : FAILURE;
  }

  static String describe(Throwable t) {
    if (t instanceof CliException || t instanceof MetaException)
      return String.valueOf(t.getMessage());
    if (t instanceof FDBException f)
      return "FoundationDB error " + f.getCode() + ": " + f.getMessage();
    String m = t.getMessage();
    return m == null || m.isBlank()
        ? t.getClass().getName()
        : m + " (" + t.getClass().getSimpleName() + ")";
  }
}
