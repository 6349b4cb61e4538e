package io.fdbmeta.tools;

import io.fdbmeta.router.Users;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/*
 * Where the password comes from. A password in argv is readable by every local user for as long as
 * the process runs (ps, /proc/PID/cmdline) and lands in the shell's history, so the argument is
 * refused with that explanation. At a terminal the password is typed twice without echo
 * (java.io.Console); otherwise one line of standard input is read (a pipe from a secrets manager,
 * a here-document in a provisioning script).
 *
 * Why 12 characters. AUTH checks one salted SHA-256 on the event loop (see the README), fast on
 * purpose, so the password itself must resist guessing offline if a users file leaks: Redis advises
 * long random passwords for the same reason. Shorter ones need --allow-weak.
 */
/** {@code fdbmeta users hash}: a password as the router's users file stores it. */
@Command(
    name = "users",
    mixinStandardHelpOptions = true,
    description = "Users of the router's AUTH (its --users file).",
    subcommands = UsersCommand.Hash.class)
final class UsersCommand {
  /** Shortest password accepted without --allow-weak. */
  static final int MIN_LENGTH = 12;

  /** The terminal, or null when standard input or output is not one; tests replace it. */
  static Supplier<@Nullable Console> console = System::console;

  /** Standard input; tests replace it. */
  static Supplier<InputStream> stdin = () -> System.in;

  @Command(
      name = "hash",
      mixinStandardHelpOptions = true,
      description = {
        "Print a password as the --users file stores it (sha256$SALT$HASH, a fresh salt each"
            + " time). At a terminal it asks for the password twice without echo; otherwise it"
            + " reads one line of standard input. Passwords shorter than "
            + MIN_LENGTH
            + " characters are refused unless --allow-weak.",
        "A users file line: NAME HASH [+@all | +@all -@write]."
      })
  static final class Hash implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(
        arity = "0..1",
        paramLabel = "PASSWORD",
        description = "Refused: a password in the command line is visible to other users.")
    @Nullable String password;

    @Option(
        names = "--allow-weak",
        description = "Accept a password shorter than " + MIN_LENGTH + " characters.")
    boolean allowWeak;

    @Override
    public Integer call() throws IOException {
      if (password != null)
        throw new CliException(
            ErrorHandlers.USAGE,
            "refusing a password given on the command line: other users can read it (ps,"
                + " /proc/PID/cmdline) and the shell keeps it in its history; run 'fdbmeta users"
                + " hash' and type it, or pipe it on standard input");
      char[] p = read();
      try {
        if (p.length == 0) throw new CliException(ErrorHandlers.USAGE, "the password is empty");
        if (p.length < MIN_LENGTH && !allowWeak)
          throw new CliException(
              ErrorHandlers.USAGE,
              "the password has "
                  + p.length
                  + " characters; use at least "
                  + MIN_LENGTH
                  + " (a long random one: AUTH checks one fast hash), or --allow-weak");
        spec.commandLine().getOut().println(Users.hash(new String(p)));
        return 0;
      } finally {
        Arrays.fill(p, '\0');
      }
    }

    private char[] read() throws IOException {
      Console c = console.get();
      if (c != null) {
        char[] first = c.readPassword("Password: ");
        if (first == null) throw new CliException(ErrorHandlers.USAGE, "no password typed");
        char[] again = c.readPassword("Again: ");
        boolean same = Arrays.equals(first, again);
        if (again != null) Arrays.fill(again, '\0');
        if (!same) {
          Arrays.fill(first, '\0');
          throw new CliException(ErrorHandlers.USAGE, "the two passwords differ");
        }
        return first;
      }
      String line =
          new BufferedReader(new InputStreamReader(stdin.get(), StandardCharsets.UTF_8)).readLine();
      if (line == null)
        throw new CliException(ErrorHandlers.USAGE, "no password on standard input");
      return line.toCharArray();
    }
  }
}
