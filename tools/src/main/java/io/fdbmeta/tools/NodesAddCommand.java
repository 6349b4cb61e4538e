package io.fdbmeta.tools;

import io.fdbmeta.layer.NodeRecord;
import io.fdbmeta.layer.NodeRegistry;
import java.io.PrintWriter;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fdbmeta nodes add ID}: registers a storage node with the node registry. */
@Command(
    name = "add",
    mixinStandardHelpOptions = true,
    description = {
      "Register storage node ID at HOST:PORT in zone Z and rack R. It starts LIVE at incarnation 1;"
          + " unless its process heartbeats, the failure detector marks it DEAD once its liveness expires.",
      "An ID that already exists is refused: a node process re-registers itself when it restarts."
    })
final class NodesAddCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin JsonOption output = new JsonOption();

  @Parameters(paramLabel = "ID", description = "Node id: 1-128 characters of A-Z a-z 0-9 . _ : -")
  String nodeId = "";

  @Option(
      names = "--addr",
      required = true,
      paramLabel = "HOST:PORT",
      description = "Where the node serves, e.g. 10.0.0.7:7000.")
  String address = "";

  @Option(
      names = "--zone",
      required = true,
      paramLabel = "Z",
      description = "Failure zone (replicas of a range go to distinct zones).")
  String zone = "";

  @Option(
      names = "--rack",
      required = true,
      paramLabel = "R",
      description = "Rack (replicas of a range go to distinct racks).")
  String rack = "";

  @Option(
      names = "--region",
      paramLabel = "R",
      defaultValue = "default",
      description = "Region (default: ${DEFAULT-VALUE}).")
  String region = "default";

  @Option(
      names = "--disk-bytes",
      paramLabel = "N",
      defaultValue = "0",
      description =
          "Disk capacity in bytes (default: ${DEFAULT-VALUE}, unknown until the node heartbeats).")
  long diskBytes;

  @Option(
      names = "--cpu-cores",
      paramLabel = "N",
      defaultValue = "0",
      description = "CPU cores (default: ${DEFAULT-VALUE}, unknown until the node heartbeats).")
  double cpuCores;

  @Override
  public Integer call() {
    NodeRegistry.Registration registration = registration();
    try (MetaSession session = MetaSession.open(spec)) {
      NodeRecord node =
          session.registry().add(session.db(), registration, "fdbmeta-cli-" + UUID.randomUUID());
      PrintWriter out = spec.commandLine().getOut();
      if (output.json) {
        out.println(Json.object().put("node", Views.nodeJson(node, session.now())));
      } else {
        out.println("added " + Views.nodeLine(node));
      }
      out.flush();
      return 0;
    }
  }

  /** The arguments as a registration, or a usage error naming the bad one. */
  private NodeRegistry.Registration registration() {
    HostPort addr;
    try {
      addr = HostPort.parse(address);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--addr " + e.getMessage());
    }
    KeyArgs.text(spec, "ID", nodeId);
    for (String[] named :
        new String[][] {{"--zone", zone}, {"--rack", rack}, {"--region", region}}) {
      KeyArgs.text(spec, named[0], named[1]);
      if (named[1].isBlank())
        throw new ParameterException(spec.commandLine(), named[0] + " must not be empty");
    }
    if (diskBytes < 0)
      throw new ParameterException(
          spec.commandLine(), "--disk-bytes must be >= 0, got " + diskBytes);
    if (!(cpuCores >= 0 && cpuCores < 1e6))
      throw new ParameterException(spec.commandLine(), "--cpu-cores must be >= 0, got " + cpuCores);
    try {
      return new NodeRegistry.Registration(
          nodeId,
          addr.toString(),
          new NodeRecord.Locality(region, zone, rack),
          new NodeRecord.Capacity(diskBytes, cpuCores));
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
  }
}
