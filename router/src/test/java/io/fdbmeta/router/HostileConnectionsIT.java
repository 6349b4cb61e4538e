package io.fdbmeta.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.storage.StorageNode;
import io.fdbmeta.wire.NodeCodec;
import io.fdbmeta.wire.NodeRequest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/*
 * The attack. 1,000 connections to the router, a third each:
 *   - "*1048576\r\n": an array header promising a million arguments, then nothing;
 *   - half a bulk string: "*3 SET k $1048576" and 4 KiB of its value, then nothing;
 *   - a pipeline of 80 GETs of a 4 KiB value and 10 INFOs (330 KiB of replies, past the 256 KiB
 *     write high-water mark), never read, from a socket whose receive buffer is 4 KiB;
 * and 1,000 connections to a storage node's port, each announcing a 100,000-byte frame and sending
 * 1,000 bytes of it. Meanwhile a CheckedWorkload runs through the router. The router's request
 * deadline is 30 s here, not 5 s, so that every partial command is still held when memory is
 * measured (the deadline would only cut the attack short).
 *
 * What must hold: the workload sees no error and every acknowledged write reads back (through the
 * router and on every replica), and the heap the whole process uses (router, nodes, test clients:
 * one JVM) after a full GC stays within HEAP_BOUND_MB of the baseline taken before the attack,
 * measured while all 2,000 hostile connections are open and have been read. Netty's buffers are
 * off heap: the direct memory in use is printed beside the heap and bounded too (DIRECT_BOUND_MB).
 *
 * Measured on the 2-core machine: heap +5 to +12 MiB, direct memory +204 MiB (the 333
 * never-reading connections' unsent replies, 83 MiB at the high-water mark, plus read buffers and
 * the allocator's chunks).
 */
/**
 * A thousand hostile connections at once against the router and against a node port, beside a
 * checked workload (see the comment at the top). Bounds: heap within {@value #HEAP_BOUND_MB} MiB of
 * the baseline (16 KiB per hostile connection, the two thousand of them together), direct memory
 * within {@value #DIRECT_BOUND_MB} MiB.
 */
