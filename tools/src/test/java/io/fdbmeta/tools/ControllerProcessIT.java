package io.fdbmeta.tools;

import static org.assertj.core.api.Assertions.assertThat;

import com.apple.foundationdb.Database;
import io.fdbmeta.embedded.EmbeddedFdb;
import io.fdbmeta.layer.Keyspace;
import io.fdbmeta.layer.LayerConfig;
import io.fdbmeta.layer.Lease;
import io.fdbmeta.layer.LeaseManager;
import io.fdbmeta.layer.RangeCatalog;
import io.fdbmeta.layer.control.ControllerConfig;
import io.fdbmeta.tools.bench.ServedStoreProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fdbmeta controller} as operators run it: a store server and controller processes on
 * loopback, each logging to its own file in the test's temporary directory. The active controller
 * is killed with kill -9, then a second active one is stopped with SIGTERM, and each time the
 * standby's takeover is timed from the timestamp of its own "became active" line: after kill -9
 * against the dead one's last renewal (read from the controller record), after SIGTERM against the
 * signal. Reproduce with {@code mvn -B -o verify -pl tools -Dit.test=ControllerProcessIT
 * -Dtest=NoSuchTest -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class ControllerProcessIT {
  private static final Pattern STARTED =
      Pattern.compile(" INFO controller (\\S+): started: .*, admin (\\S+:\\d+),");
  private static final Pattern ACTIVE =
      Pattern.compile(" INFO controller (\\S+): became active \\(term (\\d+)\\)");
  private static final Pattern RESIGNED =
      Pattern.compile(" INFO controller (\\S+): resigned term (\\d+) ");
  private static final List<String> JVM =
      List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");
  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

  /**
   * Slack for the tick itself: the standby's next attempt comes one tick after the previous attempt
   * ended (fixed delay), and the line's time is taken after the acquiring transaction committed.
   */
  private static final long TICK_WORK_SLACK_MILLIS = 100;

  @TempDir Path tmp;

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final List<FdbmetaProcess> started = new ArrayList<>();
  private @Nullable ServedStoreProcess store;

  /** One controller process. */
  private record Ctl(String id, FdbmetaProcess process, String admin) {}

  @AfterEach
  void stopEverything() throws InterruptedException {
    for (FdbmetaProcess p : started) p.close();
    if (store != null) store.close();
  }

  @Test
  void standbyTakesOverWithinTheLeaseAfterKillNineAndAtItsNextTickAfterSigterm() throws Exception {
    LayerConfig layer = LayerConfig.defaults();
    long tick = ControllerConfig.defaults().tickMillis();
    long lease = layer.leaseMillis();
    long offset = layer.maxClockOffsetMillis();
    long bound = lease + offset + tick;

    ServedStoreProcess s = ServedStoreProcess.start(tmp.resolve("data"), "127.0.0.1:0");
    store = s;
    Cli init = Cli.run("--store", s.address(), "init");
    assertThat(init.exitCode()).as(init.err()).isZero();

    FdbmetaProcess p1 = startController(s.address(), "ctl-1", 1);
    FdbmetaProcess p2 = startController(s.address(), "ctl-2", 1);
    Ctl c1 = awaitStarted("ctl-1", p1);
    Ctl c2 = awaitStarted("ctl-2", p2);
    Ctl active = firstActive(List.of(c1, c2), Duration.ofSeconds(10));
    Ctl standby = active == c1 ? c2 : c1;
    long firstTerm = Long.parseLong(active.process().awaitLine(ACTIVE, 0, START_TIMEOUT).group(2));
    awaitReady(standby, "ready: standby");
    assertThat(get(active, "/readyz")).isEqualTo("200 ready: active (term " + firstTerm + ")\n");
    assertThat(get(active, "/healthz")).isEqualTo("200 ok\n");
    assertThat(get(active, "/metrics"))
        .startsWith("200 ")
        .contains("\nfdbmeta_controller_active 1\n", "\nfdbmeta_controller_takeovers_total 1\n");
    assertThat(get(standby, "/metrics"))
        .contains("\nfdbmeta_controller_active 0\n", "\nfdbmeta_controller_takeovers_total 0\n");
    assertThat(standby.process().output()).noneMatch(l -> ACTIVE.matcher(l).find());

    // kill -9: the standby waits until the dead one's term is free for others (its last renewal's
    // expiry + maxClockOffset), then takes over at its next tick. The controller record read just
    // after the kill is that last renewal, as the dead process wrote it.
    long killedAt = System.currentTimeMillis();
    active.process().kill();
    Lease last;
    try (Database db = EmbeddedFdb.connect(s.address())) {
      last =
          new LeaseManager(new RangeCatalog(Keyspace.open(db, "default"), layer))
              .controller(db)
              .orElseThrow();
    }
    assertThat(last.holder()).startsWith(active.id() + "#");
    FdbmetaProcess.Match took =
        standby.process().awaitLine(ACTIVE, 0, Duration.ofMillis(bound * 2));
    long tookOverAt = ServiceLog.timeOf(took.line()).toEpochMilli();
    long lastRenewal = last.expiresAt() - lease;
    long sinceRenewal = tookOverAt - lastRenewal;
    long secondTerm = Long.parseLong(took.group(2));
    System.out.printf(
        "ControllerProcessIT: kill -9 of the active controller %s: %s active (term %d) %d ms after"
            + " the kill, %d ms after the dead one's last renewal (bound: lease %d + maxClockOffset"
            + " %d + tick %d = %d ms)%n",
        active.id(),
        standby.id(),
        secondTerm,
        tookOverAt - killedAt,
        sinceRenewal,
        lease,
        offset,
        tick,
        bound);
    assertThat(secondTerm).isGreaterThan(firstTerm);
    assertThat(sinceRenewal)
        .as("no takeover before the dead controller's term was free for others")
        .isGreaterThan(lease + offset);
    assertThat(sinceRenewal).isLessThanOrEqualTo(bound + TICK_WORK_SLACK_MILLIS);

    // a new standby under the killed one's id, then SIGTERM of the active one: it resigns, and the
    // standby takes over at its next tick
    Ctl restarted = awaitStarted(active.id(), startController(s.address(), active.id(), 2));
    awaitReady(restarted, "ready: standby");
    Ctl nowActive = standby;
    long termAt = System.currentTimeMillis();
    nowActive.process().terminate();
    Integer exit = nowActive.process().waitFor(Duration.ofSeconds(20));
    assertThat(exit).as(String.join("\n", nowActive.process().output())).isEqualTo(0);
    assertThat(nowActive.process().awaitLine(RESIGNED, 0, Duration.ofSeconds(5)).group(2))
        .isEqualTo(Long.toString(secondTerm));
    FdbmetaProcess.Match tookOver =
        restarted.process().awaitLine(ACTIVE, 0, Duration.ofMillis(bound * 2));
    long termTakeover = ServiceLog.timeOf(tookOver.line()).toEpochMilli() - termAt;
    System.out.printf(
        "ControllerProcessIT: SIGTERM of the active controller %s: %s active (term %d) after %d ms"
            + " (tick %d ms)%n",
        nowActive.id(), restarted.id(), Long.parseLong(tookOver.group(2)), termTakeover, tick);
    assertThat(Long.parseLong(tookOver.group(2))).isGreaterThan(secondTerm);
    assertThat(termTakeover)
        .as("the resignation frees the term at once: the standby's next tick takes it")
        .isLessThanOrEqualTo(tick + 500);

    restarted.process().close();
    assertThat(restarted.process().exitValue()).isZero();
  }

  private FdbmetaProcess startController(String storeAddress, String id, int run) {
    FdbmetaProcess p =
        FdbmetaProcess.start(
            "controller " + id,
            JVM,
            List.of("--store", storeAddress, "controller", "--id", id),
            tmp.resolve(id + "-" + run + ".log"));
    started.add(p);
    return p;
  }

  private static Ctl awaitStarted(String id, FdbmetaProcess p) throws InterruptedException {
    return new Ctl(id, p, p.awaitLine(STARTED, 0, START_TIMEOUT).group(2));
  }

  /** The first of {@code ctls} to say it became active. */
  private static Ctl firstActive(List<Ctl> ctls, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      for (Ctl c : ctls)
        if (c.process().output().stream().anyMatch(l -> ACTIVE.matcher(l).find())) return c;
      Thread.sleep(20);
    }
    throw new AssertionError("no controller became active within " + timeout);
  }

  private void awaitReady(Ctl c, String body) throws Exception {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    String last = "";
    while (System.nanoTime() < deadline) {
      last = get(c, "/readyz");
      if (last.equals("200 " + body + "\n")) return;
      Thread.sleep(50);
    }
    throw new AssertionError(c.id() + " /readyz answers " + last + ", not 200 " + body);
  }

  /** "STATUS BODY" of GET http://admin/path. */
  private String get(Ctl c, String path) throws IOException, InterruptedException {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create("http://" + c.admin() + path))
                .timeout(Duration.ofSeconds(5))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return r.statusCode() + " " + r.body();
  }
}
