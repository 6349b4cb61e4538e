package io.fdbmeta.tools;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Runs the CLI in-process and keeps what it printed. */
record Cli(int exitCode, String out, String err) {
  static Cli run(String... args) {
    return runWithEnv(Map.of(), args);
  }

  static Cli runWithEnv(Map<String, String> env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true), env);
    return new Cli(code, out.toString(), err.toString());
  }

  /**
   * Adds nodes {@code ids} (each its own zone and rack) with `nodes add`, after the global options
   * {@code store} (where and which cluster), and fails the test if one is refused.
   */
  static void addNodes(List<String> store, String... ids) {
    for (String id : ids) {
      List<String> args = new ArrayList<>(store);
      args.addAll(
          List.of("nodes", "add", id, "--addr", "127.0.0.1:7001", "--zone", id, "--rack", id));
      Cli r = run(args.toArray(String[]::new));
      if (r.exitCode() != 0)
        throw new AssertionError(
            String.join(" ", args) + ": exit " + r.exitCode() + ": " + r.err());
    }
  }

  List<String> errLines() {
    return err.lines().toList();
  }

  List<String> outLines() {
    return out.lines().toList();
  }
}
