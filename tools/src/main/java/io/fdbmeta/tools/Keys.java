package io.fdbmeta.tools;

import com.apple.foundationdb.tuple.ByteArrayUtil;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.jspecify.annotations.Nullable;

/**
 * Keys on the command line and in output. Input is UTF-8 text (see {@link KeyArgs} for text that
 * did not arrive as UTF-8), or with {@code --hex} hex digits (optionally prefixed 0x). Output uses
 * FoundationDB's printable form: printable ASCII as is, backslash doubled, every other byte as
 * \xNN.
 */
final class Keys {
  private Keys() {}

  /**
   * The bytes a command-line key stands for.
   *
   * @throws IllegalArgumentException with a message fit for the user if {@code hex} and the text is
   *     not an even number of hex digits
   */
  static byte[] parse(String text, boolean hex) {
    if (!hex) return text.getBytes(StandardCharsets.UTF_8);
    String digits = text.startsWith("0x") || text.startsWith("0X") ? text.substring(2) : text;
    if (digits.length() % 2 != 0) {
      throw new IllegalArgumentException(
          "--hex key '" + text + "' has an odd number of hex digits");
    }
    try {
      return HexFormat.of().parseHex(digits);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "--hex key '" + text + "' is not hex (use digits 0-9 and a-f, e.g. 6b6579)");
    }
  }

  static String hex(byte[] key) {
    return HexFormat.of().formatHex(key);
  }

  /** A key quoted for text output: "printable". */
  static String quoted(byte[] key) {
    return "\"" + ByteArrayUtil.printable(key) + "\"";
  }

  /** [start, end) in text output, with ∞ for no end. */
  static String bounds(byte[] start, byte @Nullable [] end) {
    return "[" + quoted(start) + ", " + (end == null ? "∞" : quoted(end)) + ")";
  }
}
