package io.fdbmeta.router;

import io.fdbmeta.wire.Command;
import io.fdbmeta.wire.RespCommand;
import io.fdbmeta.wire.RespParser;
import io.fdbmeta.wire.RespRequest;
import java.nio.charset.StandardCharsets;

/**
 * Checks a decoded command against the {@link CommandTable} as Redis 7 does (unknown command,
 * unknown subcommand, arity, in that order and with Redis's texts) and turns it into a {@link
 * RespRequest}: the SPLIT commands and RANGE as the wire parser's typed requests, router-answered
 * ones as {@link RespRequest.Connection}, the rest as {@link RespRequest.Forward}. Stateless and
 * thread-safe.
 */
final class RouterParser {
  private final RespParser typed;

  RouterParser(RespParser typed) {
    this.typed = typed;
  }

  RespRequest parse(RespCommand c) {
    byte[][] args = c.args();
    CommandTable.Entry e = CommandTable.find(args[0]);
    if (e == null) return new RespRequest.Invalid(Command.UNKNOWN, RespParser.unknownCommand(args));
    if (!e.subcommands().isEmpty() && args.length >= 2) {
      CommandTable.Entry sub = CommandTable.subcommand(e, args[1]);
      if (sub == null)
        return new RespRequest.Invalid(
            e.command(),
            "ERR unknown subcommand '"
                + printable(args[1])
                + "'. Try "
                + e.name().toUpperCase(java.util.Locale.ROOT)
                + " HELP.");
      if (!sub.arityFits(args.length))
        return new RespRequest.Invalid(e.command(), RespParser.wrongArity(sub.name()));
      return new RespRequest.Connection(e.command(), args);
    }
    if (!e.arityFits(args.length))
      return new RespRequest.Invalid(e.command(), RespParser.wrongArity(e.name()));
    return switch (e.route()) {
      case ROUTER -> new RespRequest.Connection(e.command(), args);
      case WALK ->
          e.command() == Command.RANGE ? typed.parse(c) : new RespRequest.Walk(e.name(), args);
      case SPLIT ->
          // SET with options (EX, NX, GET ...) is the storage node's, as one forwarded command;
          // plain SET keeps the split fast path
          e.command() == Command.SET && args.length > 3
              ? new RespRequest.Forward(e.name(), args, e.keys(args), true)
              : typed.parse(c);
      case SINGLE_KEY, SINGLE_RANGE ->
          new RespRequest.Forward(e.name(), args, e.keys(args), e.writes());
    };
  }

  /** At most 128 bytes, non-printable ones as \xNN (Redis copies them raw). */
  private static String printable(byte[] b) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < Math.min(b.length, 128); i++) {
      int ch = b[i] & 0xff;
      if (ch >= 0x20 && ch < 0x7f) sb.append((char) ch);
      else sb.append(String.format("\\x%02x", ch));
    }
    return sb.toString();
  }

  static String ascii(byte[] b) {
    return new String(b, StandardCharsets.ISO_8859_1);
  }
}
