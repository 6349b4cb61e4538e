package io.fdbmeta.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.apple.foundationdb.tuple.ByteArrayUtil;
import org.junit.jupiter.api.Test;

class KeysAndAddressesTest {
  @Test
  void keysAreUtf8TextOrHex() {
    assertThat(Keys.parse("café", false)).containsExactly('c', 'a', 'f', 0xc3, 0xa9);
    assertThat(Keys.parse("00ff6B", true)).containsExactly(0x00, 0xff, 0x6b);
    assertThat(Keys.parse("0x6b", true)).containsExactly(0x6b);
    assertThat(Keys.parse("", true)).isEmpty();
    assertThatThrownBy(() -> Keys.parse("abc", true))
        .hasMessageContaining("odd number of hex digits");
    assertThatThrownBy(() -> Keys.parse("zz", true)).hasMessageContaining("is not hex");
  }

  @Test
  void keysPrintLikeFoundationDb() {
    assertThat(ByteArrayUtil.printable(new byte[] {'a', 0, (byte) 0xff, '\\'}))
        .isEqualTo("a\\x00\\xff\\\\");
    assertThat(Keys.bounds(new byte[0], null)).isEqualTo("[\"\", ∞)");
    assertThat(Keys.bounds(new byte[] {'a'}, new byte[] {'m'})).isEqualTo("[\"a\", \"m\")");
  }

  @Test
  void hostPortAcceptsNamesIpv4AndBracketedIpv6() {
    assertThat(HostPort.parse("10.0.0.7:7000")).isEqualTo(new HostPort("10.0.0.7", 7000));
    assertThat(HostPort.parse("node-1.example:1")).isEqualTo(new HostPort("node-1.example", 1));
    assertThat(HostPort.parse("[::1]:65535")).hasToString("[::1]:65535");
    for (String bad :
        new String[] {
          "",
          "h",
          "h:",
          ":1",
          "h:0",
          "h:65536",
          "h:-1",
          "h:1:2",
          "::1:7000",
          "h_x:1",
          "-h:1",
          "h :1"
        }) {
      assertThatThrownBy(() -> HostPort.parse(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("'" + bad + "'");
    }
  }

  @Test
  void livenessReadsAsASpan() {
    assertThat(Views.liveness(10_000, 1_500)).isEqualTo("expires in 8s");
    assertThat(Views.liveness(0, 192_000)).isEqualTo("expired 3m12s ago");
    assertThat(Views.liveness(0, 3_700_000)).isEqualTo("expired 1h1m ago");
  }
}
