package io.fdbmeta.tools;

/**
 * Recognises a failure to bind a port and says why in a few words. NIO throws {@link
 * java.net.BindException}; Netty's native epoll throws an IOException whose message is "bind(..)
 * failed with error(-98): Address already in use", so both are looked for along the causes.
 */
public final class BindFailures {
  private BindFailures() {}

  /** Whether {@code e}, or one of its causes, is a failure to bind a port. */
  public static boolean isBindFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.net.BindException) return true;
      String m = t.getMessage();
      if (m != null
          && (m.contains("Address already in use") || m.contains("Cannot assign requested")))
        return true;
      if (t.getCause() == t) break;
    }
    return false;
  }

  /**
   * Why binding failed, for the user: the root cause's message, with the usual two ("taken", "not
   * an address of this machine") said plainly.
   */
  public static String describe(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) root = root.getCause();
    String m = root.getMessage();
    if (m == null || m.isBlank()) return root.getClass().getSimpleName();
    if (m.contains("Address already in use")) return "the port is taken (Address already in use)";
    if (m.contains("Cannot assign requested address"))
      return "not an address of this machine (Cannot assign requested address)";
    return m;
  }

  /**
   * What to throw when starting a listener on {@code where}, named by {@code option}, failed with
   * {@code e}: one line naming the port when it could not be bound, else {@code e} itself.
   */
  static RuntimeException listenFailure(Exception e, Object where, String option) {
    if (isBindFailure(e)) {
      return new CliException(
          ErrorHandlers.FAILURE,
          "cannot listen on " + where + " (" + option + "): " + describe(e),
          e);
    }
    return e instanceof RuntimeException re ? re : new IllegalStateException(e);
  }
}
