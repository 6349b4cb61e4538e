package io.fdbmeta.router;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class KeyGateTest {
  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[][] keys(String prefix, int n) {
    byte[][] k = new byte[n][];
    for (int i = 0; i < n; i++) k[i] = b(prefix + i);
    return k;
  }

  /** A mutable walk over [from, to). */
  private static final class TestWalk implements KeyGate.Walk {
    byte[] from;
    final byte[] to;

    TestWalk(String from, String to) {
      this.from = b(from);
      this.to = b(to);
    }

    @Override
    public byte[] from() {
      return from;
    }

    @Override
    public byte[] to() {
      return to;
    }
  }

  @Test
  void readsWaitForWritesOfTheirKeysAndWritesWaitForAnyTouch() {
    KeyGate gate = new KeyGate();
    assertThat(gate.idle()).isTrue();
    gate.started(new byte[][] {b("w")}, true);
    gate.started(new byte[][] {b("r")}, false);
    assertThat(gate.readMustWait(b("w"))).isTrue();
    assertThat(gate.readMustWait(b("r"), b("x"))).isFalse();
    assertThat(gate.writeMustWait(b("r"))).isTrue();
    assertThat(gate.writeMustWait(b("x"), b("y"))).isFalse();
    gate.started(new byte[][] {b("w")}, true);
    gate.finished(new byte[][] {b("w")}, true);
    assertThat(gate.readMustWait(b("w"))).as("one writer of w is still unanswered").isTrue();
    gate.finished(new byte[][] {b("w")}, true);
    gate.finished(new byte[][] {b("r")}, false);
    assertThat(gate.idle()).isTrue();
  }

  @Test
  void aWalkWaitsForWritesInItsIntervalAndWritesWaitForWhatAWalkHasYetToRead() {
    KeyGate gate = new KeyGate();
    gate.started(new byte[][] {b("m")}, true);
    assertThat(gate.walkMustWait(b("a"), b("m"))).isFalse();
    assertThat(gate.walkMustWait(b("a"), b("n"))).isTrue();
    assertThat(gate.walkMustWait(b("m"), new byte[0])).isTrue();
    gate.finished(new byte[][] {b("m")}, true);
    TestWalk walk = new TestWalk("c", "k");
    gate.started(walk);
    assertThat(gate.writeMustWait(b("a"), b("d"))).isTrue();
    assertThat(gate.writeMustWait(b("k"), b("b"))).isFalse();
    assertThat(gate.readMustWait(b("d"))).as("reads never wait for a walk").isFalse();
    walk.from = b("e"); // the walk has read below e
    assertThat(gate.writeMustWait(b("d"))).isFalse();
    gate.finished(walk);
    assertThat(gate.idle()).isTrue();
  }

  /**
   * Issue 14, defect 3: the check compared every key of a new command with every key of every
   * unanswered write; 60,000 keys against 60,000 cost 3.6 billion comparisons.
   */
  @Test
  void checkingSixtyThousandKeysAgainstSixtyThousandCostsLinearlyManyProbes() {
    KeyGate gate = new KeyGate();
    int n = 60_000;
    gate.started(keys("k", n), true);
    gate.started(new TestWalk("x", "y"));
    assertThat(gate.readMustWait(keys("m", n))).isFalse();
    assertThat(gate.writeMustWait(keys("m", n))).isFalse();
    assertThat(gate.probes).isLessThanOrEqualTo(2L * n + 1);
  }
}
