package io.fdbmeta.layer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.apple.foundationdb.tuple.Tuple;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Encoding round trips, tested without a database. */
class RecordsTest {
  private static byte[] b(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  @Test
  void rangeDescriptorRoundTrips() {
    RangeDescriptor bounded =
        new RangeDescriptor(42, b("a"), b("m\u0000x"), 7, List.of("n1", "n2", "n3"), "n2", 9);
    RangeDescriptor unbounded = new RangeDescriptor(1, new byte[0], null, 1, List.of(), null, 0);
    assertThat(RangeDescriptor.decode(bounded.encode())).isEqualTo(bounded);
    assertThat(RangeDescriptor.decode(unbounded.encode())).isEqualTo(unbounded);
    assertThat(Tuple.fromBytes(bounded.encode()).getLong(0))
        .as("format version first")
        .isEqualTo(RangeDescriptor.FORMAT);
  }

  @Test
  void rangeDescriptorRejectsEmptyRanges() {
    assertThatThrownBy(() -> new RangeDescriptor(2, b("b"), b("b"), 1, List.of(), null, 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RangeDescriptor(2, b("c"), b("b"), 1, List.of(), null, 0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void containmentAndInteriorFollowByteOrder() {
    RangeDescriptor d = new RangeDescriptor(3, b("b"), b("d"), 1, List.of(), null, 0);
    assertThat(d.contains(b("b"))).isTrue();
    assertThat(d.contains(b("c\u00ff"))).isTrue();
    assertThat(d.contains(b("d"))).isFalse();
    assertThat(d.contains(new byte[] {(byte) 0x80})).isFalse();
    assertThat(d.isInterior(b("b"))).isFalse();
    assertThat(d.isInterior(b("c"))).isTrue();
    RangeDescriptor last = new RangeDescriptor(4, b("x"), null, 1, List.of(), null, 0);
    assertThat(last.contains(new byte[] {(byte) 0xff, (byte) 0xff})).isTrue();
  }

  @Test
  void nodeRecordRoundTrips() {
    NodeRecord n =
        new NodeRecord(
            "node-1",
            "127.0.0.1:7001",
            new NodeRecord.Locality("us-east", "z1", "r2"),
            new NodeRecord.Capacity(1L << 40, 16),
            new NodeRecord.Load(120, 3500.5, 1L << 30, 3.25),
            NodeStatus.DRAINING,
            3,
            1_700_000_000_000L);
    assertThat(NodeRecord.decode(n.encode())).isEqualTo(n);
    NodeRecord replaced =
        new NodeRecord(
            "node-1",
            "127.0.0.1:7001",
            new NodeRecord.Locality("us-east", "z1", "r2"),
            new NodeRecord.Capacity(1L << 40, 16),
            NodeRecord.Load.NONE,
            NodeStatus.LIVE,
            4,
            1_700_000_009_000L,
            "token",
            1_700_000_000_000L);
    assertThat(NodeRecord.decode(replaced.encode())).isEqualTo(replaced);
    assertThat(NodeRecord.decode(replaced.encode()).priorLivenessEnd())
        .isEqualTo(1_700_000_000_000L);
    assertThat(NodeRecord.decode(Tuple.fromBytes(replaced.encode()).pack()))
        .as("the Tuple path reads the field too")
        .isEqualTo(replaced);
  }

  @Test
  void nodeRecordBytesAreTheTupleOfItsFields() {
    NodeRecord n =
        new NodeRecord(
            "node-1",
            "127.0.0.1:7001",
            new NodeRecord.Locality("us-east", "z1", "r2"),
            new NodeRecord.Capacity(1L << 40, 16),
            new NodeRecord.Load(-120, 3500.5, 1L << 30, -3.25),
            NodeStatus.LIVE,
            3,
            1_700_000_000_000L,
            "tok");
    byte[] tuple =
        Tuple.from(
                NodeRecord.FORMAT,
                "node-1",
                "127.0.0.1:7001",
                "us-east",
                "z1",
                "r2",
                1L << 40,
                16.0,
                -120L,
                3500.5,
                1L << 30,
                -3.25,
                "LIVE",
                3L,
                1_700_000_000_000L,
                "tok")
            .pack();
    assertThat(n.encode()).isEqualTo(tuple);
  }

  @Test
  void nodeRecordsOfUnusualShapesDecodeThroughTuple() {
    NodeRecord unicode =
        new NodeRecord(
            "node-\u00e9",
            "\u0430\u0434\u0440\u0435\u0441:1",
            new NodeRecord.Locality("eu-\u00fc", "z", "r"),
            new NodeRecord.Capacity(0, 0.5),
            NodeRecord.Load.NONE,
            NodeStatus.DEAD,
            1,
            -5,
            "t\u0000k");
    assertThat(NodeRecord.decode(unicode.encode())).isEqualTo(unicode);
    byte[] beforeTokens =
        Tuple.from(1L, "n", "a", "r", "z", "k", 5L, 2.0, 0L, 0.0, 0L, 0.0, "LIVE", 1L, 9L).pack();
    assertThat(NodeRecord.decode(beforeTokens).processToken()).isEmpty();
    byte[] wholeNumberCpus =
        Tuple.from(1L, "n", "a", "r", "z", "k", 5L, 2L, 0L, 0.0, 0L, 0.0, "LIVE", 1L, 9L, "t")
            .pack();
    assertThat(NodeRecord.decode(wholeNumberCpus).capacity().cpuCores()).isEqualTo(2.0);
    byte[] badStatus =
        Tuple.from(1L, "n", "a", "r", "z", "k", 5L, 2.0, 0L, 0.0, 0L, 0.0, "ASLEEP", 1L, 9L, "t")
            .pack();
    assertThatThrownBy(() -> NodeRecord.decode(badStatus)).isInstanceOf(MetaException.class);
    byte[] laterFormat =
        Tuple.from(2L, "n", "a", "r", "z", "k", 5L, 2.0, 0L, 0.0, 0L, 0.0, "LIVE", 1L, 9L, "t")
            .pack();
    assertThatThrownBy(() -> NodeRecord.decode(laterFormat)).isInstanceOf(MetaException.class);
  }

  @Test
  void leaseChangeEventAndOpRoundTrip() {
    Lease lease = new Lease("n1", 5, 123_456L);
    assertThat(Lease.decode(lease.encode())).isEqualTo(lease);

    RangeDescriptor d = new RangeDescriptor(9, b("k"), null, 2, List.of("n1"), "n1", 1);
    assertThat(ChangeEvent.decode(ChangeEvent.upsert(d).encode()).descriptor()).isEqualTo(d);
    ChangeEvent removed = ChangeEvent.decode(ChangeEvent.remove(9, b("z")).encode());
    assertThat(removed.kind()).isEqualTo(ChangeEvent.Kind.REMOVE);
    assertThat(removed.removedRangeId()).isEqualTo(9);
    assertThat(removed.removedEndKey()).isEqualTo(b("z"));
    assertThat(ChangeEvent.decode(ChangeEvent.remove(9, null).encode()).removedEndKey()).isNull();

    OpRecord op =
        new OpRecord(
            "op-1",
            OpRecord.Kind.SPLIT,
            OpRecord.Phase.PREPARED,
            List.of(9L),
            List.of(2L),
            b("m"),
            List.of(11L, 12L),
            10,
            20,
            "prepared");
    OpRecord decoded = OpRecord.decode(op.encode());
    assertThat(decoded.opId()).isEqualTo("op-1");
    assertThat(decoded.key()).isEqualTo(b("m"));
    assertThat(decoded.resultIds()).containsExactly(11L, 12L);
    assertThat(decoded.phase()).isEqualTo(OpRecord.Phase.PREPARED);
  }

  @Test
  void corruptOrFutureRecordsGiveClearErrors() {
    assertThatThrownBy(() -> RangeDescriptor.decode(new byte[] {(byte) 0x99, 1, 2}))
        .isInstanceOf(MetaException.class)
        .hasMessageContaining("cannot decode range descriptor")
        .satisfies(
            e ->
                assertThat(((MetaException) e).code())
                    .isEqualTo(MetaException.Code.CORRUPT_RECORD));
    byte[] future = Tuple.from(99L, "x").pack();
    assertThatThrownBy(() -> Lease.decode(future))
        .isInstanceOf(MetaException.class)
        .hasMessageContaining("format 99");
    assertThatThrownBy(() -> NodeRecord.decode(Tuple.from(1L, "n").pack()))
        .isInstanceOf(MetaException.class);
  }

  @Test
  void rangeIndexKeysSortByEndKeyWithTheSentinelLast() {
    Keyspace ks = Keyspace.atPrefix("t", new byte[] {0x15, 0x01});
    byte[] a = ks.rangeKey(b("a"));
    byte[] aa = ks.rangeKey(b("a\u0000"));
    byte[] high = ks.rangeKey(new byte[] {(byte) 0xff, (byte) 0xff});
    byte[] end = ks.rangeKey(null);
    assertThat(com.apple.foundationdb.tuple.ByteArrayUtil.compareUnsigned(a, aa)).isNegative();
    assertThat(com.apple.foundationdb.tuple.ByteArrayUtil.compareUnsigned(aa, high)).isNegative();
    assertThat(com.apple.foundationdb.tuple.ByteArrayUtil.compareUnsigned(high, end)).isNegative();
    assertThat(ks.rangeIndex().begin)
        .satisfies(
            begin ->
                assertThat(com.apple.foundationdb.tuple.ByteArrayUtil.compareUnsigned(begin, a))
                    .isNegative());
    assertThat(com.apple.foundationdb.tuple.ByteArrayUtil.compareUnsigned(end, ks.rangeIndex().end))
        .isNegative();
  }

  @Test
  void clusterNamesAreValidated() {
    assertThatThrownBy(() -> Keyspace.validateClusterName(""))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Keyspace.validateClusterName("a/b"))
        .hasMessageContaining("[A-Za-z0-9._-]");
    Keyspace.validateClusterName("prod-eu.1");
  }
}
