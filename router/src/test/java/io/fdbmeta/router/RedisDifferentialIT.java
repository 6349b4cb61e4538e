package io.fdbmeta.router;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The router and a real redis-server (7.0.15, started on a free loopback port) get the same seeded
 * random sequences of the commands the router serves (connection commands, COMMAND, GET/SET/MGET/
 * MSET/DEL/UNLINK/EXISTS/TOUCH over two ranges, arity errors, unknown commands), in RESP2 and
 * RESP3; every reply must be the same bytes, except the differences listed in {@link #DIFFERENCES}
 * (the README's "Differences from Redis"). 300 sequences by default; {@code
 * -Dfdbmeta.differential.sequences=N} for a longer run, {@code -Dfdbmeta.differential.seed=S} to
 * replay one.
 */
class RedisDifferentialIT {
  private static final int SEQUENCES = Integer.getInteger("fdbmeta.differential.sequences", 300);
  private static final long SEED = Long.getLong("fdbmeta.differential.seed", 19L);
  private static final String[] KEYS = {"k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7"};

  private static final java.util.Set<String> TIMED =
      java.util.Set.of("TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME");

  /** How the router's reply is checked when it is not Redis's byte for byte. */
  private record Difference(
      String why, Predicate<String[]> applies, boolean sendToRedis, Pattern routerReply) {}

  /** Every documented difference from Redis that the generated commands meet, in one place. */
  private static final List<Difference> DIFFERENCES =
      List.of(
          new Difference(
              "connection ids are each server's own: the id is compared as any integer",
              c -> is(c, "CLIENT", "ID"),
              true,
              Pattern.compile(":\\d+\r\n")),
          new Difference(
              "HELLO's map carries the connection id (the rest is compared below)",
              c -> c[0].equals("HELLO"),
              true,
              Pattern.compile("(?s).*")),
          new Difference(
              "COMMAND COUNT counts the router's table, not Redis's 240 commands",
              c -> is(c, "COMMAND", "COUNT") && c.length == 2,
              true,
              Pattern.compile(":" + CommandTable.count() + "\r\n")),
          new Difference(
              "COMMAND DOCS answers an empty doc map per command",
              c -> is(c, "COMMAND", "DOCS"),
              false,
              Pattern.compile("(?s)[*%]\\d+\r\n.*")),
          new Difference(
              "CLIENT SETINFO is Redis 7.2's; redis-server 7.0 does not know it",
              c -> is(c, "CLIENT", "SETINFO") && c.length == 4,
              false,
              Pattern.compile("\\+OK\r\n")),
          new Difference(
              "SELECT of another database: Redis Cluster's error, the router has database 0 only",
              c -> c[0].equals("SELECT") && c.length == 2 && c[1].matches("-?[1-9]\\d*"),
              false,
              Pattern.compile("-ERR SELECT is not allowed in cluster mode\r\n")),
          new Difference(
              "a relative TTL is each server's own clock's: TTL, PTTL and EXPIRETIME replies are"
                  + " compared as -2, -1 or positive",
              c -> TIMED.contains(c[0]),
              true,
              Pattern.compile("(?s).*")));

  private static NodesBehindRouter nodes;
  private static Router router;
  private static RedisServerProcess redis;

  @BeforeAll
  static void start() throws Exception {
    redis = RedisServerProcess.start();
    nodes = NodesBehindRouter.start("differential");
    nodes.cluster.split("k4".getBytes(StandardCharsets.UTF_8));
    router = nodes.router();
  }

  @AfterAll
  static void stop() {
    if (router != null) router.close();
    if (nodes != null) nodes.close();
    if (redis != null) redis.close();
  }

  private static boolean is(String[] c, String name, String sub) {
    return c.length >= 2 && c[0].equals(name) && c[1].equalsIgnoreCase(sub);
  }

  @Test
  void theRouterAnswersAsRedisDoes() throws Exception {
    Random rnd = new Random(SEED);
    long before = router.metrics().failures();
    int compared = 0;
    for (int seq = 0; seq < SEQUENCES; seq++) {
      try (RedisServerProcess.Conn r = redis.connect();
          RedisServerProcess.Conn f = new RedisServerProcess.Conn(router.address())) {
        List<String> log = new ArrayList<>();
        int n = 5 + rnd.nextInt(20);
        for (int i = 0; i < n; i++) {
          String[] cmd = next(rnd);
          log.add(String.join(" ", cmd));
          String context = "sequence " + seq + " (seed " + SEED + "): " + log;
          if (cmd[0].equals("KEYS") && cmd.length == 2 || cmd[0].equals("SCAN-ALL")) {
            // the order of keys is each server's own: compared as sorted sets
            assertThat(keySet(f, cmd)).as(context).isEqualTo(keySet(r, cmd));
            compared++;
            continue;
          }
          Difference d = difference(cmd);
          String fromRouter;
          try {
            fromRouter = f.call(cmd);
          } catch (java.io.IOException e) {
            throw new AssertionError(context, e);
          }
          if (d == null || d.sendToRedis) {
            String fromRedis = r.call(cmd);
            if (d == null) {
              assertThat(fromRouter).as(context).isEqualTo(fromRedis);
              compared++;
            } else if (cmd[0].equals("HELLO")) {
              assertThat(withoutId(fromRouter)).as(context).isEqualTo(withoutId(fromRedis));
            } else if (TIMED.contains(cmd[0])) {
              fromRouter = positive(fromRouter);
              assertThat(fromRouter).as(context).isEqualTo(positive(fromRedis));
              compared++;
            }
          }
          if (d != null)
            assertThat(fromRouter).as(context + " [" + d.why + "]").matches(d.routerReply);
        }
      }
    }
    assertThat(compared).isGreaterThan(SEQUENCES * 5);
    assertThat(router.metrics().failures()).isEqualTo(before);
  }

  /**
   * KEYS' keys, or SCAN-ALL's: SCAN from "0" with the command's options until the cursor is "0"
   * again, each key once.
   */
  private static java.util.SortedSet<String> keySet(RedisServerProcess.Conn c, String[] cmd)
      throws java.io.IOException {
    java.util.TreeSet<String> keys = new java.util.TreeSet<>();
    if (cmd[0].equals("KEYS")) {
      keys.addAll(elements(c.call(cmd), 0));
      return keys;
    }
    String cursor = "0";
    int calls = 0;
    do {
      String[] scan = cmd.clone();
      scan[0] = "SCAN";
      scan[1] = cursor;
      String reply = c.call(scan);
      assertThat(reply).startsWith("*2\r\n$");
      String[] lines = reply.split("\r\n");
      cursor = lines[2];
      for (String k : elements(reply, 3))
        assertThat(keys.add(k)).as("SCAN returned " + k + " twice").isTrue();
      assertThat(++calls).isLessThan(1000);
    } while (!cursor.equals("0"));
    return keys;
  }

  /** The bulk strings of a flat array reply, from line {@code from} (its header). */
  private static List<String> elements(String reply, int from) {
    String[] lines = reply.split("\r\n");
    List<String> out = new ArrayList<>();
    for (int i = from + 1; i + 1 < lines.length; i += 2) out.add(lines[i + 1]);
    return out;
  }

  private static String positive(String reply) {
    return reply.matches(":[1-9]\\d*\r\n") ? ":POSITIVE\r\n" : reply;
  }

  /** A key expires after a short real TTL on both sides, and is absent everywhere after it. */
  @Test
  void keysExpireAsInRedis() throws Exception {
    try (RedisServerProcess.Conn r = redis.connect();
        RedisServerProcess.Conn f = new RedisServerProcess.Conn(router.address())) {
      String[][] setup = {
        {"SET", "k1", "a", "PX", "100"},
        {"SET", "k5", "b", "PX", "150"},
        {"PSETEX", "k2", "120", "c"},
        {"SET", "k6", "d"},
        {"PEXPIRE", "k6", "80"},
        {"SET", "k3", "e", "EX", "1000"},
        {"SET", "k7", "1"},
        {"GETEX", "k7", "PX", "90"}
      };
      for (String[] c : setup) assertThat(f.call(c)).isEqualTo(r.call(c));
      Thread.sleep(400);
      String[][] after = {
        {"GET", "k1"},
        {"EXISTS", "k5"},
        {"GET", "k2"},
        {"TTL", "k6"},
        {"MGET", "k1", "k2", "k3", "k5", "k6", "k7"},
        {"INCR", "k7"},
        {"TYPE", "k5"},
        {"STRLEN", "k3"},
        {"SET", "k1", "x", "NX"},
        {"APPEND", "k2", "z"}
      };
      for (String[] c : after) assertThat(f.call(c)).as(String.join(" ", c)).isEqualTo(r.call(c));
      assertThat(positive(f.call("TTL", "k3"))).isEqualTo(":POSITIVE\r\n");
      for (String k : KEYS) f.call("DEL", k);
    }
  }

  private static String withoutId(String hello) {
    return hello.replaceAll("\\$2\r\nid\r\n:\\d+\r\n", "\\$2\r\nid\r\n:ID\r\n");
  }

  private static Difference difference(String[] cmd) {
    for (Difference d : DIFFERENCES) if (d.applies.test(cmd)) return d;
    return null;
  }

  private static String key(Random rnd) {
    return KEYS[rnd.nextInt(KEYS.length)];
  }

  private static String value(Random rnd) {
    int n = rnd.nextInt(9);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) sb.append((char) ('a' + rnd.nextInt(26)));
    return sb.toString();
  }

  private static final long SECONDS = System.currentTimeMillis() / 1000;

  private static String pick(Random rnd, String... choices) {
    return choices[rnd.nextInt(choices.length)];
  }

  /** A number: small, signed, huge, at the edges of a long, or not a number. */
  private static String integer(Random rnd) {
    return switch (rnd.nextInt(10)) {
      case 0 -> pick(rnd, "9223372036854775807", "-9223372036854775808", "9223372036854775808");
      case 1 -> pick(rnd, "abc", "", "1.5", "+1", "01", "-0", " 1", "1e3");
      case 2 -> Long.toString(rnd.nextLong());
      default -> Integer.toString(rnd.nextInt(200) - 100);
    };
  }

  private static String decimal(Random rnd) {
    return switch (rnd.nextInt(8)) {
      case 0 -> pick(rnd, "abc", "", "1e", " 1", "nan", "inf", "-inf", "1.5x");
      case 1 -> pick(rnd, "0.1", "0.2", "-0.3", "1e3", "5.0e3", "-1.5e-3", ".5", "3.", "+2.5");
      case 2 -> Double.toString(rnd.nextGaussian() * 1e6);
      default -> (rnd.nextInt(2000) - 1000) / 100.0 + "";
    };
  }

  /**
   * EX/PX/EXAT/PXAT with a long time (so the reply does not depend on either clock), or a bad one.
   */
  private static String[] expiry(Random rnd) {
    String unit = pick(rnd, "EX", "PX", "EXAT", "PXAT");
    long base =
        switch (unit) {
          case "EX" -> 0;
          case "PX" -> 0;
          case "EXAT" -> SECONDS;
          default -> SECONDS * 1000;
        };
    long scale = unit.startsWith("P") ? 1000 : 1;
    String amount =
        switch (rnd.nextInt(8)) {
          case 0 -> pick(rnd, "0", "-5", "x", "9223372036854775807");
          case 1 ->
              Long.toString(
                  base == 0 ? 100_000 * scale : base - 10 * scale); // absolute: in the past
          default -> Long.toString(base + (1000 + rnd.nextInt(100_000)) * scale);
        };
    return new String[] {unit, amount};
  }

  private static String[] concat(String[] a, String... b) {
    String[] c = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }

  /** String, counter and expiry commands with options, good and bad. */
  private static String[] strings(Random rnd) {
    String k = key(rnd);
    switch (rnd.nextInt(22)) {
      case 0:
      case 1:
        {
          String[] c = {"SET", k, rnd.nextInt(3) == 0 ? integer(rnd) : value(rnd)};
          int n = rnd.nextInt(4);
          for (int i = 0; i < n; i++) {
            c =
                switch (rnd.nextInt(6)) {
                  case 0 -> concat(c, expiry(rnd));
                  case 1 -> concat(c, pick(rnd, "NX", "nx", "XX"));
                  case 2 -> concat(c, pick(rnd, "GET", "get"));
                  case 3 -> concat(c, "KEEPTTL");
                  case 4 -> concat(c, pick(rnd, "PERSIST", "FOO", "EX"));
                  default -> concat(c, expiry(rnd));
                };
          }
          return c;
        }
      case 2:
        return new String[] {"SETNX", k, value(rnd)};
      case 3:
        return new String[] {
          pick(rnd, "SETEX", "PSETEX"),
          k,
          rnd.nextInt(4) == 0 ? integer(rnd) : Integer.toString(1000 + rnd.nextInt(100000)),
          value(rnd)
        };
      case 4:
        return new String[] {"GETSET", k, value(rnd)};
      case 5:
        return new String[] {"GETDEL", k};
      case 6:
        {
          String[] c = {"GETEX", k};
          int n = rnd.nextInt(3);
          for (int i = 0; i < n; i++)
            c = rnd.nextBoolean() ? concat(c, expiry(rnd)) : concat(c, pick(rnd, "PERSIST", "NX"));
          return c;
        }
      case 7:
      case 8:
        return new String[] {pick(rnd, "INCR", "DECR"), k};
      case 9:
        return new String[] {pick(rnd, "INCRBY", "DECRBY"), k, integer(rnd)};
      case 10:
        return new String[] {"INCRBYFLOAT", k, decimal(rnd)};
      case 11:
        return new String[] {"APPEND", k, value(rnd)};
      case 12:
        return new String[] {"STRLEN", k};
      case 13:
        return new String[] {
          "GETRANGE",
          k,
          Integer.toString(rnd.nextInt(20) - 10),
          rnd.nextInt(8) == 0 ? integer(rnd) : Integer.toString(rnd.nextInt(20) - 10)
        };
      case 14:
        return new String[] {
          "SETRANGE",
          k,
          rnd.nextInt(6) == 0
              ? pick(rnd, "-1", "x", "536870912")
              : Integer.toString(rnd.nextInt(12)),
          rnd.nextInt(6) == 0 ? "" : value(rnd)
        };
      case 15:
      case 16:
        {
          String name = pick(rnd, "EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT");
          long scale = name.startsWith("P") ? 1000 : 1;
          long base = name.endsWith("AT") ? SECONDS * scale : 0;
          String t =
              switch (rnd.nextInt(6)) {
                case 0 -> pick(rnd, "-1", "0", "x", "9223372036854775807");
                default -> Long.toString(base + (1000 + rnd.nextInt(100_000)) * scale);
              };
          String[] c = {name, k, t};
          int n = rnd.nextInt(3);
          for (int i = 0; i < n; i++) c = concat(c, pick(rnd, "NX", "XX", "GT", "LT", "gt", "FOO"));
          return c;
        }
      case 17:
      case 18:
        return new String[] {pick(rnd, "TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"), k};
      case 19:
        return new String[] {"PERSIST", k};
      case 20:
        return rnd.nextBoolean() ? new String[] {"TYPE", k} : walk(rnd);
      default:
        return new String[] {"SET", k, Integer.toString(rnd.nextInt(50))};
    }
  }

  /** SCAN until done, KEYS, DBSIZE, and SCAN's errors. */
  private static String[] walk(Random rnd) {
    String pattern = pick(rnd, "*", "k*", "k[1-5]", "k?", "*[^2]", "x*", "k\\3", "k[3");
    switch (rnd.nextInt(6)) {
      case 0:
        return new String[] {"KEYS", pattern};
      case 1:
        return new String[] {"DBSIZE"};
      case 2:
        return pick(
                rnd,
                "SCAN x",
                "SCAN 0 COUNT 0",
                "SCAN 0 COUNT x",
                "SCAN 0 MATCH",
                "SCAN 0 FOO 1",
                "SCAN -1x",
                "DBSIZE x",
                "KEYS")
            .split(" ");
      default:
        {
          String[] c = {"SCAN-ALL", "0"};
          if (rnd.nextBoolean()) c = concat(c, "MATCH", pattern);
          if (rnd.nextBoolean()) c = concat(c, "COUNT", Integer.toString(1 + rnd.nextInt(5)));
          if (rnd.nextInt(4) == 0) c = concat(c, "TYPE", pick(rnd, "string", "STRING", "list"));
          return c;
        }
    }
  }

  private static String[] keys(Random rnd, String name, int min, int max) {
    int n = min + rnd.nextInt(max - min + 1);
    String[] c = new String[n + 1];
    c[0] = name;
    for (int i = 1; i <= n; i++) c[i] = key(rnd);
    return c;
  }

  private static String[] next(Random rnd) {
    int k = rnd.nextInt(100);
    if (k < 14) return new String[] {"SET", key(rnd), value(rnd)};
    if (k < 26) return new String[] {"GET", key(rnd)};
    if (k < 32) return keys(rnd, "MGET", 1, 6);
    if (k < 37) {
      int pairs = 1 + rnd.nextInt(4);
      String[] c = new String[1 + 2 * pairs];
      c[0] = "MSET";
      for (int i = 0; i < pairs; i++) {
        c[1 + 2 * i] = key(rnd);
        c[2 + 2 * i] = value(rnd);
      }
      return c;
    }
    if (k < 41) return keys(rnd, rnd.nextBoolean() ? "DEL" : "UNLINK", 1, 4);
    if (k < 46) return keys(rnd, rnd.nextBoolean() ? "EXISTS" : "TOUCH", 1, 4);
    if (k < 49)
      return rnd.nextBoolean() ? new String[] {"PING"} : new String[] {"PING", value(rnd)};
    if (k < 51) return new String[] {"ECHO", value(rnd)};
    if (k < 53) return new String[] {"SELECT", rnd.nextInt(3) == 0 ? "1" : "0"};
    if (k < 60) {
      return switch (rnd.nextInt(7)) {
        case 0 -> new String[] {"HELLO"};
        case 1 -> new String[] {"HELLO", "2"};
        case 2 -> new String[] {"HELLO", "3"};
        case 3 -> new String[] {"HELLO", "3", "SETNAME", "n" + rnd.nextInt(10)};
        case 4 -> new String[] {"HELLO", "3", "AUTH", "u", "p"};
        case 5 -> new String[] {"HELLO", "2", "AUTH", "default", "any"};
        default -> new String[] {"HELLO", Integer.toString(rnd.nextInt(6))};
      };
    }
    if (k < 66) {
      return switch (rnd.nextInt(5)) {
        case 0 -> new String[] {"CLIENT", "SETNAME", "c" + rnd.nextInt(10)};
        case 1 -> new String[] {"CLIENT", "GETNAME"};
        case 2 -> new String[] {"CLIENT", "ID"};
        case 3 -> new String[] {"CLIENT", "SETINFO", "lib-name", "jedis"};
        default -> new String[] {"CLIENT", "NOSUCH"};
      };
    }
    if (k < 72) {
      List<String> names = new ArrayList<>(CommandTable.names());
      names.removeAll(List.of("command", "client", "range"));
      return switch (rnd.nextInt(4)) {
        case 0 -> new String[] {"COMMAND", "COUNT"};
        case 1 -> new String[] {"COMMAND", "DOCS", names.get(rnd.nextInt(names.size()))};
        default ->
            new String[] {
              "COMMAND",
              "INFO",
              names.get(rnd.nextInt(names.size())),
              rnd.nextBoolean() ? "nosuch" : names.get(rnd.nextInt(names.size())).toUpperCase()
            };
      };
    }
    if (k < 74) return new String[] {"RESET"};
    if (k < 86) {
      String[][] wrong = {
        {"GET"},
        {"GET", "a", "b"},
        {"SET", "a"},
        {"ECHO"},
        {"MSET", "a"},
        {"MSET", "a", "b", "c"},
        {"MGET"},
        {"DEL"},
        {"EXISTS"},
        {"CLIENT"},
        {"CLIENT", "SETNAME"},
        {"COMMAND", "COUNT", "x"},
        {"PING", "a", "b"},
        {"SELECT"},
        {"SELECT", "x"},
        {"SELECT", "01"},
        {"HELLO", "x"},
        {"HELLO", "3", "FOO"},
        {"HELLO", "3", "AUTH", "u"},
        {"CLIENT", "SETNAME", "a b"},
        {"COMMAND", "NOSUCH"},
        {"INCR"},
        {"RENAME", "a"},
        {"SET", "a", "b", "EX"},
        {"SETNX", "a"},
        {"SETEX", "a", "10"},
        {"GETEX"},
        {"INCRBY", "a"},
        {"GETRANGE", "a", "0"},
        {"EXPIRE", "a"},
        {"TTL", "a", "b"},
        {"TYPE"},
        {"PERSIST", "a", "b"},
        {"APPEND", "a"}
      };
      return wrong[rnd.nextInt(wrong.length)].clone();
    }
    if (k < 97) return strings(rnd);
    String[] c = new String[1 + rnd.nextInt(3)];
    c[0] = "nosuch" + rnd.nextInt(100);
    for (int i = 1; i < c.length; i++) c[i] = value(rnd);
    return c;
  }
}
