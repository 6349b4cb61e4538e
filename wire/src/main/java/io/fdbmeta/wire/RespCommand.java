package io.fdbmeta.wire;

import java.nio.charset.StandardCharsets;

/**
 * One decoded RESP command: its arguments, binary-safe, the command name first. The arrays are the
 * decoder's own and are handed over; do not modify them.
 */
public record RespCommand(byte[][] args) {
  public RespCommand {
    if (args.length == 0) throw new IllegalArgumentException("a command has at least a name");
  }

  /** Convenience for tests and clients: a command from strings, encoded as UTF-8. */
  public static RespCommand of(String... args) {
    byte[][] a = new byte[args.length][];
    for (int i = 0; i < args.length; i++) a[i] = args[i].getBytes(StandardCharsets.UTF_8);
    return new RespCommand(a);
  }

  /** The command name in upper case (ASCII), as commands are matched case-insensitively. */
  public String name() {
    byte[] n = args[0];
    char[] c = new char[n.length];
    for (int i = 0; i < n.length; i++) {
      int b = n[i] & 0xff;
      c[i] = (char) (b >= 'a' && b <= 'z' ? b - 32 : b);
    }
    return new String(c);
  }

  /** Number of arguments after the name. */
  public int arity() {
    return args.length - 1;
  }

  public byte[] arg(int i) {
    return args[i];
  }
}
