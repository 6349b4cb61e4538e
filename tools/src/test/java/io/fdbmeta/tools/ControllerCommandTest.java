package io.fdbmeta.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.layer.control.ControllerEvent;
import io.fdbmeta.layer.control.ControllerEvent.Kind;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code fdbmeta controller} logs, and how it refuses bad arguments (no sockets here). */
class ControllerCommandTest {
  @TempDir Path tmp;

  private static final long AT = Instant.parse("2026-12-06T21:30:00.123Z").toEpochMilli();

  private static String line(ControllerEvent e) {
    return ServiceLog.line(
        ControllerCommand.level(e), e.at(), "controller ctl-1", ControllerCommand.message(e));
  }

  @Test
  void logsOneTimestampedLineWithALevelPerEvent() {
    assertThat(line(new ControllerEvent(Kind.TOOK_OVER, AT, 7, 0, "ctl-1#ab", null, "term 7")))
        .isEqualTo("2026-12-06T21:30:00.123Z INFO controller ctl-1: became active (term 7)");
    assertThat(
            line(new ControllerEvent(Kind.DEPOSED, AT, 7, 0, "ctl-1#ab", null, "renewal refused")))
        .isEqualTo(
            "2026-12-06T21:30:00.123Z WARN controller ctl-1: no longer active (term 7): renewal"
                + " refused");
    assertThat(
            line(
                new ControllerEvent(
                    Kind.NODE_DEAD, AT, 7, 0, "n3", null, "liveness expired at 5, incarnation 2")))
        .isEqualTo(
            "2026-12-06T21:30:00.123Z WARN controller ctl-1: marked node n3 dead: liveness"
                + " expired at 5, incarnation 2");
    assertThat(line(new ControllerEvent(Kind.LEASE_MOVED, AT, 7, 12, "n3", "n4", "")))
        .endsWith("INFO controller ctl-1: moved the lease of range 12 from n3 to n4");
    assertThat(line(new ControllerEvent(Kind.MOVE_COMMITTED, AT, 7, 12, "n3", "n5", "RECREATE")))
        .endsWith("INFO controller ctl-1: moved a replica of range 12 from n3 to n5 (RECREATE)");
    assertThat(
            line(
                new ControllerEvent(
                    Kind.MOVE_ABORTED, AT, 7, 12, "n3", "n5", "n3 holds the lease")))
        .endsWith(
            "WARN controller ctl-1: gave up moving a replica of range 12 from n3 to n5: n3 holds"
                + " the lease");
    assertThat(line(new ControllerEvent(Kind.SPLIT, AT, 7, 12, null, null, "hot; children 13, 14")))
        .endsWith("INFO controller ctl-1: split range 12: hot; children 13, 14");
    assertThat(
            line(new ControllerEvent(Kind.MERGE, AT, 7, 12, null, null, "merged range 13 into it")))
        .endsWith("INFO controller ctl-1: merge into range 12: merged range 13 into it");
    assertThat(line(new ControllerEvent(Kind.REFUSED, AT, 7, 0, "n3", null, "mark dead: lost")))
        .endsWith("WARN controller ctl-1: refused an action on node n3: mark dead: lost");
  }

  @Test
  void aLineReadsBackItsTime() {
    String l = ServiceLog.line(ServiceLog.Level.INFO, AT, "controller x", "a\nb");
    assertThat(l).isEqualTo("2026-12-06T21:30:00.123Z INFO controller x: a b");
    assertThat(ServiceLog.timeOf(l).toEpochMilli()).isEqualTo(AT);
    assertThat(ServiceLog.line(ServiceLog.Level.INFO, 0, "s", "m"))
        .startsWith("1970-01-01T00:00:00.000Z ");
  }

  @Test
  void badArgumentsAreOneUsageLine() {
    String store = tmp.resolve("store").toString();
    Cli missing = Cli.run("--embedded", store, "controller");
    assertThat(missing.exitCode()).isEqualTo(2);
    assertThat(missing.errLines())
        .containsExactly(
            "fdbmeta controller: Missing required option: '--id=ID' (see 'fdbmeta controller"
                + " --help')");
    Cli badId = Cli.run("--embedded", store, "controller", "--id", "ctl 1");
    assertThat(badId.exitCode()).isEqualTo(2);
    assertThat(badId.errLines())
        .singleElement()
        .asString()
        .contains("--id 'ctl 1' is not a controller id");
    Cli badAdmin = Cli.run("--embedded", store, "controller", "--id", "c", "--admin", "nowhere");
    assertThat(badAdmin.exitCode()).isEqualTo(2);
    assertThat(badAdmin.errLines())
        .singleElement()
        .asString()
        .startsWith("fdbmeta controller: --admin 'nowhere' is not HOST:PORT");
  }
}
