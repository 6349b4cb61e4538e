package io.fdbmeta.tools;

import java.io.PrintWriter;
import java.io.StringWriter;
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

  List<String> errLines() {
    return err.lines().toList();
  }

  List<String> outLines() {
    return out.lines().toList();
  }
}
