package io.fdbmeta.tools;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * Text arguments that must arrive exactly as typed: KEYs (turned into bytes) and names such as
 * zones and racks. A bad one is a usage error (exit 2).
 *
 * <p>Why U+FFFD is refused: Java decodes argv with the platform charset and silently turns every
 * byte it cannot decode (a byte that is not UTF-8, under a UTF-8 locale; any byte above 0x7f under
 * LANG=C) into U+FFFD, so an argument holding it no longer says which bytes were given. Binary keys
 * go in with {@code --hex}.
 */
final class KeyArgs {
  private static final char REPLACEMENT = '\uFFFD';

  /** The charset the JVM decoded argv with: the locale's (US-ASCII under LANG=C). */
  private static final String ARGV_CHARSET = System.getProperty("sun.jnu.encoding", "UTF-8");

  private KeyArgs() {}

  static byte[] parse(CommandSpec spec, String text, boolean hex) {
    if (!hex && text.indexOf(REPLACEMENT) >= 0)
      throw notDecoded(
          spec, "KEY", text, "; give binary keys as hex bytes with --hex, e.g. --hex 6bff00");
    try {
      return Keys.parse(text, hex);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  /** {@code value}, the argument called {@code name}, if it arrived intact. */
  static String text(CommandSpec spec, String name, String value) {
    if (value.indexOf(REPLACEMENT) >= 0) throw notDecoded(spec, name, value, "");
    return value;
  }

  private static ParameterException notDecoded(
      CommandSpec spec, String name, String value, String hint) {
    return new ParameterException(
        spec.commandLine(),
        name
            + " '"
            + value
            + "' is not valid "
            + ARGV_CHARSET
            + " text (a byte it cannot decode arrives as U+FFFD)"
            + hint);
  }
}