class HostileConnectionsIT {
  private static final int HOSTILE = 1000;
  private static final int WORKLOAD_CLIENTS = 4;
  private static final long HEAP_BOUND_MB = 32;
  private static final long DIRECT_BOUND_MB = 320;
  private static final int BIG_VALUE = 4 << 10;

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  /** Heap in use after a full collection, in bytes. */
  private static long usedHeapAfterGc() {
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 3; i++) { // the lowest of three: a collection may run beside allocation
      System.gc();
      used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
    }
    return used;
  }

  /** Direct memory in use: the JDK's direct buffers and Netty's pooled direct arenas. */
  private static long usedDirect() {
    long jdk = 0;
    for (BufferPoolMXBean b : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class))
      if (b.getName().equals("direct")) jdk = b.getMemoryUsed();
    long netty =
        ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider p
            ? p.metric().usedDirectMemory()
            : 0;
    return Math.max(jdk, netty);
  }

  private static long mb(long bytes) {
    return bytes >> 20;
  }

  private static Socket open(InetSocketAddress a, boolean smallReceiveBuffer) throws IOException {
    Socket s = new Socket();
    if (smallReceiveBuffer) s.setReceiveBufferSize(4096);
    s.connect(a, 10_000);
    s.setSoTimeout(10_000);
    return s;
  }

  @Test
  void aThousandHostileConnectionsEachOnRouterAndNodeCostBoundedMemoryAndNoWorkloadError()
      throws Exception {
    List<Socket> hostile = new ArrayList<>();
    // every connection here comes from 127.0.0.1: the caps per source address are raised to the
    // total caps, so that the attack is a thousand connections at once (HardeningIT and
    // NodePortLimitsIT check the per-address caps)
    try (NodesBehindRouter e =
            NodesBehindRouter.start(
                "hostile",
                o ->
                    o.nodeConfig(
                        n ->
                            n.replicationTimeout(Duration.ofSeconds(1))
                                .drainTimeout(Duration.ofSeconds(2))
                                .routePollInterval(Duration.ofMillis(200))
                                .maxConnectionsPerAddress(1024)));
        CheckedWorkload w =
            new CheckedWorkload(
                e.router(
                    b -> b.requestTimeout(Duration.ofSeconds(30)).maxConnectionsPerAddress(10_000)),
                WORKLOAD_CLIENTS,
                2000,
                14)) {
      Router router = e.routers().get(0);
      StorageNode node = e.cluster.nodes().get(0);
      try (RespClient c = new RespClient(router.address())) {
        byte[] big = new byte[BIG_VALUE];
        Arrays.fill(big, (byte) 'v');
        assertThat(c.call("SET".getBytes(), "big".getBytes(), big)).isEqualTo("OK");
      }
      awaitWrites(w, 100);
      long heapBefore = usedHeapAfterGc();
      long directBefore = usedDirect();
      // the workload's connections only (the one that wrote "big" may still be closing)
      int connectionsBefore = WORKLOAD_CLIENTS;
      TestCluster.await(
          "only the workload's connections open",
          Duration.ofSeconds(10),
          () -> router.connections() == WORKLOAD_CLIENTS,
          () -> router.connections() + " connections");

      ByteArrayOutputStream pipeline = new ByteArrayOutputStream();
      for (int i = 0; i < 80; i++) {
        pipeline.write(RespClient.command("GET", "big"));
        if (i % 8 == 0) pipeline.write(RespClient.command("INFO"));
      }
      byte[] halfBulk = new byte[4096];
      Arrays.fill(halfBulk, (byte) 'x');
      long t0 = System.nanoTime();
      for (int i = 0; i < HOSTILE; i++) {
        Socket s = open(router.address(), i % 3 == 2);
        hostile.add(s);
        switch (i % 3) {
          case 0 -> s.getOutputStream().write(ascii("*1048576\r\n"));
          case 1 -> {
            s.getOutputStream().write(ascii("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048576\r\n"));
            s.getOutputStream().write(halfBulk);
          }
          default -> s.getOutputStream().write(pipeline.toByteArray());
        }
      }
      for (int i = 0; i < HOSTILE; i++) {
        Socket s = open(node.nodeSocketAddress(), false);
        hostile.add(s);
        DataOutputStream out = new DataOutputStream(s.getOutputStream());
        out.writeInt(100_000);
        out.write(new byte[1000]);
        out.flush();
      }
      TestCluster.await(
          "the router to hold every hostile connection",
          Duration.ofSeconds(20),
          () -> router.connections() >= connectionsBefore + HOSTILE,
          () -> router.connections() + " connections");
      try (Socket probe = open(node.nodeSocketAddress(), false)) {
        // accepted after every hostile one: they are all in the node's pipeline by now
        probe.getOutputStream().write(NodePing.PING);
        assertThat(probe.getInputStream().readNBytes(4)).hasSize(4);
      }
      long attackMillis = (System.nanoTime() - t0) / 1_000_000;
      int heldDuring = router.connections() - connectionsBefore;
      long writesAtPeak = w.writes();
      long heapDuring = usedHeapAfterGc();
      long directDuring = usedDirect();
      awaitWrites(w, writesAtPeak + 100); // the workload goes on under the attack
      System.out.printf(
          "hostile connections: %d to the router and %d to node %s opened in %d ms; heap after GC"
              + " %d MiB before, %d MiB under attack (+%d MiB, bound %d); direct %d MiB before,"
              + " %d MiB under attack (+%d MiB, bound %d); router incomplete commands %d,"
              + " deadline closes %d, hostile connections held %d%n",
          HOSTILE,
          HOSTILE,
          node.nodeId(),
          attackMillis,
          mb(heapBefore),
          mb(heapDuring),
          mb(heapDuring - heapBefore),
          HEAP_BOUND_MB,
          mb(directBefore),
          mb(directDuring),
          mb(directDuring - directBefore),
          DIRECT_BOUND_MB,
          router.metrics().incompleteCommandRejections(),
          router.metrics().deadlineCloses(),
          heldDuring);
      for (Socket s : hostile) s.close();
      hostile.clear();
      awaitWrites(w, w.writes() + 100);
      w.stop();
      System.out.printf(
          "hostile connections: workload %d writes, %d reads, problems %s%n",
          w.writes(), w.reads(), w.problems());
      assertThat(w.problems()).as("the workload's problems (%s)", w.describeProblems()).isEmpty();
      CheckedWorkload.Verification v = w.verify(router, e.cluster);
      assertThat(v.lost()).as("acknowledged writes lost (of %d)", v.checked()).isEmpty();
      assertThat(v.checked()).isEqualTo(w.ackedKeys()).isPositive();
      assertThat(heldDuring).as("hostile connections open while measured").isEqualTo(HOSTILE);
      assertThat(heapDuring - heapBefore)
          .as("heap growth under attack, bytes")
          .isLessThan(HEAP_BOUND_MB << 20);
      assertThat(directDuring - directBefore)
          .as("direct memory growth under attack, bytes")
          .isLessThan(DIRECT_BOUND_MB << 20);
    } finally {
      for (Socket s : hostile) s.close();
    }
  }

  private static void awaitWrites(CheckedWorkload w, long n) {
    TestCluster.await(
        n + " acknowledged writes of the workload",
        Duration.ofSeconds(30),
        () -> w.writes() >= n || !w.problems().isEmpty(),
        () -> w.writes() + " writes, " + w.describeProblems());
  }

  /** A node protocol PING, framed. */
  private static final class NodePing {
    static final byte[] PING;

    static {
      ByteBuf b = Unpooled.buffer();
      NodeCodec.encode(NodeRequest.ping(1), b);
      PING = new byte[b.readableBytes()];
      b.readBytes(PING);
    }
  }
}
