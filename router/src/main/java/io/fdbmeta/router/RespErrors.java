package io.fdbmeta.router;

import io.fdbmeta.wire.RespParser;
import org.jspecify.annotations.Nullable;

/** Redis's error texts and its strict integer reading, for the commands the router answers. */
final class RespErrors {
  static final String NOT_AN_INTEGER = "ERR value is not an integer or out of range";

  /**
   * Redis Cluster's CROSSSLOT, for ranges: an atomic command whose keys lie in more than one range.
   */
  static final String CROSSRANGE = "CROSSRANGE Keys in request don't belong to the same range";

  private RespErrors() {}

  static String unknownCommand(byte[][] args) {
    return RespParser.unknownCommand(args);
  }

  /**
   * {@code b} as a long the way Redis's string2ll reads it (optional '-', digits, no leading zero,
   * no '+', no spaces, within range), or null.
   */
  static @Nullable Long parseLong(byte[] b) {
    if (b.length == 0 || b.length > 20) return null;
    int i = 0;
    if (b[0] == '-') i++;
    if (i == b.length) return null;
    if (b[i] == '0') return b.length == 1 ? 0L : null;
    for (; i < b.length; i++) if (b[i] < '0' || b[i] > '9') return null;
    try {
      return Long.parseLong(new String(b, java.nio.charset.StandardCharsets.US_ASCII));
    } catch (NumberFormatException e) {
      return null; // out of range
    }
  }
}
