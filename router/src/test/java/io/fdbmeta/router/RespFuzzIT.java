package io.fdbmeta.router;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/*
 * Each case is a small pipeline of valid RESP commands (on keys of their own, "fz:..."), mutated
 * one way: bit flips, a truncation, the splice of two frames, a count or length field replaced by
 * another number (0, -1, negative, 11 and 16385 (Redis's pre-AUTH limits), huge, beyond a long,
 * off by one), an inline rendering, random bytes, inserted or deleted bytes; sometimes a valid
 * command follows the damage. Case n draws everything from its own Random(seed, n), so a failing
 * case replays alone (-Dfdbmeta.fuzz.case=n with the printed seed).
 *
 * A quarter of the cases go to a second router with AUTH on (users), half of those preceded by a
 * valid AUTH: before it, Redis's limits for unauthenticated clients apply, and AUTH in the middle of
 * a pipeline lifts them.
 *
 * A case runs on a connection of its own, WORKERS at a time, in one of two ways: it sends the case
 * and half-closes (the router answers what was whole, then closes), or it sends the case followed
 * by ECHO <token> and reads until the token's reply comes back or the router closes (after a
 * protocol error, a partial command's request deadline, QUIT). Either must happen within
 * CASE_DEADLINE, or the case hung. Every byte received must be whole RESP values (StrictResp), and
 * nothing may follow a protocol error reply.
 *
 * Meanwhile a monitor connection sends PING and GET in turn and must get each answer right, and a
 * CheckedWorkload writes and reads its own keys; afterwards the keys written before the fuzzing and
 * the workload's acknowledged writes must read back intact, and the router must still serve a new
 * connection.
 */
/**
 * Seeded fuzzing of the router's RESP port in front of real storage nodes; see the comment at the
 * top. 2,000 cases by default (about 20 s); a longer run with a chosen seed:
 *
 * <pre>
 * mvn -B -o verify -pl router -am -Dit.test=RespFuzzIT -Dtest=NoSuchTest \
 *   -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false \
 *   -Dfdbmeta.fuzz.cases=200000 -Dfdbmeta.fuzz.seed=42
 * </pre>
 *
 * A failure names the seed, the case number and both directions' bytes; {@code
 * -Dfdbmeta.fuzz.case=N} runs that case alone.
 */
class RespFuzzIT {
  private static final int CASES = Integer.getInteger("fdbmeta.fuzz.cases", 2000);

  /** Fixed by default, so `mvn -B verify` runs the same cases every time; -D for others. */
  private static final long SEED = Long.getLong("fdbmeta.fuzz.seed", 20261207L);

