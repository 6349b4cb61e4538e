package io.fdbmeta.router;

import static io.fdbmeta.router.RespClient.str;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Malformed RESP from raw sockets against a router in front of real storage nodes: each offender
 * gets an error and a closed connection (or just the close, if it went away mid-command), while a
 * well-behaved client writing and reading meanwhile sees no error and loses nothing. HardeningIT
 * covers the cases in more depth against a fake node; this is the same end to end.
 */
class MalformedRespBesideRealNodesIT {
  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static void awaitWrites(CheckedWorkload w, long n) {
    TestCluster.await(
        n + " acknowledged writes of the bystander",
        Duration.ofSeconds(10),
        () -> w.writes() >= n || !w.problems().isEmpty(),
        () -> w.writes() + " writes, " + w.describeProblems());
  }

  @Test
  void offendersAreCutOffAndABystanderNoticesNothing() throws Exception {
    try (NodesBehindRouter e = NodesBehindRouter.start("e2e-malformed");
        CheckedWorkload bystander = new CheckedWorkload(e.router(), 1, 500, 3)) {
      Router router = e.routers().get(0);
      awaitWrites(bystander, 20);
      long writesBefore = bystander.writes();
      List<String> cases = new ArrayList<>();
      // A bad type byte, negative and huge lengths (over the default limits, or beyond a long), too
      // many arguments.
      for (String bad :
          new String[] {
            "*2\r\n$3\r\nGET\r\n?1\r\na\r\n",
            "*1\r\n$-5\r\n",
            "*1\r\n$99999999999\r\n",
            "*1\r\n$20000000\r\n",
            "*2147483647\r\n"
          }) {
        try (RespClient c = new RespClient(router.address())) {
          c.raw(ascii(bad));
          assertThat(c.read()).as(bad).asString().contains("Protocol error");
          assertThat(c.closedByServer()).as(bad).isTrue();
          cases.add(bad.trim());
        }
      }
      // A line that is no RESP array is an inline command, as in Redis: this one is unknown, and
      // the connection stays usable.
      try (RespClient c = new RespClient(router.address())) {
        c.raw(ascii("%3\r\n\u00ff\u0000x\r\n"));
        assertThat(c.read()).asString().contains("unknown command '%3'");
        assertThat(c.read()).asString().contains("unknown command '\\xff\\x00x'");
        assertThat(c.call("PING")).isEqualTo("PONG");
        cases.add("not RESP");
      }
      // A truncated frame, then the client half-closes: the router closes too, having written
      // nothing.
      try (Socket s = new Socket(router.address().getAddress(), router.address().getPort())) {
        s.setSoTimeout(5000);
        s.getOutputStream().write(ascii("*3\r\n$3\r\nSET\r\n$9\r\ntruncated\r\n$10\r\nabc"));
        s.shutdownOutput();
        assertThat(s.getInputStream().read())
            .as("the router's answer to a truncated frame")
            .isEqualTo(-1);
        cases.add("truncated");
      }
      // A byte-at-a-time trickle of a whole command, then more: served.
      try (RespClient c = new RespClient(router.address())) {
        for (byte x : RespClient.command("SET", "trickle", "ok")) c.raw(new byte[] {x});
        assertThat(c.read()).isEqualTo("OK");
        assertThat(str(c.call("GET", "trickle"))).isEqualTo("ok");
        cases.add("trickle");
      }
      // Valid commands, then garbage in the same write: the valid ones are answered (and done),
      // then the error, then the close.
      try (RespClient c = new RespClient(router.address())) {
        ByteArrayOutputStream w = new ByteArrayOutputStream();
        w.write(RespClient.command("SET", "before-garbage", "1"));
        w.write(RespClient.command("GET", "before-garbage"));
        w.write(ascii("*1\r\n$x\r\n"));
        w.write(RespClient.command("SET", "after-garbage", "1"));
        c.raw(w.toByteArray());
        assertThat(c.read()).isEqualTo("OK");
        assertThat(str(c.read())).isEqualTo("1");
        assertThat(c.read()).asString().contains("Protocol error");
        assertThat(c.closedByServer()).isTrue();
        cases.add("garbage after valid commands");
      }
      try (RespClient c = new RespClient(router.address())) {
        assertThat(str(c.call("GET", "before-garbage"))).isEqualTo("1");
        assertThat(c.call("GET", "after-garbage")).as("nothing after the garbage ran").isNull();
        assertThat(c.call("GET", "truncated")).isNull();
      }
      long writesDuring = bystander.writes() - writesBefore;
      awaitWrites(bystander, bystander.writes() + 20); // and it goes on after the last offender

      bystander.stop();
      System.out.printf(
          "malformed RESP beside real nodes: %d cases; bystander %d writes (%d while the offenders ran), %d reads%n",
          cases.size(), bystander.writes(), writesDuring, bystander.reads());
      assertThat(bystander.problems())
          .as(
              "the bystander's failed or wrong requests, by kind (%s)",
              bystander.describeProblems())
          .isEmpty();
      assertThat(bystander.writes()).as("the bystander's acknowledged writes").isPositive();
      assertThat(router.metrics().protocolErrors()).isEqualTo(6);
      assertThat(router.metrics().clientErrors()).isEqualTo(2);
      assertThat(router.metrics().failures()).isZero();
      CheckedWorkload.Verification v = bystander.verify(router, e.cluster);
      assertThat(v.lost())
          .as("the bystander's acknowledged writes lost (of %d)", v.checked())
          .isEmpty();
      assertThat(v.checked()).isEqualTo(bystander.ackedKeys()).isPositive();
    }
  }
}
