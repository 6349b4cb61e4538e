package io.fdbmeta.tools;

import io.fdbmeta.wire.TestCertificates;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code fdbmeta certs create}: a test CA and certificates for a playground or a demo. */
@Command(
    name = "certs",
    mixinStandardHelpOptions = true,
    description = "Test certificates for TLS on the RESP port, the node protocol and the store.",
    subcommands = CertsCommand.Create.class)
final class CertsCommand {
  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description = {
        "Make a test CA and certificates with openssl (P-256, PEM) in --dir: ca.pem, server.pem"
            + " (the router's RESP port), client.pem (a client), node.pem and router.pem (mutual"
            + " TLS on the node protocol), store.pem (the store server), each with its .key.",
        "For a playground or a demo, not production: the CA's key lies beside them."
      })
  static final class Create implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(
        names = "--dir",
        paramLabel = "DIR",
        required = true,
        description = "Where to write the files (created if missing; files there are replaced).")
    Path dir;

    @Option(
        names = "--hosts",
        paramLabel = "HOST[,HOST...]",
        split = ",",
        defaultValue = "127.0.0.1,localhost",
        description =
            "The names and addresses clients connect to, for the server certificate (default:"
                + " ${DEFAULT-VALUE}).")
    List<String> hosts;

    @Override
    public Integer call() throws IOException {
      try {
        TestCertificates.create(dir, hosts);
      } catch (IllegalStateException e) {
        throw new CliException(ErrorHandlers.FAILURE, e.getMessage(), e);
      }
      PrintWriter out = spec.commandLine().getOut();
      out.println("wrote " + String.join(" ", TestCertificates.FILES) + " to " + dir);
      out.println(
          "router: fdbmeta router --tls-cert "
              + dir.resolve("server.pem")
              + " --tls-key "
              + dir.resolve("server.key"));
      out.println(
          "client: redis-cli --tls --cacert " + dir.resolve("ca.pem") + " -h " + hosts.get(0));
      out.println(
          "nodes and routers: --cluster-tls-cert "
              + dir.resolve("node.pem")
              + " (router.pem for a router) --cluster-tls-key ... --cluster-tls-ca "
              + dir.resolve("ca.pem"));
      return 0;
    }
  }
}
