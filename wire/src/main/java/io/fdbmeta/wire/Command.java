package io.fdbmeta.wire;

import java.util.Locale;

/** The RESP commands fdbmeta's ports know, for dispatch and metric tags. */
public enum Command {
  GET,
  SET,
  DEL,
  EXISTS,
  MGET,
  MSET,
  RANGE,
  PING,
  ECHO,
  QUIT,
  INFO,
  SELECT,
  COMMAND,
  HELLO,
  AUTH,
  CLIENT,
  RESET,
  UNLINK,
  TOUCH,
  /**
   * A command the router's command table knows and routes by its keys without understanding it (the
   * storage node decides whether it serves it); never returned by {@link #of}.
   */
  OTHER,
  /** Anything else: answered with an error. */
  UNKNOWN;

  /** The metric tag: the name in lower case. */
  public final String tag = name().toLowerCase(Locale.ROOT);

  private static final Command[] ALL = values();

  /** The command named by {@code name} (ASCII, any case), or UNKNOWN; allocates nothing. */
  public static Command of(byte[] name) {
    for (Command c : ALL) {
      if (c != UNKNOWN && c != OTHER && matches(c.name(), name)) return c;
    }
    return UNKNOWN;
  }

  private static boolean matches(String upper, byte[] name) {
    if (upper.length() != name.length) return false;
    for (int i = 0; i < name.length; i++) {
      int b = name[i] & 0xff;
      if (b >= 'a' && b <= 'z') b -= 32;
      if (b != upper.charAt(i)) return false;
    }
    return true;
  }
}
