package io.fdbmeta.tools;

import io.fdbmeta.tools.PlaygroundState.Component;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/*
 * `fdbmeta playground`: a whole cluster on this machine, every component its own OS process running
 * this jar with the command an operator runs, each printing to its own log file in the directory.
 * In order:
 *  1. `store serve` on DIR/data (the store every other process shares), on a free port.
 *  2. `init`, then N `node` processes (zones z1-z3, racks r1-r2), waiting for each /readyz (the node
 *     has registered), then `ranges place`: nothing else places a fresh cluster's first replicas
 *     (the controller only re-creates and moves them), see InitialPlacement. Replication is 3, but
 *     at most nodes - 1: a write needs every replica, so a dead node's replica must be re-created
 *     on a node that has none of the range before writes to it succeed again.
 *  3. The controllers, then the routers on --port, --port+1, ...; each /readyz again.
 *  4. The table of components, "ready", and the state file (PlaygroundState) that `playground
 *     status` and other shells read. A child that dies is one line (which, exit code, log); nothing
 *     is restarted, so kill -9 from another shell shows the rest healing.
 *  5. On Ctrl-C or SIGTERM (ServiceShutdown): SIGTERM the routers, then each node in turn (it hands
 *     its leases to nodes still running), then the controllers, then the store server; each gets
 *     its kind's deadline, then SIGKILL. Exit 0.
 *
 * Children run under setsid(1) when the system has it: Ctrl-C in a terminal signals the whole
 * foreground process group, and the stop order above only holds if the playground alone gets it.
 * Ports for the store, the nodes and the admin endpoints are picked free before the processes
 * start (a port taken in between makes that process fail to start, which is reported).
 */
/** {@code fdbmeta playground}: see the comment at the top. */
@Command(
    name = "playground",
    mixinStandardHelpOptions = true,
    subcommands = PlaygroundStatusCommand.class,
    description = {
      "Run a whole cluster on this machine, each component its own process (store server,"
          + " controllers, storage nodes, routers), until Ctrl-C or SIGTERM, which stop them in"
          + " order. Each process logs to its own file in --dir. kill -9 any of them from another"
          + " shell to watch the others heal; 'fdbmeta playground status' shows who is up."
    })
final class PlaygroundCommand implements Callable<Integer> {
  static final List<String> JVM = List.of("-Xmx256m", "-XX:+UseSerialGC");
  static final List<String> STORE_JVM = List.of("-Xmx512m", "-XX:+UseSerialGC");
  static final Duration START_TIMEOUT = Duration.ofSeconds(90);
  static final Duration ROUTER_STOP = Duration.ofSeconds(45);
  static final Duration NODE_STOP = Duration.ofSeconds(65);
  static final Duration CONTROLLER_STOP = Duration.ofSeconds(15);
  static final Duration STORE_STOP = Duration.ofSeconds(30);
  private static final String HOST = "127.0.0.1";

  @Spec CommandSpec spec;

  @Option(
      names = "--nodes",
      paramLabel = "N",
      defaultValue = "6",
      description = "Storage nodes (default: ${DEFAULT-VALUE}), over 3 zones and 2 racks.")
  int nodes = 6;

  @Option(
      names = "--routers",
      paramLabel = "N",
      defaultValue = "2",
      description = "RESP routers (default: ${DEFAULT-VALUE}), on --port, --port+1, ...")
  int routers = 2;

  @Option(
      names = "--controllers",
      paramLabel = "N",
      defaultValue = "2",
      description = "Controllers (default: ${DEFAULT-VALUE}): one active, the others standby.")
  int controllers = 2;

  @Option(
      names = "--dir",
      paramLabel = "DIR",
      description =
          "Where the store's data, the logs and the state file go (default: a new temp dir).")
  @Nullable Path dir;

  @Option(
      names = "--port",
      paramLabel = "PORT",
      defaultValue = "6380",
      description = "The first router's RESP port (default: ${DEFAULT-VALUE}).")
  int port = 6380;

