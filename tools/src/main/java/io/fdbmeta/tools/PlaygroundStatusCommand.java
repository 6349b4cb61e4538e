package io.fdbmeta.tools;

import io.fdbmeta.tools.PlaygroundState.Component;
import io.fdbmeta.tools.PlaygroundState.State;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code fdbmeta playground status}: who of a playground's processes is up, from its state file.
 */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description = {
      "Show which of a playground's processes are up (pid running and /healthz answering; for the"
          + " store server, its port accepting). Exit 0 if all are, 1 otherwise."
    })
final class PlaygroundStatusCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--dir",
      paramLabel = "DIR",
      description =
          "The playground's directory (default: the newest fdbmeta-playground-* in the temp dir).")
  @Nullable Path dir;

  @Override
  public Integer call() {
    Path d = dir != null ? dir : newest();
    State state = PlaygroundState.read(d);
    PrintWriter out = spec.commandLine().getOut();
    boolean playground =
        ProcessHandle.of(state.playgroundPid()).map(ProcessHandle::isAlive).orElse(false);
    Table table = new Table("COMPONENT", "ID", "PID", "ENDPOINT", "ADMIN", "UP");
    int down = 0;
    String token = PlaygroundSecurity.adminToken(d);
    for (Component c : state.components()) {
      String up;
      if (!c.alive()) up = "no: not running (see " + c.log().getFileName() + ")";
      else if (!c.healthy(token))
        up = "no: " + (c.admin().equals("-") ? "port closed" : "/healthz does not answer");
      else up = "yes";
      if (!up.equals("yes")) down++;
      table.row(c.kind(), c.id(), c.pid(), c.endpoint(), c.admin(), up);
    }
    table.print(out);
    out.println(
        (down == 0
                ? "all " + state.components().size() + " up"
                : down + " of " + state.components().size() + " down")
            + "; the playground (pid "
            + state.playgroundPid()
            + ") "
            + (playground ? "runs" : "is not running")
            + "; logs in "
            + d);
    List<String> orphans = new ArrayList<>();
    for (Component c : state.components()) if (c.alive()) orphans.add(0, Long.toString(c.pid()));
    if (!playground && !orphans.isEmpty()) // it was killed (kill -9): nothing stopped them
    out.println("its processes outlived it; stop them with: kill " + String.join(" ", orphans));
    out.flush();
    return down == 0 && playground ? 0 : 1;
  }

  private static Path newest() {
    Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
    try (Stream<Path> s = Files.list(tmp)) {
      List<Path> found =
          s.filter(p -> p.getFileName().toString().startsWith("fdbmeta-playground-"))
              .filter(p -> Files.exists(p.resolve(PlaygroundState.FILE)))
              .sorted(Comparator.comparing(PlaygroundStatusCommand::modified).reversed())
              .toList();
      if (found.isEmpty())
        throw new CliException(
            1, "no playground found in " + tmp + "; name its directory with --dir");
      return found.get(0);
    } catch (IOException e) {
      throw new CliException(1, "cannot list " + tmp + ": " + e.getMessage(), e);
    }
  }

  private static long modified(Path p) {
    try {
      return Files.getLastModifiedTime(p.resolve(PlaygroundState.FILE)).toMillis();
    } catch (IOException e) {
      return 0;
    }
  }
}
