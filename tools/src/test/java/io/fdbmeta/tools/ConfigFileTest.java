package io.fdbmeta.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/**
 * {@code --config FILE} of the service commands: the file applies, the command line wins, and an
 * unknown key or a bad value is one line naming the file, line and key, exit 2. Also parses every
 * example file in fdb-config/services, so they cannot rot.
 */
class ConfigFileTest {
  static final Path EXAMPLES = Path.of("..", "fdb-config", "services");

  @TempDir Path tmp;

  private Path file(String name, String... lines) throws IOException {
    Path f = tmp.resolve(name);
    Files.writeString(f, String.join("\n", lines) + "\n");
    return f;
  }

  /** Parses (does not run) a command line; returns the subcommand's object. */
  static Object parse(String... args) {
    CommandLine cmd =
        Main.commandLine(
            new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()), Map.of());
    ParseResult r = cmd.parseArgs(args);
    while (r.hasSubcommand()) r = r.subcommand();
    ConfigFile.of(r.commandSpec()); // what the execution strategy does before running
    return r.commandSpec().userObject();
  }

  @Test
  void theFileSetsEveryOptionItNames() throws IOException {
    Path f =
        file(
            "node.conf",
            "# a node",
            "",
            "id = n4",
            "  listen =  127.0.0.1:7004  ",
            "zone = z2",
            "rack = r1",
            "region = west",
            "admin = 127.0.0.1:9104");
    NodeCommand n = (NodeCommand) parse("node", "--config", f.toString());
    assertThat(List.of(n.id, n.listen, n.zone, n.rack, n.region, n.admin.admin))
        .containsExactly("n4", "127.0.0.1:7004", "z2", "r1", "west", "127.0.0.1:9104");
  }

  @Test
  void theConnectionCapPerAddressIsAKeyOfRouterAndNode() throws IOException {
    RouterCommand r =
        (RouterCommand)
            parse(
                "router",
                "--config",
                file("r.conf", "max-connections-per-address = 10000").toString());
    assertThat(r.maxConnectionsPerAddress).isEqualTo(10_000);
    NodeCommand n =
        (NodeCommand)
            parse(
                "node",
                "--id=n1",
                "--listen=127.0.0.1:0",
                "--zone=z",
                "--rack=r",
                "--config",
                file("n.conf", "max-connections-per-address = 64").toString());
    assertThat(n.maxConnectionsPerAddress).isEqualTo(64);
    assertThat(((RouterCommand) parse("router")).maxConnectionsPerAddress).isNull();
  }

  @Test
  void anOptionOnTheCommandLineWinsOverTheFile() throws IOException {
    Path f = file("router.conf", "listen = 127.0.0.1:6390", "admin = 127.0.0.1:9390");
    RouterCommand r =
        (RouterCommand) parse("router", "--listen", "127.0.0.1:6400", "--config", f.toString());
    assertThat(r.listen).isEqualTo("127.0.0.1:6400");
    assertThat(r.admin.admin).isEqualTo("127.0.0.1:9390");
    ControllerCommand c =
        (ControllerCommand)
            parse("controller", "--config", file("c.conf", "id = ctl-9").toString(), "--id", "x");
    assertThat(c.id).isEqualTo("x");
    assertThat(c.admin.admin).isEqualTo(AdminOption.DEFAULT); // neither sets it
  }

  @Test
  void anUnknownKeyIsOneLineNamingFileLineAndKeyAndExitTwo() throws IOException {
    Path f = file("node.conf", "id = n1", "# comment", "lisen = 127.0.0.1:7000");
    Cli r = Cli.run("node", "--config", f.toString(), "--listen", "127.0.0.1:0", "--zone", "z");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.errLines()).singleElement().asString().contains(f + ":3: unknown key 'lisen'");
    assertThat(r.err())
        .contains(
            "known: admin, admin-token-file, cluster-tls-ca, cluster-tls-cert, cluster-tls-key, id, listen, max-connections-per-address, rack, region, zone");
    assertThat(r.out()).isEmpty();
  }

  @Test
  void anUnknownKeyFailsEvenWhenTheCommandLineSetsEveryOption() throws IOException {
    Path f = file("c.conf", "store = 127.0.0.1:4690"); // a global option: not a file key
    Cli r = Cli.run("controller", "--config", f.toString(), "--id", "c1", "--admin", "h:1");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.errLines()).singleElement().asString().contains(f + ":1: unknown key 'store'");
  }

  @Test
  void aBadValueIsOneLineNamingFileLineAndKeyAndExitTwo() throws IOException {
    Path listen = file("r.conf", "admin = 127.0.0.1:9100", "listen = 6380");
    Cli r = Cli.run("router", "--config", listen.toString());
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.errLines())
        .singleElement()
        .asString()
        .contains(listen + ":2: bad value for key 'listen': '6380' is not HOST:PORT");

    Path id = file("c.conf", "", "id = two words");
    Cli c = Cli.run("--embedded", tmp.resolve("db").toString(), "controller", "--config", "" + id);
    assertThat(c.exitCode()).isEqualTo(2);
    assertThat(c.errLines())
        .singleElement()
        .asString()
        .contains(id + ":2: bad value for key 'id': 'two words' is not a controller id");
  }

  @Test
  void aLineThatIsNotKeyEqualsValueOrARepeatedKeyOrAMissingFileIsExitTwo() throws IOException {
    Cli noEquals = Cli.run("router", "--config", file("a.conf", "listen 1.2.3.4:5").toString());
    assertThat(noEquals.exitCode()).isEqualTo(2);
    assertThat(noEquals.err()).contains("a.conf:1: 'listen 1.2.3.4:5' is not 'key = value'");
    Cli twice =
        Cli.run("router", "--config", file("b.conf", "listen = h:1", "listen = h:2").toString());
    assertThat(twice.exitCode()).isEqualTo(2);
    assertThat(twice.err()).contains("b.conf:2: key 'listen' again (first set on line 1)");
    Cli missing = Cli.run("router", "--config", tmp.resolve("none.conf").toString());
    assertThat(missing.exitCode()).isEqualTo(2);
    assertThat(missing.err()).contains("none.conf: no such file");
  }

  @Test
  void everyExampleFileParsesForItsCommand() throws IOException {
    List<Path> examples;
    try (Stream<Path> s = Files.list(EXAMPLES)) {
      examples = s.filter(p -> p.toString().endsWith(".conf")).sorted().toList();
    }
    assertThat(examples)
        .extracting(p -> p.getFileName().toString())
        .contains("controller.conf", "node.conf", "router.conf");
    try (Stream<Path> s = Files.walk(EXAMPLES)) {
      examples = s.filter(p -> p.toString().endsWith(".conf")).sorted().toList();
    }
    for (Path p : examples) {
      Object command = parse(commandOf(p), "--config", p.toString());
      assertThat(command).as(p.toString()).isNotNull();
      if (command instanceof NodeCommand n) {
        HostPort.parse(n.listen);
        HostPort.parseListen(n.admin.admin);
      } else if (command instanceof RouterCommand r) {
        HostPort.parseListen(r.listen);
        HostPort.parseListen(r.admin.admin);
      } else if (command instanceof ControllerCommand c) {
        assertThat(c.id).isNotEmpty();
        HostPort.parseListen(c.admin.admin);
      }
    }
  }

  /**
   * controller.conf, ctl-1.conf -> controller; router*.conf -> router; node.conf, n3.conf -> node.
   */
  static String commandOf(Path p) {
    String name = p.getFileName().toString();
    if (name.startsWith("controller") || name.startsWith("ctl")) return "controller";
    if (name.startsWith("router")) return "router";
    if (name.startsWith("node") || name.matches("n\\d+\\.conf")) return "node";
    throw new AssertionError("which command reads " + p + "?");
  }
}
