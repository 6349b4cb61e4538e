package io.fdbmeta.storage;

import static io.fdbmeta.storage.Bytes.b;
import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.wire.NodeCodec;
import io.fdbmeta.wire.NodeOp;
import io.fdbmeta.wire.NodeReply;
import io.fdbmeta.wire.NodeRequest;
import io.fdbmeta.wire.ReplyStatus;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/*
 * Each case is 1-3 valid node protocol requests (every op, on keys of their own, "fz:...", with the
 * range's real routing header or a wrong one), mutated one way: bit flips, a truncation, the splice
 * of two frames, the length prefix or a 4-byte field inside replaced by another number (0, 1, -1,
 * the limit and one past it, 2^31-1, off by one), random bytes, inserted or deleted bytes;
 * sometimes a valid request follows the damage. Case n draws everything from its own
 * Random(seed, n), so a failing case replays alone (-Dfdbmeta.fuzz.case=n with the printed seed).
 *
 * A case runs on a connection of its own, WORKERS at a time: it sends the case, then a PING with an
 * id of its own, and reads until that PING's reply or a close. A PING swallowed by a partial frame
 * leaves nothing whole arriving, so the node's idle timeout (IDLE, short here) closes the
 * connection; either must happen within CASE_DEADLINE, or the case hung. Every byte received must
 * be whole reply frames within the frame limit that NodeCodec decodes, and nothing may follow a
 * "malformed frame" reply.
 *
 * Meanwhile a writer connection pings, writes keys and reads each back; afterwards the keys written
 * before and during the fuzzing must read back intact, and the node must serve a new connection.
 */
/**
 * Seeded fuzzing of a storage node's node protocol port; see the comment at the top. 2,000 cases by
 * default (about 15 s); a longer run with a chosen seed:
 *
 * <pre>
 * mvn -B -o verify -pl storage -am -Dit.test=NodeProtocolFuzzIT -Dtest=NoSuchTest \
 *   -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false \
 *   -Dfdbmeta.fuzz.cases=200000 -Dfdbmeta.fuzz.seed=42
 * </pre>
 *
 * A failure names the seed, the case number and both directions' bytes; {@code
 * -Dfdbmeta.fuzz.case=N} runs that case alone.
 */
class NodeProtocolFuzzIT {
  private static final int CASES = Integer.getInteger("fdbmeta.fuzz.cases", 2000);

  /** Fixed by default, so `mvn -B verify` runs the same cases every time; -D for others. */
  private static final long SEED = Long.getLong("fdbmeta.fuzz.seed", 20261207L);

  private static final int ONLY = Integer.getInteger("fdbmeta.fuzz.case", -1);
  private static final int WORKERS = 48;
  private static final int MAX_FRAME = 64 << 10;
  private static final Duration IDLE = Duration.ofSeconds(2);
  private static final long CASE_DEADLINE_NANOS = IDLE.toNanos() * 2 + 10_000_000_000L;
  private static final long SENTINEL = 0x5EED_0000_0000L;
  private static final int PRE_KEYS = 200;

  /** One failed case, with what it takes to replay it. */
  record Failure(int caseNo, String why, byte[] sent, byte[] received) {
    @Override
    public String toString() {
      return "seed "
          + SEED
          + " case "
          + caseNo
          + ": "
          + why
          + "\n  sent     "
          + hex(sent, 400)
          + "\n  received "
          + hex(received, 400);
    }
  }

