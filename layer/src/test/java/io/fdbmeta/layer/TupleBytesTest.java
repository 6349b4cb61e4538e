package io.fdbmeta.layer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.apple.foundationdb.tuple.Tuple;
import java.math.BigInteger;
import java.util.Arrays;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** TupleBytes writes exactly Tuple's bytes and reads them back, or hands the case to Tuple. */
class TupleBytesTest {
  private static final byte[] PREFIX = {0x15, 0x07, 0x02, 'n', 0};

  private static byte[] withPrefix(byte[] packed) {
    byte[] out = Arrays.copyOf(PREFIX, PREFIX.length + packed.length);
    System.arraycopy(packed, 0, out, PREFIX.length, packed.length);
    return out;
  }

  private static TupleBytes.Writer writer() {
    return new TupleBytes.Writer(PREFIX, 8);
  }

  @Property
  void stringsAreTuples(@ForAll("strings") String s) {
    byte[] packed = Tuple.from(s).pack();
    assertThat(writer().string(s).toBytes()).isEqualTo(withPrefix(packed));
    boolean simple = s.chars().allMatch(c -> c > 0 && c < 0x80);
    if (simple) {
      assertThat(new TupleBytes.Reader(packed).string()).isEqualTo(s);
      assertThat(TupleBytes.sizeOf(s)).isEqualTo(packed.length);
    } else {
      assertThatThrownBy(() -> new TupleBytes.Reader(packed).string())
          .isInstanceOf(TupleBytes.NotSimple.class);
    }
  }

  @Provide
  Arbitrary<String> strings() {
    return Arbitraries.oneOf(
        Arbitraries.strings().ascii().ofMaxLength(40),
        Arbitraries.strings().withCharRange('\u0000', '\u00ff').ofMaxLength(10),
        Arbitraries.strings().all().ofMaxLength(10).filter(TupleBytesTest::encodable));
  }

  /**
   * Tuple refuses unpaired surrogates; the writer hands those to Tuple and fails alike, tested
   * below.
   */
  private static boolean encodable(String s) {
    try {
      Tuple.from(s).pack();
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  @Property
  void integersAreTuples(@ForAll("longs") long v) {
    byte[] packed = Tuple.from(v).pack();
    assertThat(writer().integer(v).toBytes()).isEqualTo(withPrefix(packed));
    assertThat(new TupleBytes.Reader(packed).integer()).isEqualTo(v);
    assertThat(TupleBytes.sizeOf(v)).isEqualTo(packed.length);
  }

  @Provide
  Arbitrary<Long> longs() {
    Arbitrary<Long> edges =
        Arbitraries.of(
            0L,
            1L,
            -1L,
            255L,
            256L,
            -255L,
            -256L,
            -257L,
            Long.MAX_VALUE,
            Long.MIN_VALUE,
            Long.MIN_VALUE + 1,
            Long.MAX_VALUE - 1,
            1L << 56,
            -(1L << 56),
            (1L << 56) - 1,
            -(1L << 56) + 1,
            (long) Integer.MIN_VALUE);
    Arbitrary<Long> byBytes =
        Arbitraries.integers()
            .between(0, 63)
            .flatMap(bits -> Arbitraries.longs().between(-(1L << bits), (1L << bits) - 1));
    return Arbitraries.oneOf(edges, byBytes, Arbitraries.longs());
  }

  @Property
  void doublesAreTuples(@ForAll("doubles") double d) {
    byte[] packed = Tuple.from(d).pack();
    assertThat(writer().floating(d).toBytes()).isEqualTo(withPrefix(packed));
    assertThat(Double.doubleToRawLongBits(new TupleBytes.Reader(packed).floating()))
        .isEqualTo(Double.doubleToRawLongBits(d));
    assertThat(TupleBytes.DOUBLE_SIZE).isEqualTo(packed.length);
  }

  @Provide
  Arbitrary<Double> doubles() {
    return Arbitraries.oneOf(
        Arbitraries.of(
            0.0,
            -0.0,
            1.0,
            -1.0,
            Double.NaN,
            Double.POSITIVE_INFINITY,
            Double.NEGATIVE_INFINITY,
            Double.MIN_VALUE,
            -Double.MIN_VALUE,
            Double.MAX_VALUE,
            -Double.MAX_VALUE),
        Arbitraries.doubles(),
        Arbitraries.longs().map(Double::longBitsToDouble));
  }

  @Example
  void integersBeyondALongAreLeftToTuple() {
    for (BigInteger big :
        new BigInteger[] {
          BigInteger.valueOf(Long.MAX_VALUE).add(BigInteger.ONE),
          BigInteger.valueOf(Long.MIN_VALUE).subtract(BigInteger.ONE),
          BigInteger.ONE.shiftLeft(64).negate().add(BigInteger.ONE)
        }) {
      byte[] packed = Tuple.from(big).pack();
      assertThatThrownBy(() -> new TupleBytes.Reader(packed).integer())
          .isInstanceOf(TupleBytes.NotSimple.class);
    }
  }

  @Example
  void unpairedSurrogatesFailAsInTuple() {
    String bad = "a\ud800b";
    assertThatThrownBy(() -> Tuple.from(bad).pack()).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> writer().string(bad)).isInstanceOf(IllegalArgumentException.class);
  }

  @Example
  void aSequenceReadsInOrderAndKnowsItsEnd() {
    byte[] packed = Tuple.from(1L, "node-7", -3L, 2.5, "").pack();
    TupleBytes.Reader r = new TupleBytes.Reader(packed);
    assertThat(r.integer()).isEqualTo(1);
    assertThat(r.string()).isEqualTo("node-7");
    assertThat(r.integer()).isEqualTo(-3);
    assertThat(r.floating()).isEqualTo(2.5);
    assertThat(r.atEnd()).isFalse();
    assertThat(r.string()).isEmpty();
    assertThat(r.atEnd()).isTrue();
    assertThatThrownBy(r::integer).isInstanceOf(TupleBytes.NotSimple.class);
  }

  @Example
  void wrongTypesAndTruncationAreNotSimple() {
    assertThatThrownBy(() -> new TupleBytes.Reader(Tuple.from("x").pack()).integer())
        .isInstanceOf(TupleBytes.NotSimple.class);
    assertThatThrownBy(() -> new TupleBytes.Reader(Tuple.from(5L).pack()).string())
        .isInstanceOf(TupleBytes.NotSimple.class);
    assertThatThrownBy(() -> new TupleBytes.Reader(Tuple.from(5L).pack()).floating())
        .isInstanceOf(TupleBytes.NotSimple.class);
    assertThatThrownBy(() -> new TupleBytes.Reader(new byte[] {0x02, 'a'}).string())
        .isInstanceOf(TupleBytes.NotSimple.class);
    assertThatThrownBy(() -> new TupleBytes.Reader(new byte[] {0x16, 1}).integer())
        .isInstanceOf(TupleBytes.NotSimple.class);
    assertThatThrownBy(() -> new TupleBytes.Reader(new byte[] {0x21, 1, 2}).floating())
        .isInstanceOf(TupleBytes.NotSimple.class);
  }
}
