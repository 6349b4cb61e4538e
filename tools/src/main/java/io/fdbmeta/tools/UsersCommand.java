package io.fdbmeta.tools;

import io.fdbmeta.router.Users;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fdbmeta users hash}: a password as the router's users file stores it. */
@Command(
    name = "users",
    mixinStandardHelpOptions = true,
    description = "Users of the router's AUTH (its --users file).",
    subcommands = UsersCommand.Hash.class)
final class UsersCommand {
  @Command(
      name = "hash",
      mixinStandardHelpOptions = true,
      description = {
        "Print PASSWORD as the --users file stores it (sha256$SALT$HASH, a fresh salt each time)."
            + " Without PASSWORD, reads one line from standard input (keeps it out of the shell's"
            + " history).",
        "A users file line: NAME HASH [+@all | +@all -@write]."
      })
  static final class Hash implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(arity = "0..1", paramLabel = "PASSWORD", description = "The password.")
    @Nullable String password;

    @Override
    public Integer call() throws IOException {
      String p = password;
      if (p == null) {
        p = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        if (p == null) throw new CliException(ErrorHandlers.USAGE, "no password on standard input");
      }
      if (p.isEmpty()) throw new CliException(ErrorHandlers.USAGE, "the password is empty");
      spec.commandLine().getOut().println(Users.hash(p));
      return 0;
    }
  }
}
