package io.fdbmeta.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Redis's texts and numbers that the differential test meets rarely. */
class StringCommandsTest {
  private static final long NOW = 1_000_000_000L;

  private static String run(byte[] value, long exp, String... args) {
    byte[][] a = new byte[args.length][];
    for (int i = 0; i < args.length; i++) a[i] = args[i].getBytes(StandardCharsets.ISO_8859_1);
    StringCommands.Execution ex =
        new StringCommands.Execution(StringCommands.find(a[0]), a, NOW, false, 1 << 20);
    ex.apply(value, exp);
    return ex.error() != null
        ? "-" + ex.error()
        : new String(ex.reply(), StandardCharsets.ISO_8859_1).trim();
  }

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  @Test
  void incrByFloatComputesInLongDoubleAndPrintsAsRedis() {
    assertThat(run(b("10.50"), 0, "incrbyfloat", "k", "0.1")).endsWith("10.6");
    assertThat(run(b("0.1"), 0, "incrbyfloat", "k", "0.2")).endsWith("0.3");
    assertThat(run(b("5.0e3"), 0, "incrbyfloat", "k", "2.0e2")).endsWith("5200");
    assertThat(run(b("3"), 0, "incrbyfloat", "k", "-3")).endsWith("\n0");
    assertThat(run(b("1"), 0, "incrbyfloat", "k", "inf"))
        .isEqualTo("-ERR increment would produce NaN or Infinity");
    assertThat(run(b("x"), 0, "incrbyfloat", "k", "1"))
        .isEqualTo("-ERR value is not a valid float");
  }

  @Test
  void optionsAndTheirErrorsAreRedis() {
    assertThat(run(null, 0, "set", "k", "v", "nx", "xx")).isEqualTo("-ERR syntax error");
    assertThat(run(null, 0, "set", "k", "v", "ex", "0"))
        .isEqualTo("-ERR invalid expire time in 'set' command");
    assertThat(run(null, 0, "expire", "k", "10", "nx", "gt"))
        .isEqualTo("-ERR NX and XX, GT or LT options at the same time are not compatible");
    assertThat(run(b("v"), 0, "expire", "k", "10", "foo")).isEqualTo("-ERR Unsupported option foo");
    assertThat(run(b("9223372036854775807"), 0, "incr", "k"))
        .isEqualTo("-ERR increment or decrement would overflow");
    assertThat(run(b("v"), NOW + 1500, "ttl", "k")).isEqualTo(":2");
    assertThat(run(b("v"), NOW + 1499, "ttl", "k")).isEqualTo(":1");
    assertThat(run(b("v"), 0, "setrange", "k", "2000000", "x"))
        .startsWith("-ERR string exceeds maximum allowed size");
  }
}
