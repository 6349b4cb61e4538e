package io.fdbmeta.tools;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/** {@code --admin HOST:PORT}: where a service serves /healthz, /readyz and /metrics. */
final class AdminOption {
  static final String DEFAULT = "127.0.0.1:0";

  @Option(
      names = "--admin",
      paramLabel = "HOST:PORT",
      defaultValue = DEFAULT,
      description =
          "Where to serve /healthz, /readyz and /metrics (default: ${DEFAULT-VALUE}: this machine,"
              + " a free port, printed at start).")
  String admin = DEFAULT;

  /** The address to bind; a malformed one is a usage error (exit 2). */
  HostPort address(CommandSpec spec) {
    return HostPort.parseOption(spec, "--admin", admin);
  }
}
