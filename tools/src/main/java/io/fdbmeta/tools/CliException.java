package io.fdbmeta.tools;

/**
 * A failure the CLI reports as one line and an exit code, without a stack trace. Anything else that
 * escapes a command is reported the same way by {@link ErrorHandlers}, with exit code 1.
 */
public final class CliException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int exitCode;

  public CliException(int exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
  }

  public CliException(int exitCode, String message, Throwable cause) {
    super(message, cause);
    this.exitCode = exitCode;
  }

  public int exitCode() {
    return exitCode;
  }
}
