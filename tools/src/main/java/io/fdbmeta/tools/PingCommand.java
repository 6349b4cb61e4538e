package io.fdbmeta.tools;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code fdbmeta ping}: opens the configured store and times one read transaction. */
@Command(
    name = "ping",
    mixinStandardHelpOptions = true,
    description =
        "Open the configured store (--embedded, --cluster-file or FDB_CLUSTER_FILE) and time one read transaction.")
final class PingCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--timeout",
      paramLabel = "SECONDS",
      defaultValue = "10",
      description = "Give up after this many seconds (default: ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  @Override
  public Integer call() throws InterruptedException, ExecutionException {
    try (Stores.OpenStore store = Stores.open(spec)) {
      long t0 = System.nanoTime();
      long readVersion;
      try {
        readVersion =
            store.db().readAsync(tr -> tr.getReadVersion()).get(timeoutSeconds, TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        throw new CliException(
            1, "no answer from " + store.description() + " within " + timeoutSeconds + " s");
      }
      Duration took = Duration.ofNanos(System.nanoTime() - t0);
      spec.commandLine()
          .getOut()
          .printf(
              "ok: %s, cluster '%s': read version %d in %.3f ms%n",
              store.description(),
              Main.storeOptions(spec).cluster(),
              readVersion,
              took.toNanos() / 1e6);
      return 0;
    }
  }
}
