package io.fdbmeta.tools;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * {@code --admin HOST:PORT} and {@code --admin-token-file}: where a service serves /healthz,
 * /readyz and /metrics, and the bearer token they require.
 */
final class AdminOption {
  static final String DEFAULT = "127.0.0.1:0";
  static final int MIN_TOKEN = 16;

  @Option(
      names = "--admin",
      paramLabel = "HOST:PORT",
      defaultValue = DEFAULT,
      description =
          "Where to serve /healthz, /readyz and /metrics (default: ${DEFAULT-VALUE}: this machine,"
              + " a free port, printed at start).")
  String admin = DEFAULT;

  @Option(
      names = "--admin-token-file",
      paramLabel = "FILE",
      description =
          "Require 'Authorization: Bearer TOKEN' on every admin request, TOKEN being this file's"
              + " content (16 or more characters, whitespace around it ignored); others get 401."
              + " Default: no token (the port binds 127.0.0.1 unless --admin says otherwise).")
  @Nullable Path tokenFile;

  /**
   * The bearer token, or null if none is asked for; an unreadable or short file is a usage error
   * (exit 2) naming it.
   */
  @Nullable String token(CommandSpec spec) {
    if (tokenFile == null) return null;
    String token;
    try {
      token = Files.readString(tokenFile, StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw new ParameterException(
          spec.commandLine(), "cannot read --admin-token-file " + tokenFile + ": " + e);
    }
    if (token.length() < MIN_TOKEN || !token.chars().allMatch(c -> c > ' ' && c < 127))
      throw new ParameterException(
          spec.commandLine(),
          "--admin-token-file "
              + tokenFile
              + " must hold one token of "
              + MIN_TOKEN
              + " or more printable ASCII characters");
    return token;
  }

  /** The address to bind; a malformed one is a usage error (exit 2). */
  HostPort address(CommandSpec spec) {
    return HostPort.parseOption(spec, "--admin", admin);
  }
}