  @Test
  void mutatedFramesGetWholeRepliesOrACloseAndHarmNoOneElse() throws Exception {
    System.out.printf(
        "NodeProtocolFuzzIT: seed %d, %d cases%s (-Dfdbmeta.fuzz.seed=%d -Dfdbmeta.fuzz.cases=%d)%n",
        SEED, CASES, ONLY >= 0 ? ", only case " + ONLY : "", SEED, CASES);
    try (TestClusters t =
        TestClusters.start(
            "fuzz-node",
            o ->
                o.nodes(1)
                    .replication(1)
                    .nodeConfig(
                        n ->
                            n.replicationTimeout(Duration.ofSeconds(1))
                                .maxFrameBytes(MAX_FRAME)
                                .idleTimeout(IDLE)
                                // every case connects from 127.0.0.1: the whole cap per address
                                .maxConnectionsPerAddress(1024)))) {
      StorageNode node = t.cluster.nodes().get(0);
      RangeDescriptor d = t.cluster.ranges().get(0);
      assertThat(t.cluster.ranges()).hasSize(1);
      try (Socket s = MalformedFrameIT.connect(node.nodeSocketAddress())) {
        for (int i = 0; i < PRE_KEYS; i++)
          assertThat(set(s, d, i, "pre:" + i, "value-" + i)).isEqualTo(ReplyStatus.OK);
      }
      Writer writer = new Writer(node, d);
      Thread writerThread = new Thread(writer, "fuzz-writer");
      writerThread.setDaemon(true);
      writerThread.start();
      ConcurrentLinkedQueue<Failure> failures = new ConcurrentLinkedQueue<>();
      long started = System.nanoTime();
      AtomicInteger next = new AtomicInteger(ONLY >= 0 ? ONLY : 0);
      int last = ONLY >= 0 ? ONLY + 1 : CASES;
      ExecutorService pool = Executors.newFixedThreadPool(WORKERS);
      List<Future<?>> done = new ArrayList<>();
      for (int w = 0; w < WORKERS; w++)
        done.add(
            pool.submit(
                () -> {
                  for (int n = next.getAndIncrement(); n < last; n = next.getAndIncrement()) {
                    Failure f = runCase(node, d, n);
                    if (f != null) failures.add(f);
                  }
                  return null;
                }));
      for (Future<?> f : done) f.get(10, TimeUnit.MINUTES);
      pool.shutdown();
      writer.stop.set(true);
      writerThread.join(30_000);
      System.out.printf(
          "NodeProtocolFuzzIT: %d cases in %d s, %d failed; writer %d acknowledged writes (slowest"
              + " round trip %d ms)%n",
          last - (ONLY >= 0 ? ONLY : 0),
          TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started),
          failures.size(),
          writer.acked.size(),
          TimeUnit.NANOSECONDS.toMillis(writer.slowest.get()));
      assertThat(failures).as("failed cases (seed %d)", SEED).isEmpty();
      assertThat(writer.problems).as("the writer's problems").isEmpty();
      assertThat(writer.acked).isNotEmpty();
      try (Socket s = MalformedFrameIT.connect(node.nodeSocketAddress())) {
        MalformedFrameIT.write(s, NodeRequest.ping(1));
        assertThat(MalformedFrameIT.read(s).status()).isEqualTo(ReplyStatus.OK);
        List<String> lost = new ArrayList<>();
        for (int i = 0; i < PRE_KEYS; i++)
          if (!("value-" + i).equals(get(s, d, i, "pre:" + i))) lost.add("pre:" + i);
        int id = PRE_KEYS;
        for (String k : writer.acked) if (!("v-" + k).equals(get(s, d, id++, k))) lost.add(k);
        assertThat(lost).as("acknowledged keys that do not read back").isEmpty();
      }
    }
  }

  private static ReplyStatus set(Socket s, RangeDescriptor d, long id, String k, String v)
      throws Exception {
    MalformedFrameIT.write(
        s,
        NodeRequest.set(
            id,
            d.rangeId(),
            d.generation(),
            d.leaseEpoch(),
            new byte[][] {b(k)},
            new byte[][] {b(v)}));
    NodeReply r = MalformedFrameIT.read(s);
    if (r.id() != id) throw new AssertionError("reply to " + r.id() + " for request " + id);
    return r.status();
  }

  private static String get(Socket s, RangeDescriptor d, long id, String k) throws Exception {
    MalformedFrameIT.write(
        s, NodeRequest.keys(id, NodeOp.GET, d.rangeId(), d.generation(), d.leaseEpoch(), b(k)));
    NodeReply r = MalformedFrameIT.read(s);
    if (r.status() != ReplyStatus.OK || r.id() != id) return "reply " + r;
    byte[] v = r.values()[0];
    return v == null ? null : new String(v, StandardCharsets.UTF_8);
  }

  /** Runs case {@code n} on a connection of its own; null if it passed. */
  private static Failure runCase(StorageNode node, RangeDescriptor d, int n) {
    Random r = new Random(SEED * 1_000_003L + n);
    byte[] sent = Mutations.generate(r, d);
    long sentinel = SENTINEL + n;
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    long deadline = System.nanoTime() + CASE_DEADLINE_NANOS;
    try (Socket s = MalformedFrameIT.connect(node.nodeSocketAddress())) {
      s.setSoTimeout(250);
      s.setTcpNoDelay(true);
      try {
        s.getOutputStream().write(sent);
        s.getOutputStream().write(frame(NodeRequest.ping(sentinel)));
      } catch (IOException closedEarly) {
        // the node may close while we still write (a malformed frame early in the case)
      }
      InputStream in = s.getInputStream();
      byte[] buf = new byte[8192];
      while (true) {
        if (System.nanoTime() > deadline)
          return new Failure(
              n,
              "no end within " + TimeUnit.NANOSECONDS.toSeconds(CASE_DEADLINE_NANOS) + " s",
              sent,
              got.toByteArray());
        int k;
        try {
          k = in.read(buf);
        } catch (SocketTimeoutException more) {
          continue;
        } catch (IOException reset) {
          k = -1; // a reset after the node closed with unread input: the same as a close
        }
        if (k < 0) break;
        got.write(buf, 0, k);
        if (answered(got.toByteArray(), sentinel)) break;
      }
    } catch (Exception ex) {
      return new Failure(n, "could not connect: " + ex, sent, got.toByteArray());
    }
    byte[] received = got.toByteArray();
    String bad = check(received);
    return bad == null ? null : new Failure(n, bad, sent, received);
  }

  /** True if {@code got} holds whole frames only, the last the reply to {@code id}. */
  private static boolean answered(byte[] got, long id) {
    ByteBuffer b = ByteBuffer.wrap(got);
    NodeReply last = null;
    while (b.remaining() >= 4) {
      int len = b.getInt(b.position());
      if (len < 0 || b.remaining() - 4 < len) return false;
      b.position(b.position() + 4);
      try {
        last = NodeCodec.decodeReply(Unpooled.wrappedBuffer(got, b.position(), len));
      } catch (RuntimeException malformed) {
        return false; // check() says why
      }
      b.position(b.position() + len);
    }
    return !b.hasRemaining() && last != null && last.id() == id;
  }

  /** Why {@code got} is not a sequence of valid reply frames, or null if it is. */
  private static String check(byte[] got) {
    ByteBuffer b = ByteBuffer.wrap(got);
    int frames = 0;
    boolean closing = false;
    while (b.hasRemaining()) {
      if (closing) return "a reply followed the malformed-frame reply";
      if (b.remaining() < 4) return "stream ends inside frame " + frames + "'s length";
      int len = b.getInt();
      if (len < 0 || len > MAX_FRAME)
        return "frame " + frames + " announces " + len + " bytes (limit " + MAX_FRAME + ")";
      if (b.remaining() < len) return "stream ends inside frame " + frames;
      NodeReply r;
      try {
        r = NodeCodec.decodeReply(Unpooled.wrappedBuffer(got, b.position(), len));
      } catch (RuntimeException e) {
        return "frame " + frames + " does not decode: " + e.getMessage();
      }
      b.position(b.position() + len);
      closing =
          r.id() == 0
              && r.status() == ReplyStatus.ERROR
              && r.message() != null
              && r.message().startsWith("malformed frame");
      frames++;
    }
    return null;
  }

  static byte[] frame(NodeRequest r) {
    ByteBuf b = Unpooled.buffer();
    NodeCodec.encode(r, b);
    byte[] out = new byte[b.readableBytes()];
    b.readBytes(out);
    return out;
  }

  static String hex(byte[] b, int max) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < Math.min(b.length, max); i++) sb.append(String.format("%02x", b[i]));
    if (b.length > max) sb.append("... (").append(b.length).append(" bytes)");
    return sb.toString();
  }

  /** A well-behaved client: PING, SET of a new key, GET of it, each answered right. */
  private static final class Writer implements Runnable {
    final StorageNode node;
    final RangeDescriptor d;
    final AtomicBoolean stop = new AtomicBoolean();
    final List<String> acked = new CopyOnWriteArrayList<>();
    final List<String> problems = new CopyOnWriteArrayList<>();
    final AtomicLong slowest = new AtomicLong();

    Writer(StorageNode node, RangeDescriptor d) {
      this.node = node;
      this.d = d;
    }

    @Override
    public void run() {
      try (Socket s = MalformedFrameIT.connect(node.nodeSocketAddress())) {
        long id = 1;
        for (int i = 0; !stop.get() && problems.size() < 5; i++) {
          long t0 = System.nanoTime();
          MalformedFrameIT.write(s, NodeRequest.ping(id));
          NodeReply pong = MalformedFrameIT.read(s);
          if (pong.status() != ReplyStatus.OK || pong.id() != id)
            problems.add("PING " + id + " answered " + pong);
          id++;
          String k = "during:" + i;
          ReplyStatus st = set(s, d, id++, k, "v-" + k);
          if (st == ReplyStatus.OK) acked.add(k);
          else problems.add("SET " + k + " answered " + st);
          String v = get(s, d, id++, k);
          if (!("v-" + k).equals(v)) problems.add("GET " + k + " answered " + v);
          slowest.accumulateAndGet(System.nanoTime() - t0, Math::max);
        }
      } catch (Exception e) {
        problems.add("writer connection failed: " + e);
      }
    }
  }

  /** Valid requests and their mutations. */
  static final class Mutations {
    private Mutations() {}

    private static final int[] NUMBERS = {
      0, 1, -1, 4, MAX_FRAME, MAX_FRAME + 1, Integer.MAX_VALUE, Integer.MIN_VALUE, 0x01000000
    };

    static byte[] generate(Random r, RangeDescriptor d) {
      List<byte[]> frames = new ArrayList<>();
      int count = 1 + r.nextInt(3);
      for (int i = 0; i < count; i++) frames.add(frame(request(r, d)));
      byte[] whole = concat(frames);
      byte[] out =
          switch (r.nextInt(10)) {
            case 0 -> whole; // valid: the baseline
            case 1, 2 -> flipBits(r, whole);
            case 3 -> Arrays.copyOf(whole, r.nextInt(whole.length));
            case 4 -> splice(r, frames.get(0), frame(request(r, d)));
            case 5 -> setInt(whole, 0, number(r, whole.length - 4)); // the first length prefix
            case 6 -> setInt(whole, r.nextInt(whole.length - 3), number(r, 8));
            case 7 -> randomBytes(r);
            case 8 -> insert(r, whole);
            default -> delete(r, whole);
          };
      if (r.nextInt(3) == 0) out = concat(List.of(out, frame(request(r, d))));
      return out;
    }

    static int number(Random r, int near) {
      return r.nextInt(3) == 0 ? near + r.nextInt(3) - 1 : NUMBERS[r.nextInt(NUMBERS.length)];
    }

    static NodeRequest request(Random r, RangeDescriptor d) {
      boolean right = r.nextInt(4) != 0;
      long range = right ? d.rangeId() : r.nextLong();
      long gen = right ? d.generation() : r.nextInt(5);
      long epoch = right ? d.leaseEpoch() : r.nextInt(5);
      long id = 1 + r.nextInt(1000);
      NodeOp[] ops = NodeOp.values();
      NodeOp op = ops[r.nextInt(ops.length)];
      int keyCount = op == NodeOp.PING ? 0 : 1 + r.nextInt(3);
      byte[][] keys = new byte[keyCount][];
      for (int i = 0; i < keyCount; i++) keys[i] = b("fz:" + r.nextInt(40));
      byte[][] values = new byte[0][];
      int limit = 0;
      switch (op) {
        case SET, REPLICATE -> {
          values = new byte[keyCount][];
          for (int i = 0; i < keyCount; i++) values[i] = value(r);
          if (op == NodeOp.REPLICATE && r.nextBoolean()) values[0] = null;
        }
        case SCAN, FETCH, COUNT -> {
          keys = new byte[][] {b("fz:"), r.nextBoolean() ? new byte[0] : b("fz;")};
          limit = r.nextInt(20);
        }
        case COMMAND -> {
          String k = "fz:" + r.nextInt(40);
          keys =
              r.nextBoolean()
                  ? new byte[][] {b("GET"), b(k)}
                  : new byte[][] {b("APPEND"), b(k), b("xy")};
          limit = 2 + r.nextInt(2);
        }
        default -> {}
      }
      return new NodeRequest(id, op, range, gen, epoch, limit, keys, values);
    }

    static byte[] value(Random r) {
      byte[] v = new byte[r.nextInt(10) == 0 ? 3000 : r.nextInt(40)];
      r.nextBytes(v);
      return v;
    }

    static byte[] concat(List<byte[]> parts) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      for (byte[] p : parts) out.writeBytes(p);
      return out.toByteArray();
    }

    static byte[] setInt(byte[] in, int at, int value) {
      byte[] out = in.clone();
      ByteBuffer.wrap(out).putInt(at, value);
      return out;
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

    static byte[] randomBytes(Random r) {
      byte[] out = new byte[1 + r.nextInt(200)];
      r.nextBytes(out);
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
