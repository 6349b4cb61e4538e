package io.fdbmeta.tools;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** Turns a KEY argument into bytes, reporting a malformed one as a usage error (exit 2). */
final class KeyArgs {
  private KeyArgs() {}

  static byte[] parse(CommandSpec spec, String text, boolean hex) {
    try {
      return Keys.parse(text, hex);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
  }
}
