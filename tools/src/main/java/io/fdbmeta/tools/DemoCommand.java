package io.fdbmeta.tools;

import io.fdbmeta.tools.demo.Demo;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code fdbmeta demo}: storage nodes, routers and a checking workload on the embedded store. */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Start storage nodes over 3 zones x 2 racks, the controller and RESP routers on 127.0.0.1, all on fdb-embedded, and run a"
          + " built-in workload that writes keys, reads them back and splits hot ranges while serving. Any Redis client can connect"
          + " to the router meanwhile (redis-cli -p 6380).",
      "Mid-run a node is killed (its ranges fail over, it restarts and rejoins), then a node is added (the rebalancer moves"
          + " replicas onto it): at a fifth and half of --duration, or at 20 s and 45 s without it; --steady skips both.",
      "Prints progress every 2 s and a summary at the end (requests, errors, redirects, splits, the failover, rebalance moves,"
          + " acknowledged writes lost). Without --duration it serves until Ctrl-C. Exit code 1 if an acknowledged write was lost."
    })
final class DemoCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--nodes",
      paramLabel = "N",
      defaultValue = "6",
      description = "Storage nodes (default: ${DEFAULT-VALUE}; at least 3).")
  int nodes;

  @Option(
      names = "--routers",
      paramLabel = "N",
      defaultValue = "1",
      description = "Routers, on consecutive ports from --port (default: ${DEFAULT-VALUE}).")
  int routers;

  @Option(
      names = "--port",
      paramLabel = "PORT",
      defaultValue = "6380",
      description = "The first router's RESP port (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(
      names = "--duration",
      paramLabel = "DURATION",
      description = "How long to run, e.g. 60s, 5m (default: until Ctrl-C).",
      converter = DurationConverter.class)
  @Nullable Duration duration;

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      description =
          "Where fdb-embedded keeps the demo's metadata (default: a new temporary directory, deleted afterwards).")
  @Nullable Path dataDir;

  @Option(
      names = "--clients",
      paramLabel = "N",
      defaultValue = "8",
      description = "Workload connections (default: ${DEFAULT-VALUE}).")
  int clients;

  @Option(
      names = "--split-every",
      paramLabel = "DURATION",
      defaultValue = "5s",
      converter = DurationConverter.class,
      description = "How often the hottest range is split (default: ${DEFAULT-VALUE}).")
  Duration splitEvery;

  @Option(
      names = "--max-ranges",
      paramLabel = "N",
      defaultValue = "24",
      description = "Stop splitting at this many ranges (default: ${DEFAULT-VALUE}).")
  int maxRanges;

  @Option(
      names = "--seed",
      paramLabel = "S",
      defaultValue = "1",
      description = "Workload random seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--lease",
      paramLabel = "DURATION",
      defaultValue = "3s",
      converter = DurationConverter.class,
      description =
          "Range lease and node liveness duration, short so a failover shows within seconds (default: ${DEFAULT-VALUE}; production's is 9s).")
  Duration lease;

  @Option(
      names = "--steady",
      description =
          "No node failure and no node added: only the workload, splits and the controller watching.")
  boolean steady;

  @Option(
      names = "--secure",
      description =
          "TLS and AUTH on the routers: a test CA and certificates in the data directory's tls/"
              + " ('fdbmeta certs create'), user 'demo' with a random password; the banner prints"
              + " the redis-cli line, the workload connects with both.")
  boolean secure;

  @Override
  public Integer call() throws IOException, InterruptedException {
    boolean temporary = dataDir == null;
    Path dir = temporary ? Files.createTempDirectory("fdbmeta-demo-") : dataDir;
    Demo.Options options;
    try {
      options =
          new Demo.Options(
              nodes,
              routers,
              port,
              duration,
              dir,
              clients,
              splitEvery,
              maxRanges,
              seed,
              lease,
              steady,
              secure);
    } catch (IllegalArgumentException e) {
      if (temporary) deleteTree(dir); // nothing ran: leave no empty directory behind
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    PrintWriter out = spec.commandLine().getOut();
    // Ctrl-C asks the demo to stop; the hook then waits for the summary, since the JVM exits when
    // hooks return, and exits with the demo's code (0, or 1 if a write was lost) rather than the
    // JVM's 130 for a signal: the summary, not the signal, says how the run went.
    CountDownLatch finished = new CountDownLatch(1);
    AtomicInteger exitCode = new AtomicInteger(-1);
    boolean[] stopRequested = {false};
    Thread hook =
        new Thread(
            () -> {
              synchronized (stopRequested) {
                stopRequested[0] = true;
              }
              try {
                finished.await(60, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              out.flush();
              int code = exitCode.get();
              if (code >= 0) Runtime.getRuntime().halt(code); // everything is closed and printed
            },
            "demo-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      Demo.Summary s =
          new Demo(options, out)
              .run(
                  () -> {
                    synchronized (stopRequested) {
                      return stopRequested[0];
                    }
                  });
      int code = s.lostWrites() == 0 ? 0 : ErrorHandlers.FAILURE;
      exitCode.set(code);
      return code;
    } finally {
      if (temporary) deleteTree(dir);
      finished.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // Ctrl-C: the hook is running and waits for us
      }
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList())
        Files.deleteIfExists(p);
    }
  }
}
