package io.fdbmeta.layer.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.apple.foundationdb.tuple.Tuple;
import io.fdbmeta.layer.Keyspace;
import io.fdbmeta.layer.MetaException;
import io.fdbmeta.layer.RangeDescriptor;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import org.jspecify.annotations.Nullable;

/** The hand-rolled reads of RangeRow agree with Tuple decoding, whatever the bytes. */
class RangeRowTest {
  private static final Keyspace KS =
      Keyspace.atPrefix("test", new byte[] {0x15, 0x07, 0x00, (byte) 0xff});
  private static final int PREFIX = KS.rangeSubspace().getKey().length;

  @Property(tries = 2000)
  void endOfARangeKeyIsTheEncodedEnd(@ForAll("ends") byte @Nullable [] end) {
    RangeRow row = new RangeRow(PREFIX);
    row.readEnd(KS.rangeKey(end));
    assertThat(EndKeyIndex.copy(row.endArray, row.endFrom)).isEqualTo(end);
  }

  @Property(tries = 2000)
  void idOfAnEncodedDescriptorIsItsId(@ForAll("descriptors") RangeDescriptor d) {
    assertThat(RangeRow.rangeId(d.encode())).isEqualTo(d.rangeId());
  }

  /** The load's shortcut: a key it takes as a plain end reads as that span of the key. */
  @Property(tries = 5000)
  void plainEndIsTheKeyBetweenItsCodeAndTerminator(@ForAll("tupleish") byte[] suffix) {
    byte[] key = concat(KS.rangeSubspace().getKey(), suffix);
    if (!RangeRow.isPlainEnd(key, PREFIX)) return;
    RangeRow row = new RangeRow(PREFIX);
    row.readEnd(key);
    assertThat(row.endArray).isSameAs(key);
    assertThat(row.endFrom).isEqualTo(PREFIX + 1);
    assertThat(EndKeyIndex.copy(row.endArray, row.endFrom))
        .isEqualTo(RangeRow.endBySlowPath(key, PREFIX));
  }

  /**
   * Arbitrary bytes after the prefix: whenever Tuple reads an end, so does the fast path, the same.
   */
  @Property(tries = 5000)
  void anyKeyReadsAsTupleReadsIt(@ForAll("tupleish") byte[] suffix) {
    byte[] key = concat(KS.rangeSubspace().getKey(), suffix);
    Object expected;
    try {
      expected = RangeRow.endBySlowPath(key, PREFIX);
    } catch (MetaException e) {
      assertThat(e.code()).isEqualTo(MetaException.Code.CORRUPT_RECORD);
      assertThatThrownBy(() -> new RangeRow(PREFIX).readEnd(key)).isInstanceOf(MetaException.class);
      return;
    }
    RangeRow row = new RangeRow(PREFIX);
    row.readEnd(key);
    assertThat(EndKeyIndex.copy(row.endArray, row.endFrom)).isEqualTo(expected);
  }

  /**
   * Arbitrary values: whenever Tuple reads an id, the fast path reads the same. (The fast path
   * reads only the first elements, so it may accept a value Tuple rejects; decoding it fails
   * later.)
   */
  @Property(tries = 5000)
  void anyValueWithAnIdReadsAsTupleReadsIt(@ForAll("tupleish") byte[] tail, @ForAll long id) {
    byte[] value = concat(Tuple.from(1L, id).pack(), tail);
    long expected;
    try {
      expected = RangeRow.rangeIdBySlowPath(value);
    } catch (MetaException e) {
      return;
    }
    assertThat(RangeRow.rangeId(value)).isEqualTo(expected);
  }

  @Property(tries = 2000)
  void anyBytesWithAnIdReadAsTupleReadsThem(@ForAll @Size(max = 16) byte[] value) {
    long expected;
    try {
      expected = RangeRow.rangeIdBySlowPath(value);
    } catch (MetaException e) {
      return;
    }
    assertThat(RangeRow.rangeId(value)).isEqualTo(expected);
  }

  @Provide
  Arbitrary<byte @Nullable []> ends() {
    Arbitrary<byte[]> zeroHeavy =
        Arbitraries.bytes()
            .withDistribution(net.jqwik.api.RandomDistribution.uniform())
            .array(byte[].class)
            .ofMaxSize(40)
            .map(
                b -> {
                  for (int i = 0; i < b.length; i += 3) b[i] = (byte) (b[i] % 2 == 0 ? 0 : 0xff);
                  return b;
                });
    return Arbitraries.oneOf(
            Arbitraries.bytes().array(byte[].class).ofMaxSize(40),
            zeroHeavy,
            Arbitraries.just(new byte[0]))
        .injectNull(0.05);
  }

  @Provide
  Arbitrary<RangeDescriptor> descriptors() {
    Arbitrary<Long> ids =
        Arbitraries.oneOf(
            Arbitraries.longs(),
            Arbitraries.of(0L, 1L, 255L, 256L, -1L, Long.MAX_VALUE, Long.MIN_VALUE));
    Arbitrary<byte[]> starts = Arbitraries.bytes().array(byte[].class).ofMaxSize(20);
    return Combinators.combine(
            ids,
            starts,
            Arbitraries.longs().greaterOrEqual(0),
            Arbitraries.strings().alpha().ofMaxLength(6).list().ofMaxSize(3))
        .as(
            (id, start, gen, replicas) ->
                new RangeDescriptor(
                    id,
                    start,
                    null,
                    gen,
                    replicas,
                    replicas.isEmpty() ? null : replicas.get(0),
                    gen / 2));
  }

  /** Byte strings biased towards tuple type codes, escapes and terminators. */
  @Provide
  Arbitrary<byte[]> tupleish() {
    Arbitrary<Byte> b =
        Arbitraries.oneOf(
            Arbitraries.bytes(),
            Arbitraries.of(
                (byte) 0x00,
                (byte) 0x01,
                (byte) 0xff,
                (byte) 0x27,
                (byte) 0x14,
                (byte) 0x15,
                (byte) 0x1c,
                (byte) 0x02,
                (byte) 0x05));
    return b.list().ofMaxSize(24).map(RangeRowTest::bytes);
  }

  private static byte[] bytes(List<Byte> list) {
    byte[] out = new byte[list.size()];
    for (int i = 0; i < out.length; i++) out[i] = list.get(i);
    return out;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