  @Option(
      names = "--secure",
      description =
          "Authenticate and encrypt every port: TLS and AUTH on the routers, mutual TLS between"
              + " routers and nodes, TLS with client certificates on the store server, a bearer"
              + " token on the admin ports; test certificates and secrets in DIR/secure.")
  boolean secure;

  /** A started child process. */
  private record Child(Component component, Process process, Duration stopDeadline) {}

  private final List<Child> children = new CopyOnWriteArrayList<>();
  private volatile boolean stopping;
  private Path home = Path.of(".");
  private PlaygroundSecurity security = PlaygroundSecurity.NONE;
  private @Nullable String adminToken;
  private ServiceLog log = // replaced in call(), by one on the command line's output
      new ServiceLog(new PrintWriter(Writer.nullWriter()), "playground", Clock.systemUTC());

  @Override
  public Integer call() throws InterruptedException {
    check(nodes >= 1 && nodes <= 64, "--nodes must be 1-64, got " + nodes);
    check(routers >= 1 && routers <= 16, "--routers must be 1-16, got " + routers);
    check(controllers >= 1 && controllers <= 8, "--controllers must be 1-8, got " + controllers);
    check(port >= 1 && port + routers - 1 <= 65535, "--port must leave room for the routers");
    for (int i = 0; i < routers; i++)
      if (!free(port + i))
        throw new CliException(
            1,
            "port "
                + (port + i)
                + " (router "
                + (i + 1)
                + "'s RESP port) is taken; choose another first port with --port");
    home = directory();
    PrintWriter out = spec.commandLine().getOut();
    log = new ServiceLog(out, "playground", Clock.systemUTC());
    log.info("starting in " + home + " (each process logs to its own file there)");
    Thread starter =
        new Thread(
            () -> {
              try {
                startAll(out);
              } catch (Exception e) {
                if (stopping) return; // interrupted by a stop signal: the stop reports
                log.error(
                    "did not start: "
                        + (e instanceof CliException ? e.getMessage() : ErrorHandlers.describe(e)));
                stopAll(s -> {});
                out.flush();
                Runtime.getRuntime().halt(ErrorHandlers.FAILURE);
              }
            },
            "playground-start");
    starter.start();
    return ServiceShutdown.runUntilSignalled(
        log,
        Duration.ofMinutes(10),
        step -> {
          stopping = true;
          starter.interrupt();
          starter.join(5000);
          stopAll(step);
        });
  }

  /** Replicas per range: 3, but leave one node spare to re-create a dead node's replica on. */
  static int replication(int nodes) {
    return Math.max(1, Math.min(3, nodes - 1));
  }

  private void check(boolean ok, String message) {
    if (!ok) throw new ParameterException(spec.commandLine(), message);
  }

  private Path directory() {
    try {
      if (dir == null) return Files.createTempDirectory("fdbmeta-playground-");
      Path d = dir.toAbsolutePath();
      Files.createDirectories(d);
      if (Files.exists(d.resolve(PlaygroundState.FILE))) {
        long pid = PlaygroundState.read(d).playgroundPid();
        if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
          throw new CliException(1, "a playground already runs in " + d + " (pid " + pid + ")");
      }
      if (Files.exists(d.resolve("data")))
        throw new CliException(
            1,
            d
                + " holds the store of an earlier playground, whose ranges lost their data when its"
                + " nodes stopped (the reference storage node keeps data in memory): use a new"
                + " --dir, or delete "
                + d.resolve("data"));
      return d;
    } catch (IOException e) {
      throw new CliException(
          1, "cannot create " + (dir == null ? "a temp dir" : dir) + ": " + e, e);
    }
  }

