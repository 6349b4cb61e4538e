package io.fdbmeta.storage;

import static io.fdbmeta.storage.Bytes.b;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DataStoreTest {
  static final long P1 = 1L << WriteSequence.COUNTER_BITS;
  static final long P2 = 2L << WriteSequence.COUNTER_BITS;
  final DataStore store = new DataStore();

  @Test
  void aLaterWriteOfTheSameProcessWinsWhateverTheArrivalOrder() {
    assertThat(store.applyReplicated(b("k"), b("v2"), "n1", P1 | 2, 0)).isTrue();
    assertThat(store.applyReplicated(b("k"), b("v1"), "n1", P1 | 1, 0)).isFalse();
    assertThat(store.applyReplicated(b("k"), b("v2"), "n1", P1 | 2, 0)).isFalse();
    assertThat(store.get(b("k"))).isEqualTo(b("v2"));
  }

  @Test
  void anotherProcessAlwaysWins() {
    store.applyReplicated(b("k"), b("old-leader"), "n1", P1 | 100, 0);
    assertThat(store.applyReplicated(b("k"), b("new-leader"), "n2", P1 | 1, 0)).isTrue();
    assertThat(store.applyReplicated(b("k"), b("restarted"), "n2", P2 | 1, 0)).isTrue();
    assertThat(store.get(b("k"))).isEqualTo(b("restarted"));
  }

  @Test
  void fetchedValuesFillOnlyEmptyKeys() {
    store.applyReplicated(b("a"), b("replicated"), "n1", P1 | 1, 0);
    store.applyReplicated(b("b"), null, "n1", P1 | 2, 0); // tombstone
    assertThat(store.applyFetched(b("a"), b("fetched"))).isFalse();
    assertThat(store.applyFetched(b("b"), b("fetched"))).isFalse();
    assertThat(store.applyFetched(b("c"), b("fetched"))).isTrue();
    assertThat(store.get(b("a"))).isEqualTo(b("replicated"));
    assertThat(store.get(b("b"))).isNull();
    assertThat(store.applyReplicated(b("c"), b("later"), "n1", P1 | 1, 0)).isTrue();
    assertThat(store.get(b("c"))).isEqualTo(b("later"));
  }

  @Test
  void leaderWritesCountAndScanSkipsTombstones() {
    WriteSequence seq = new WriteSequence(3);
    DataStore.Applied set =
        store.applyAsLeader(
            "n1",
            seq,
            new byte[][] {b("a"), b("b"), b("c")},
            new byte[][] {b("1"), b("2"), b("3")},
            0);
    assertThat(set.count()).isEqualTo(3);
    assertThat(WriteSequence.sameProcess(set.seq(), 3L << WriteSequence.COUNTER_BITS)).isTrue();
    DataStore.Applied del =
        store.applyAsLeader("n1", seq, new byte[][] {b("b"), b("x")}, new byte[2][], 1000);
    assertThat(del.count()).isEqualTo(1);
    assertThat(del.seq()).isGreaterThan(set.seq());
    DataStore.Page page = store.scan(b("a"), null, 1, Long.MAX_VALUE);
    assertThat(page.pairs()).containsExactly(b("a"), b("1"));
    assertThat(page.more()).isTrue();
    assertThat(store.scan(b("a\0"), null, 10, Long.MAX_VALUE).pairs())
        .containsExactly(b("c"), b("3"));
    assertThat(store.bytes()).isEqualTo(4);
    assertThat(store.entries()).isEqualTo(4); // a, c and two tombstones
    assertThat(store.sweepTombstones(1000 + DataStore.TOMBSTONE_MILLIS)).isZero();
    assertThat(store.sweepTombstones(1001 + DataStore.TOMBSTONE_MILLIS)).isEqualTo(2);
    assertThat(store.entries()).isEqualTo(2);
  }

  @Test
  void unsignedOrderAndClear() {
    store.applyFetched(new byte[] {(byte) 0xff}, b("high"));
    store.applyFetched(new byte[] {0x01}, b("low"));
    assertThat(store.scan(new byte[0], null, 10, Long.MAX_VALUE).pairs())
        .containsExactly(new byte[] {0x01}, b("low"), new byte[] {(byte) 0xff}, b("high"));
    store.clear(new byte[] {0x02}, null);
    assertThat(store.get(new byte[] {(byte) 0xff})).isNull();
    assertThat(store.get(new byte[] {0x01})).isEqualTo(b("low"));
    assertThat(store.bytes()).isEqualTo(4);
  }

  @Test
  void anExpiredKeyIsAbsentToEveryReadAndTheSweepKeepsAnOlderWriteFromReturning() {
    WriteSequence seq = new WriteSequence(3);
    store.applyAsLeader("n1", seq, new byte[][] {b("k")}, new byte[][] {b("old")}, 0);
    long first = seq.next(); // an older write of the same process, delayed
    long s =
        store.updateAsLeader(
            "n1", seq, b("k"), 100, (v, exp) -> new DataStore.Change(b("new"), 200));
    assertThat(s).isPositive();
    assertThat(store.get(b("k"), 200)).isEqualTo(b("new"));
    assertThat(store.get(b("k"), 201)).isNull();
    assertThat(store.exists(b("k"), 201)).isFalse();
    assertThat(store.scan(b("a"), null, 10, Long.MAX_VALUE, 0, 201).pairs()).isEmpty();
    assertThat(store.count(b("a"), null, 200)).isEqualTo(1);
    assertThat(store.count(b("a"), null, 201)).isZero();
    // the leaseholder's read-modify-write sees nothing past the expiry
    store.updateAsLeader(
        "n1",
        seq,
        b("k"),
        300,
        (v, exp) -> {
          assertThat(v).isNull();
          return null;
        });
    assertThat(store.expire(300)).isEqualTo(1);
    assertThat(store.applyReplicated(b("k"), b("old"), "n1", first, 300)).isFalse();
    assertThat(store.get(b("k"), 300)).isNull();
    // a replicated value with an expiry, and a fetched one, carry it
    assertThat(store.applyReplicated(b("r"), b("v"), 500, "n2", P2 | 1, 0)).isTrue();
    assertThat(store.applyFetched(b("f"), b("v"), 500)).isTrue();
    assertThat(store.get(b("r"), 500)).isEqualTo(b("v"));
    assertThat(store.get(b("f"), 501)).isNull();
    assertThat(store.scan(b("a"), null, 10, Long.MAX_VALUE, 0, 400).expiries())
        .containsExactly(500L, 500L);
  }
}
