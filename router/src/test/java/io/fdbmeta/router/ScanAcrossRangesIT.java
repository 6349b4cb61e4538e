package io.fdbmeta.router;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * SCAN, KEYS, DBSIZE and RANGE WITHCURSOR through real storage nodes: a SCAN run to its end returns
 * every key exactly once, in key order, while ranges split under it; RANGE WITHCURSOR says where it
 * stopped and continues from there.
 */
class ScanAcrossRangesIT {
  private static String key(int i) {
    return String.format("key:%04d", i);
  }

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** The bulk strings of a flat array reply, from line {@code from} (its header). */
  private static List<String> elements(String reply, int from) {
    String[] lines = reply.split("\r\n");
    List<String> out = new ArrayList<>();
    for (int i = from + 1; i + 1 < lines.length; i += 2) out.add(lines[i + 1]);
    return out;
  }

  @Test
  void scanReturnsEveryKeyOnceWhileRangesSplit() throws Exception {
    int n = 400;
    try (NodesBehindRouter nodes = NodesBehindRouter.start("scan-splits")) {
      nodes.cluster.split(b(key(100)));
      Router router = nodes.router();
      try (RedisServerProcess.Conn c = new RedisServerProcess.Conn(router.address())) {
        for (int i = 0; i < n; i++) assertThat(c.call("SET", key(i), "v" + i)).isEqualTo("+OK\r\n");
        c.call("SET", "gone", "x", "PX", "1");
        Thread.sleep(20);
        assertThat(c.call("DBSIZE")).isEqualTo(":" + n + "\r\n");

        List<String> seen = new ArrayList<>();
        String cursor = "0";
        int calls = 0;
        do {
          String reply = c.call("SCAN", cursor, "COUNT", "17");
          cursor = reply.split("\r\n")[2];
          seen.addAll(elements(reply, 3));
          calls++;
          // splits at keys ahead of the cursor, behind it, and exactly at the next start
          if (calls == 3) nodes.cluster.split(b(key(250)));
          if (calls == 5) nodes.cluster.split(b(key(20)));
          if (calls == 8) nodes.cluster.split(b(seen.get(seen.size() - 1) + "\0"));
        } while (!cursor.equals("0"));
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < n; i++) expected.add(key(i));
        assertThat(seen).isEqualTo(expected); // each once, in key order, "gone" expired
        assertThat(calls).isGreaterThanOrEqualTo(n / 17);

        String all = c.call("SCAN", "0", "MATCH", "key:00[1-2]?", "COUNT", "1000");
        assertThat(all).startsWith("*2\r\n$1\r\n0\r\n*20\r\n");
        assertThat(new TreeSet<>(elements(c.call("KEYS", "key:03*"), 0))).hasSize(100);
        assertThat(c.call("SCAN", "12345")).isEqualTo("-ERR invalid cursor\r\n");
        assertThat(c.call("DBSIZE")).isEqualTo(":" + n + "\r\n");

        // RANGE WITHCURSOR: pages of 150 across the ranges, each telling where the next starts
        List<String> pairs = new ArrayList<>();
        String start = "key:";
        int pages = 0;
        while (true) {
          String reply = c.call("RANGE", start, "key;", "LIMIT", "150", "WITHCURSOR");
          String[] lines = reply.split("\r\n");
          assertThat(lines[0]).isEqualTo("*2");
          pages++;
          if (lines[1].equals("$-1")) {
            pairs.addAll(elements(reply, 2));
            break;
          }
          start = lines[2];
          pairs.addAll(elements(reply, 3));
          assertThat(pages).isLessThan(10);
        }
        assertThat(pairs).hasSize(2 * n);
        assertThat(pages).isEqualTo(3);
        assertThat(pairs.get(2 * n - 2)).isEqualTo(key(n - 1));
      }
      assertThat(router.metrics().failures()).isZero();
    }
  }
}