  private void startAll(PrintWriter out) throws InterruptedException, IOException {
    long t0 = System.nanoTime();
    if (secure) {
      security = PlaygroundSecurity.create(home);
      adminToken = PlaygroundSecurity.adminToken(home);
    }
    String store = HOST + ":" + freePort();
    Child server =
        launch(
            "store",
            "server",
            STORE_JVM,
            args(
                List.of("store", "serve", "--dir", home.resolve("data").toString()),
                List.of("--listen", store),
                security.storeServer()),
            store,
            "-",
            STORE_STOP);
    awaitReady(List.of(server));
    runOnce("init", args(globals(store), List.of("init")));
    List<Child> started = new ArrayList<>();
    for (int i = 0; i < nodes; i++) {
      String id = "n" + (i + 1);
      String listen = HOST + ":" + freePort();
      String admin = HOST + ":" + freePort();
      started.add(
          launch(
              "node",
              id,
              JVM,
              args(
                  globals(store),
                  List.of("node", "--id", id, "--listen", listen, "--admin", admin),
                  List.of("--zone", "z" + (i % 3 + 1), "--rack", "r" + (i / 3 % 2 + 1)),
                  security.admin(),
                  security.node()),
              listen,
              admin,
              NODE_STOP));
    }
    awaitReady(started);
    runOnce(
        "place",
        args(globals(store), List.of("ranges", "place", "--replication", "" + replication(nodes))));
    started.clear();
    for (int i = 0; i < controllers; i++) {
      String id = "ctl-" + (i + 1);
      String admin = HOST + ":" + freePort();
      started.add(
          launch(
              "controller",
              id,
              JVM,
              args(
                  globals(store),
                  List.of("controller", "--id", id, "--admin", admin),
                  security.admin()),
              "-",
              admin,
              CONTROLLER_STOP));
    }
    awaitReady(started);
    started.clear();
    for (int i = 0; i < routers; i++) {
      String listen = HOST + ":" + (port + i);
      String admin = HOST + ":" + freePort();
      started.add(
          launch(
              "router",
              "router-" + (i + 1),
              JVM,
              args(
                  globals(store),
                  List.of("router", "--listen", listen, "--admin", admin),
                  security.admin(),
                  security.router()),
              listen,
              admin,
              ROUTER_STOP));
    }
    awaitReady(started);
    Table table = new Table("COMPONENT", "ID", "ENDPOINT", "ADMIN", "PID", "LOG");
    for (Child c : children) {
      Component k = c.component();
      table.row(k.kind(), k.id(), k.endpoint(), k.admin(), k.pid(), home.relativize(k.log()));
    }
    synchronized (out) {
      table.print(out);
      out.println(
          "ready in "
              + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) / 100 / 10.0
              + " s: try 'redis-cli "
              + security.redisCli()
              + "-p "
              + port
              + "'. Logs and "
              + PlaygroundState.FILE
              + " are in "
              + home
              + ".");
      out.println(
          "kill -9 any pid above from another shell to watch the others heal; 'fdbmeta playground"
              + " status --dir "
              + home
              + "' shows who is up; Ctrl-C stops everything.");
      out.flush();
    }
  }

  /** The global options naming the store, for every process that uses it. */
  private List<String> globals(String store) {
    return args(List.of("--store", store), security.storeClient());
  }

  @SafeVarargs
  private static List<String> args(List<String>... parts) {
    List<String> out = new ArrayList<>();
    for (List<String> p : parts) out.addAll(p);
    return out;
  }

  private Child launch(
      String kind,
      String id,
      List<String> jvm,
      List<String> args,
      String endpoint,
      String admin,
      Duration stopDeadline)
      throws InterruptedException {
    if (stopping) throw new InterruptedException("stopping");
    Path logFile = home.resolve(kind.equals("store") ? "store.log" : kind + "-" + id + ".log");
    Process p = start(jvm, args, logFile);
    Child c =
        new Child(new Component(kind, id, p.pid(), endpoint, admin, logFile), p, stopDeadline);
    children.add(c);
    PlaygroundState.write(home, ProcessHandle.current().pid(), components());
    p.onExit()
        .thenAccept(
            x -> {
              if (!stopping)
                log.warn(
                    kind
                        + " "
                        + id
                        + " (pid "
                        + x.pid()
                        + ") exited with code "
                        + x.exitValue()
                        + "; its log: "
                        + logFile);
            });
    return c;
  }

  private static Process start(List<String> jvm, List<String> args, Path logFile) {
    List<String> command = new ArrayList<>();
    for (String setsid : List.of("/usr/bin/setsid", "/bin/setsid"))
      if (Files.isExecutable(Path.of(setsid))) {
        command.add(setsid);
        break;
      }
    command.addAll(FdbmetaProcess.command(jvm, args));
    try {
      return new ProcessBuilder(command)
          .redirectErrorStream(true)
          .redirectOutput(logFile.toFile())
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + command + ": " + e.getMessage(), e);
    }
  }

  private List<Component> components() {
    List<Component> out = new ArrayList<>();
    for (Child c : children) out.add(c.component());
    return out;
  }

  /** Runs a one-off command (init, ranges place) to its end; a failure names its log. */
  private void runOnce(String name, List<String> args) throws InterruptedException {
    Path logFile = home.resolve(name + ".log");
    Process p = start(JVM, args, logFile);
    try {
      if (!p.waitFor(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new CliException(
            1,
            "'" + name + "' did not finish in " + START_TIMEOUT.toSeconds() + " s" + tail(logFile));
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      throw e;
    }
    if (p.exitValue() != 0)
      throw new CliException(1, "'" + name + "' exited with code " + p.exitValue() + tail(logFile));
  }

  /** Waits until every one answers /readyz (the store server: accepts connections). */
  private void awaitReady(List<Child> started) throws InterruptedException {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    List<Child> waiting = new ArrayList<>(started);
    while (!waiting.isEmpty()) {
      for (var it = waiting.iterator(); it.hasNext(); ) {
        Child c = it.next();
        Component k = c.component();
        if (!c.process().isAlive())
          throw new CliException(
              1,
              k.kind()
                  + " "
                  + k.id()
                  + " exited with code "
                  + c.process().exitValue()
                  + " before it was ready"
                  + tail(k.log()));
        if (k.ready(adminToken)) it.remove();
      }
      if (waiting.isEmpty()) return;
      if (System.nanoTime() > deadline) {
        Component k = waiting.get(0).component();
        throw new CliException(
            1,
            k.kind()
                + " "
                + k.id()
                + " not ready after "
                + START_TIMEOUT.toSeconds()
                + " s"
                + tail(k.log()));
      }
      Thread.sleep(200);
    }
  }

  /** "; the end of its log (FILE):" and its last lines. */
  private static String tail(Path logFile) {
    try {
      List<String> lines = Files.readAllLines(logFile);
      return "; the end of its log ("
          + logFile
          + "):\n  "
          + String.join("\n  ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
    } catch (IOException e) {
      return "; see " + logFile;
    }
  }

  /** Routers, nodes one at a time, controllers, the store server: SIGTERM, wait, SIGKILL. */
  private void stopAll(java.util.function.Consumer<String> step) {
    stopping = true;
    log.info(
        "stopping: routers, then nodes one at a time, then controllers, then the store server");
    for (String kind : List.of("router", "node", "controller", "store")) {
      List<Child> group = new ArrayList<>();
      for (Child c : children) if (c.component().kind().equals(kind)) group.add(c);
      if (kind.equals("node")) {
        for (Child c : group) stop(List.of(c), step);
      } else {
        stop(group, step);
      }
    }
    log.info("stopped; the logs are in " + home);
  }

  private void stop(List<Child> group, java.util.function.Consumer<String> step) {
    for (Child c : group) c.process().toHandle().destroy();
    for (Child c : group) {
      Component k = c.component();
      step.accept("stopping " + k.kind() + " " + k.id());
      try {
        if (!c.process().waitFor(c.stopDeadline().toMillis(), TimeUnit.MILLISECONDS)) {
          log.warn(
              k.kind()
                  + " "
                  + k.id()
                  + " still runs after "
                  + c.stopDeadline().toSeconds()
                  + " s; killing it (see "
                  + k.log()
                  + ")");
          c.process().toHandle().destroyForcibly();
          c.process().waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        c.process().toHandle().destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
      return s.getLocalPort();
    }
  }

  private static boolean free(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(HOST, port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
