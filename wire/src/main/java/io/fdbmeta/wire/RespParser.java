package io.fdbmeta.wire;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;

/**
 * Checks a decoded {@link RespCommand} against the commands a port serves and their arities, and
 * turns it into a typed {@link RespRequest}. Every error text a RESP port answers for a mistake in
 * a command lives here, so the router and a storage node's own RESP port say the same thing for the
 * same mistake. Stateless and thread-safe.
 */
public final class RespParser {
  /** What a storage node's own RESP port serves. */
  public static final Set<Command> NODE_COMMANDS =
      EnumSet.of(
          Command.GET,
          Command.SET,
          Command.DEL,
          Command.EXISTS,
          Command.PING,
          Command.ECHO,
          Command.QUIT);

  private final Set<Command> served;
  private final int rangeDefaultLimit;
  private final int rangeMaxLimit;

  /**
   * @param served the commands this port answers; others are unknown commands
   * @param rangeDefaultLimit RANGE's limit when the command gives none
   * @param rangeMaxLimit the largest LIMIT a RANGE may ask for
   */
  public RespParser(Set<Command> served, int rangeDefaultLimit, int rangeMaxLimit) {
    this.served = EnumSet.copyOf(served);
    this.rangeDefaultLimit = rangeDefaultLimit;
    this.rangeMaxLimit = rangeMaxLimit;
  }

  /** A parser for the commands of {@link #NODE_COMMANDS}. */
  public static RespParser forNode() {
    return new RespParser(NODE_COMMANDS, 1, 1);
  }

  public RespRequest parse(RespCommand c) {
    Command cmd = Command.of(c.arg(0));
    if (!served.contains(cmd)) return unknown(c);
    int n = c.arity();
    return switch (cmd) {
      case GET -> n == 1 ? new RespRequest.Get(c.arg(1)) : wrongArgs(cmd);
      case SET -> {
        if (n < 2) yield wrongArgs(cmd);
        if (n > 2)
          yield new RespRequest.Invalid(
              cmd, "ERR syntax error: SET takes a key and a value (no options)");
        yield new RespRequest.Set(c.arg(1), c.arg(2));
      }
      case DEL, EXISTS, MGET, UNLINK, TOUCH ->
          n < 1
              ? wrongArgs(cmd)
              : new RespRequest.Keys(cmd, Arrays.copyOfRange(c.args(), 1, n + 1));
      case MSET -> mset(c);
      case RANGE -> range(c);
      case PING -> n <= 1 ? new RespRequest.Local(cmd, n == 1 ? c.arg(1) : null) : wrongArgs(cmd);
      case ECHO -> n == 1 ? new RespRequest.Local(cmd, c.arg(1)) : wrongArgs(cmd);
      case QUIT, COMMAND -> new RespRequest.Local(cmd, null);
      case SELECT -> {
        if (n != 1) yield wrongArgs(cmd);
        if (!"0".equals(ascii(c.arg(1))))
          yield new RespRequest.Invalid(
              cmd, "ERR DB index is out of range (the router has database 0 only)");
        yield new RespRequest.Local(cmd, null);
      }
      case INFO -> n <= 1 ? new RespRequest.Local(cmd, n == 1 ? c.arg(1) : null) : wrongArgs(cmd);
      case HELLO, AUTH, CLIENT, RESET, OTHER, UNKNOWN -> unknown(c);
    };
  }

  private static RespRequest mset(RespCommand c) {
    int n = c.arity();
    if (n < 2 || n % 2 != 0) return wrongArgs(Command.MSET);
    byte[][] keys = new byte[n / 2][];
    byte[][] values = new byte[n / 2][];
    for (int i = 0; i < n / 2; i++) {
      keys[i] = c.arg(1 + 2 * i);
      values[i] = c.arg(2 + 2 * i);
    }
    return new RespRequest.MSet(keys, values);
  }

  /** RANGE start end [LIMIT n] [WITHCURSOR] */
  private RespRequest range(RespCommand c) {
    int n = c.arity();
    boolean withCursor = (n == 3 || n == 5) && "WITHCURSOR".equalsIgnoreCase(ascii(c.arg(n)));
    if (withCursor) n--;
    if (n != 2 && n != 4) return wrongArgs(Command.RANGE);
    int limit = rangeDefaultLimit;
    if (n == 4) {
      if (!"LIMIT".equalsIgnoreCase(ascii(c.arg(3))))
        return new RespRequest.Invalid(
            Command.RANGE, "ERR syntax error: RANGE start end [LIMIT n] [WITHCURSOR]");
      try {
        limit = Integer.parseInt(ascii(c.arg(4)));
      } catch (NumberFormatException e) {
        limit = -1;
      }
      if (limit < 1 || limit > rangeMaxLimit)
        return new RespRequest.Invalid(
            Command.RANGE, "ERR LIMIT must be an integer in [1, " + rangeMaxLimit + "]");
    }
    return new RespRequest.Range(c.arg(1), c.arg(2), limit, withCursor);
  }

  private static RespRequest wrongArgs(Command cmd) {
    return new RespRequest.Invalid(cmd, wrongArity(cmd.tag));
  }

  private static RespRequest unknown(RespCommand c) {
    return new RespRequest.Invalid(
        Command.UNKNOWN, "ERR unknown command '" + printable(c.arg(0)) + "'");
  }

  /**
   * Redis 7's text for a command it does not know: {@code ERR unknown command 'name', with args
   * beginning with: 'a' 'b' }, the name cut at 128 bytes and the quoted arguments at about 128.
   */
  public static String unknownCommand(byte[][] args) {
    StringBuilder sb = new StringBuilder("ERR unknown command '");
    sb.append(text(args[0], 128)).append("', with args beginning with: ");
    int start = sb.length();
    for (int i = 1; i < args.length && sb.length() - start < 128; i++)
      sb.append('\'').append(text(args[i], 128 - (sb.length() - start))).append("' ");
    return sb.toString();
  }

  /** Redis 7's text for a wrong number of arguments; {@code name}: the command's full name. */
  public static String wrongArity(String name) {
    return "ERR wrong number of arguments for '" + name + "' command";
  }

  /**
   * At most {@code max} bytes of {@code b} as text: printable ASCII as is (as Redis), anything else
   * as \xNN (Redis copies raw bytes, up to a zero byte, into the error line).
   */
  private static String text(byte[] b, int max) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < Math.min(b.length, max); i++) {
      int c = b[i] & 0xff;
      if (c >= 0x20 && c < 0x7f) sb.append((char) c);
      else sb.append(String.format("\\x%02x", c));
    }
    return sb.toString();
  }

  /** The reply to malformed RESP, before the connection closes. */
  public static String protocolError(RespProtocolError e) {
    return e.overLimit() ? "ERR " + e.message() : "ERR Protocol error: " + e.message();
  }

  private static String ascii(byte[] b) {
    return new String(b, StandardCharsets.US_ASCII);
  }

  /** At most 64 bytes of {@code b}, printable ASCII as is and anything else as \xNN. */
  static String printable(byte[] b) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < Math.min(b.length, 64); i++) {
      int c = b[i] & 0xff;
      if (c >= 0x20 && c < 0x7f && c != '\'') sb.append((char) c);
      else sb.append(String.format("\\x%02x", c));
    }
    if (b.length > 64) sb.append("...");
    return sb.toString();
  }
}