  private static final int ONLY = Integer.getInteger("fdbmeta.fuzz.case", -1);
  private static final int WORKERS = 48;
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);

  /** The router's request deadline, and as much again for a loaded machine. */
  private static final long CASE_DEADLINE_NANOS = REQUEST_TIMEOUT.toNanos() * 2 + 5_000_000_000L;

  private static final int PRE_KEYS = 200;
  private static final String PASSWORD = "fuzz-password-1";

  /** One failed case, with what it takes to replay it. */
  record Failure(int caseNo, String mode, String why, byte[] sent, byte[] received) {
    @Override
    public String toString() {
      return "seed "
          + SEED
          + " case "
          + caseNo
          + " ("
          + mode
          + "): "
          + why
          + "\n  sent     "
          + escape(sent, 600)
          + "\n  received "
          + escape(received, 600);
    }
  }

  @Test
  void mutatedFramesGetWholeRepliesOrACloseAndHarmNoOneElse() throws Exception {
    System.out.printf(
        "RespFuzzIT: seed %d, %d cases%s (-Dfdbmeta.fuzz.seed=%d -Dfdbmeta.fuzz.cases=%d)%n",
        SEED, CASES, ONLY >= 0 ? ", only case " + ONLY : "", SEED, CASES);
    try (NodesBehindRouter e = NodesBehindRouter.start("fuzz-resp")) {
      // every case connects from 127.0.0.1, and closed ones may still be counted: no cap per
      // address
      Router router =
          e.router(b -> b.requestTimeout(REQUEST_TIMEOUT).maxConnectionsPerAddress(10_000));
      Router guarded =
          e.router(
              b ->
                  b.requestTimeout(REQUEST_TIMEOUT)
                      .maxConnectionsPerAddress(10_000)
                      .users(
                          Users.parse(
                              List.of("default " + Users.hash(PASSWORD) + " +@all"), "fuzz")));
      try (RespClient c = new RespClient(router.address())) {
        for (int i = 0; i < PRE_KEYS; i++)
          assertThat(c.call("SET", "pre:" + i, "value-" + i)).isEqualTo("OK");
      }
      Monitor monitor = new Monitor(router);
      Thread monitorThread = new Thread(monitor, "fuzz-monitor");
      monitorThread.setDaemon(true);
      monitorThread.start();
      ConcurrentLinkedQueue<Failure> failures = new ConcurrentLinkedQueue<>();
      long started = System.nanoTime();
      int ran;
      try (CheckedWorkload bystander = new CheckedWorkload(router, 2, 400, SEED)) {
        AtomicInteger next = new AtomicInteger(ONLY >= 0 ? ONLY : 0);
        int last = ONLY >= 0 ? ONLY + 1 : CASES;
        ExecutorService pool = Executors.newFixedThreadPool(WORKERS);
        List<Future<?>> done = new ArrayList<>();
        for (int w = 0; w < WORKERS; w++)
          done.add(
              pool.submit(
                  () -> {
                    for (int n = next.getAndIncrement(); n < last; n = next.getAndIncrement()) {
                      Failure f = runCase(router, guarded, n);
                      if (f != null) failures.add(f);
                    }
                    return null;
                  }));
        for (Future<?> f : done) f.get(10, TimeUnit.MINUTES);
        pool.shutdown();
        ran = last - (ONLY >= 0 ? ONLY : 0);
        bystander.stop();
        monitor.stop.set(true);
        monitorThread.join(30_000);
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
        RouterMetrics m = router.metrics();
        System.out.printf(
            "RespFuzzIT: %d cases in %d s, %d failed; router: %d protocol errors, %d client errors,"
                + " %d deadline closes, %d incomplete-over-limit, %d upstream failures;"
                + " monitor %d round trips (slowest %d ms), bystander %d writes %d reads%n",
            ran,
            seconds,
            failures.size(),
            m.protocolErrors(),
            m.clientErrors(),
            m.deadlineCloses(),
            m.incompleteCommandRejections(),
            m.failures(),
            monitor.roundTrips.get(),
            TimeUnit.NANOSECONDS.toMillis(monitor.slowest.get()),
            bystander.writes(),
            bystander.reads());
        assertThat(failures).as("failed cases (seed %d)", SEED).isEmpty();
        assertThat(monitor.problems).as("the monitor's PING/GET problems").isEmpty();
        assertThat(monitor.roundTrips.get()).isPositive();
        assertThat(bystander.problems())
            .as("the bystander's problems (%s)", bystander.describeProblems())
            .isEmpty();
        assertThat(m.failures()).as("requests failed between router and nodes").isZero();
        CheckedWorkload.Verification v = bystander.verify(router, e.cluster);
        assertThat(v.lost()).as("acknowledged writes lost (of %d)", v.checked()).isEmpty();
        assertThat(v.checked()).isEqualTo(bystander.ackedKeys()).isPositive();
      }
      try (RespClient c = new RespClient(router.address())) {
        assertThat(c.call("PING")).isEqualTo("PONG");
        for (int i = 0; i < PRE_KEYS; i++)
          assertThat(RespClient.str(c.call("GET", "pre:" + i)))
              .as("pre:%d, written before the fuzzing", i)
              .isEqualTo("value-" + i);
      }
    }
  }

  /** Runs case {@code n} on a connection of its own; null if it passed. */
  private static Failure runCase(Router open, Router guarded, int n) {
    Random r = new Random(SEED * 1_000_003L + n);
    byte[] sent = Mutations.generate(r);
    boolean halfClose = r.nextInt(5) != 0;
    boolean auth = r.nextInt(4) == 0;
    Router router = auth ? guarded : open;
    if (auth && r.nextBoolean())
      sent = Mutations.concat(List.of(RespClient.command("AUTH", PASSWORD), sent));
    String mode = (halfClose ? "half-close" : "sentinel") + (auth ? ", auth on" : "");
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    long start = System.nanoTime();
    long nudgeAt = start + REQUEST_TIMEOUT.toNanos() + 2_000_000_000L;
    long deadline = start + CASE_DEADLINE_NANOS;
    int tokens = 0;
    try (Socket s = new Socket(router.address().getAddress(), router.address().getPort())) {
      s.setSoTimeout(250);
      s.setTcpNoDelay(true);
      try {
        s.getOutputStream().write(sent);
        if (halfClose) s.shutdownOutput();
        else s.getOutputStream().write(sentinel(n, tokens++, auth));
      } catch (IOException closedEarly) {
        // the router may close while we still write (a protocol error early in the case)
      }
      InputStream in = s.getInputStream();
      byte[] buf = new byte[8192];
      boolean ended = false;
      while (!ended) {
        long now = System.nanoTime();
        if (now > deadline)
          return new Failure(
              n,
              mode,
              "no end within " + TimeUnit.NANOSECONDS.toSeconds(CASE_DEADLINE_NANOS) + " s",
              sent,
              got.toByteArray());
        if (!halfClose && tokens == 1 && now > nudgeAt) {
          // the first token may have ended up inside something the case left whole and answered
          // (an inline line, a bulk): a second one must then be answered
          try {
            s.getOutputStream().write(sentinel(n, tokens++, auth));
          } catch (IOException closed) {
            tokens++;
          }
        }
        int k;
        try {
          k = in.read(buf);
        } catch (SocketTimeoutException more) {
          continue;
        } catch (IOException reset) {
          k = -1; // a reset after the router closed with unread input: the same as a close
        }
        if (k < 0) ended = true;
        else got.write(buf, 0, k);
        if (!halfClose && endsWithToken(got.toByteArray(), n, tokens)) ended = true;
      }
    } catch (IOException ex) {
      return new Failure(n, mode, "could not connect: " + ex, sent, got.toByteArray());
    }
    byte[] received = got.toByteArray();
    String bad = StrictResp.check(received);
    if (bad != null) return new Failure(n, mode, "invalid RESP: " + bad, sent, received);
    int[] starts = StrictResp.starts(received);
    for (int i = 0; i < starts.length - 1; i++) {
      String line = StrictResp.firstLine(received, starts[i]);
      if (received[starts[i]] == '-' && line.startsWith("ERR Protocol error"))
        return new Failure(n, mode, "a reply followed a protocol error", sent, received);
    }
    return null;
  }

  /**
   * A line end (which ends an inline line the case left open), an AUTH if the router wants one,
   * then ECHO of a token.
   */
  private static byte[] sentinel(int caseNo, int i, boolean auth) {
    return Mutations.concat(
        List.of(
            Mutations.b("\r\n"),
            auth ? RespClient.command("AUTH", PASSWORD) : new byte[0],
            RespClient.command("ECHO", "fuzz-token-" + caseNo + "-" + i)));
  }

  private static boolean endsWithToken(byte[] got, int caseNo, int sent) {
    for (int i = 0; i < sent; i++) {
      String token = "fuzz-token-" + caseNo + "-" + i;
      if (endsWith(got, Mutations.b("$" + token.length() + "\r\n" + token + "\r\n"))) return true;
    }
    return false;
  }

  private static boolean endsWith(byte[] a, byte[] suffix) {
    return a.length >= suffix.length
        && Arrays.equals(a, a.length - suffix.length, a.length, suffix, 0, suffix.length);
  }

  static String escape(byte[] b, int max) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < Math.min(b.length, max); i++) {
      int x = b[i] & 0xff;
      if (x == '\r') sb.append("\\r");
      else if (x == '\n') sb.append("\\n");
      else if (x == '\\') sb.append("\\\\");
      else if (x >= 0x20 && x < 0x7f) sb.append((char) x);
      else sb.append(String.format("\\x%02x", x));
    }
    if (b.length > max) sb.append("... (").append(b.length).append(" bytes)");
    return sb.toString();
  }

  /** A well-behaved client: PING and GET in turn, each answered right. */
  private static final class Monitor implements Runnable {
    final Router router;
    final AtomicBoolean stop = new AtomicBoolean();
    final AtomicLong roundTrips = new AtomicLong();
    final AtomicLong slowest = new AtomicLong();
    final List<String> problems = new java.util.concurrent.CopyOnWriteArrayList<>();

    Monitor(Router router) {
      this.router = router;
    }

    @Override
    public void run() {
      try (RespClient c = new RespClient(router.address())) {
        if (!"OK".equals(c.call("SET", "monitor", "steady")))
          problems.add("SET monitor not acknowledged");
        while (!stop.get() && problems.size() < 5) {
          long t0 = System.nanoTime();
          Object pong = c.call("PING");
          Object v = c.call("GET", "monitor");
          slowest.accumulateAndGet(System.nanoTime() - t0, Math::max);
          if (!"PONG".equals(pong)) problems.add("PING answered " + pong);
          if (!"steady".equals(RespClient.str(v))) problems.add("GET monitor answered " + v);
          roundTrips.incrementAndGet();
        }
      } catch (IOException | RuntimeException e) {
        problems.add("monitor connection failed: " + e);
      }
    }
  }

  /** Valid pipelines and their mutations. */
  static final class Mutations {
    private Mutations() {}

    private static final byte[][] NUMBERS = {
      b("0"),
      b("-1"),
      b("-2"),
      b("-2147483648"),
      b("11"),
      b("16385"),
      b("1048576"),
      b("2147483647"),
      b("2147483648"),
      b("9223372036854775807"),
      b("99999999999999999999"),
      b(""),
      b("+5"),
      b("1 2")
    };

    static byte[] b(String s) {
      return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** One case: a pipeline of 1-4 valid commands, mutated one way (or not at all). */
    static byte[] generate(Random r) {
      List<byte[]> frames = new ArrayList<>();
      int count = 1 + r.nextInt(4);
      for (int i = 0; i < count; i++) frames.add(RespClient.command(command(r)));
      byte[] whole = concat(frames);
      byte[] out =
          switch (r.nextInt(10)) {
            case 0 -> whole; // valid: the baseline
            case 1 -> flipBits(r, whole);
            case 2 -> Arrays.copyOf(whole, r.nextInt(whole.length));
            case 3 -> splice(r, frames.get(0), RespClient.command(command(r)));
            case 4, 5 -> changeNumber(r, whole);
            case 6 -> inline(r, command(r));
            case 7 -> randomBytes(r);
            case 8 -> insert(r, whole);
            default -> delete(r, whole);
          };
      if (r.nextInt(3) == 0)
        out = concat(List.of(out, RespClient.command(command(r)))); // damage, then a good one
      return out;
    }

    static String key(Random r) {
      return "fz:" + r.nextInt(40);
    }

    static String value(Random r) {
      int n = r.nextInt(20) == 0 ? 2000 : r.nextInt(40);
      StringBuilder sb = new StringBuilder(n);
      for (int i = 0; i < n; i++) sb.append((char) ('a' + r.nextInt(26)));
      return sb.toString();
    }

    static String[] command(Random r) {
      String k = key(r);
      return switch (r.nextInt(36)) {
        case 0 -> new String[] {"PING"};
        case 1 -> new String[] {"PING", value(r)};
        case 2 -> new String[] {"ECHO", value(r)};
        case 3, 4 -> new String[] {"GET", k};
        case 5, 6 -> new String[] {"SET", k, value(r)};
        case 7 -> new String[] {"SET", k, value(r), "EX", "100"};
        case 8 -> new String[] {"MGET", k, key(r), key(r)};
        case 9 -> new String[] {"MSET", k, value(r), key(r), value(r)};
        case 10 -> new String[] {"DEL", k, key(r)};
        case 11 -> new String[] {"EXISTS", k, key(r)};
        case 12 -> new String[] {"INCR", "fz:n" + r.nextInt(5)};
        case 13 -> new String[] {"APPEND", k, value(r)};
        case 14 -> new String[] {"STRLEN", k};
        case 15 -> new String[] {"GETRANGE", k, "0", "-1"};
        case 16 -> new String[] {"SETRANGE", k, String.valueOf(r.nextInt(100)), value(r)};
        case 17 -> new String[] {"TTL", k};
        case 18 -> new String[] {"EXPIRE", k, "100"};
        case 19 -> new String[] {"TYPE", k};
        case 20 -> new String[] {"SCAN", "0", "MATCH", "fz:*", "COUNT", "5"};
        case 21 -> new String[] {"KEYS", "fz:1*"};
        case 22 -> new String[] {"DBSIZE"};
        case 23 -> new String[] {"RANGE", "fz:", "fz;", "LIMIT", "5", "WITHCURSOR"};
        case 24 -> new String[] {"INFO", r.nextBoolean() ? "router" : "server"};
        case 25 -> new String[] {"CLIENT", "SETNAME", "fz" + r.nextInt(9)};
        case 26 -> new String[] {"CLIENT", r.nextBoolean() ? "ID" : "INFO"};
        case 27 -> new String[] {"COMMAND", "INFO", "get", "set"};
        case 28 -> new String[] {"HELLO", r.nextBoolean() ? "3" : "2"};
        case 29 -> new String[] {"SELECT", "0"};
        case 30 -> new String[] {"AUTH", "x"};
        case 31 -> new String[] {"RESET"};
        case 32 -> new String[] {"GETDEL", k};
        case 33 -> new String[] {"INCRBYFLOAT", "fz:f", "1.5"};
        case 34 -> new String[] {"RENAME", k, key(r)};
        default -> new String[] {"FOO" + r.nextInt(3), k};
      };
    }

    static byte[] concat(List<byte[]> parts) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      for (byte[] p : parts) out.writeBytes(p);
      return out.toByteArray();
    }

    static byte[] flipBits(Random r, byte[] in) {
      byte[] out = in.clone();
      int flips = 1 + r.nextInt(3);
      for (int i = 0; i < flips; i++) out[r.nextInt(out.length)] ^= (byte) (1 << r.nextInt(8));
      return out;
    }

    static byte[] splice(Random r, byte[] a, byte[] b) {
      int cutA = r.nextInt(a.length + 1);
      int cutB = r.nextInt(b.length + 1);
      return concat(List.of(Arrays.copyOf(a, cutA), Arrays.copyOfRange(b, cutB, b.length)));
    }

    /** Replaces the number of one '*' or '$' header line. */
    static byte[] changeNumber(Random r, byte[] in) {
      List<Integer> headers = new ArrayList<>();
      for (int i = 0; i < in.length; i++)
        if ((in[i] == '*' || in[i] == '$') && (i == 0 || in[i - 1] == '\n')) headers.add(i);
      int h = headers.get(r.nextInt(headers.size()));
      int end = h + 1;
      while (end < in.length && in[end] != '\r') end++;
      byte[] number;
      if (r.nextInt(3) == 0) {
        long old = Long.parseLong(new String(in, h + 1, end - h - 1, StandardCharsets.US_ASCII));
        number = b(String.valueOf(old + (r.nextBoolean() ? 1 : -1)));
      } else {
        number = NUMBERS[r.nextInt(NUMBERS.length)];
      }
      return concat(
          List.of(Arrays.copyOf(in, h + 1), number, Arrays.copyOfRange(in, end, in.length)));
    }

    static byte[] inline(Random r, String[] args) {
      String sep = r.nextBoolean() ? " " : "\t";
      String line = String.join(sep, args) + (r.nextBoolean() ? "\r\n" : "\n");
      if (r.nextInt(4) == 0) line = "\"" + line; // a quote Redis would parse, ours takes as is
      return b(line);
    }

    static byte[] randomBytes(Random r) {
      byte[] out = new byte[1 + r.nextInt(200)];
      r.nextBytes(out);
      if (r.nextBoolean()) out[0] = (byte) (r.nextBoolean() ? '*' : '$');
      return out;
    }

    static byte[] insert(Random r, byte[] in) {
      byte[] junk = new byte[1 + r.nextInt(8)];
      r.nextBytes(junk);
      int at = r.nextInt(in.length + 1);
      return concat(List.of(Arrays.copyOf(in, at), junk, Arrays.copyOfRange(in, at, in.length)));
    }

    static byte[] delete(Random r, byte[] in) {
      int from = r.nextInt(in.length);
      int to = Math.min(in.length, from + 1 + r.nextInt(8));
      return concat(List.of(Arrays.copyOf(in, from), Arrays.copyOfRange(in, to, in.length)));
    }
  }
}
