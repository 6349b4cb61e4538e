package io.fdbmeta.embedded.conformance;

import static io.fdbmeta.embedded.conformance.Fdb.EXACT_MODE_WITHOUT_LIMITS;
import static io.fdbmeta.embedded.conformance.Fdb.assertFdbError;
import static io.fdbmeta.embedded.conformance.Fdb.b;
import static io.fdbmeta.embedded.conformance.Fdb.s;
import static org.assertj.core.api.Assertions.assertThat;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.KeySelector;
import com.apple.foundationdb.KeyValue;
import com.apple.foundationdb.Range;
import com.apple.foundationdb.ReadTransaction;
import com.apple.foundationdb.StreamingMode;
import com.apple.foundationdb.Transaction;
import com.apple.foundationdb.async.AsyncIterator;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.IntStream;
import org.assertj.core.api.SoftAssertions;

/**
 * Key selectors (developer-guide.rst, "Key selectors": off the beginning resolves to {@code ""},
 * off the end to {@code \xff}) and range reads with limits, reverse, every streaming mode, iterator
 * and asList.
 */
class KeySelectorAndRangeConformanceTest {

  private static void seed(Database db, String... keys) {
    db.run(
        tr -> {
          for (String k : keys) tr.set(b(k), b("v" + k));
          return null;
        });
  }

  private static String resolve(Transaction tr, KeySelector sel) {
    return s(tr.getKey(sel).join());
  }

  @ConformanceTest
  void keySelectorsResolveAsDocumented(Backend backend) {
    Database db = backend.db();
    seed(db, "a", "b", "c", "d", "e");
    SoftAssertions soft = new SoftAssertions();
    // AssertJ generates its soft-assertion proxy on first use, which took over 5 s on a loaded
    // machine and made the transaction below too old: do that before the transaction starts.
    soft.assertThat("").isEqualTo("");
    try (Transaction tr = db.createTransaction()) {
      soft.assertThat(resolve(tr, KeySelector.firstGreaterOrEqual(b("b")))).isEqualTo("b");
      soft.assertThat(resolve(tr, KeySelector.firstGreaterOrEqual(b("bb")))).isEqualTo("c");
      soft.assertThat(resolve(tr, KeySelector.firstGreaterThan(b("b")))).isEqualTo("c");
      soft.assertThat(resolve(tr, KeySelector.firstGreaterThan(b("bb")))).isEqualTo("c");
      soft.assertThat(resolve(tr, KeySelector.lastLessThan(b("b")))).isEqualTo("a");
      soft.assertThat(resolve(tr, KeySelector.lastLessThan(b("bb")))).isEqualTo("b");
      soft.assertThat(resolve(tr, KeySelector.lastLessOrEqual(b("b")))).isEqualTo("b");
      soft.assertThat(resolve(tr, KeySelector.lastLessOrEqual(b("bb")))).isEqualTo("b");
      // Positive and negative offsets.
      soft.assertThat(resolve(tr, KeySelector.firstGreaterOrEqual(b("a")).add(2))).isEqualTo("c");
      soft.assertThat(resolve(tr, KeySelector.firstGreaterOrEqual(b("e")).add(-2))).isEqualTo("c");
      soft.assertThat(resolve(tr, KeySelector.lastLessOrEqual(b("c")).add(-1))).isEqualTo("b");
      soft.assertThat(resolve(tr, KeySelector.firstGreaterThan(b("a")).add(3))).isEqualTo("e");
      soft.assertThat(resolve(tr, new KeySelector(b("c"), true, 2))).isEqualTo("e");
      soft.assertThat(resolve(tr, new KeySelector(b("c"), false, -1))).isEqualTo("a");
      // The whole user keyspace.
      soft.assertThat(resolve(tr, KeySelector.firstGreaterOrEqual(new byte[0]))).isEqualTo("a");
      soft.assertThat(resolve(tr, KeySelector.lastLessThan(b("\u00ff")))).isEqualTo("e");
      // Off the beginning: "".
      soft.assertThat(resolve(tr, KeySelector.lastLessThan(b("a")))).isEqualTo("");
      soft.assertThat(resolve(tr, KeySelector.firstGreaterOrEqual(b("a")).add(-1))).isEqualTo("");
      soft.assertThat(resolve(tr, KeySelector.firstGreaterOrEqual(b("c")).add(-1000)))
          .isEqualTo("");
      soft.assertThat(resolve(tr, KeySelector.lastLessOrEqual(new byte[0]))).isEqualTo("");
      // Off the end: "\xff".
      soft.assertThat(resolve(tr, KeySelector.firstGreaterThan(b("e")))).isEqualTo("\u00ff");
      soft.assertThat(resolve(tr, KeySelector.firstGreaterOrEqual(b("f")))).isEqualTo("\u00ff");
      soft.assertThat(resolve(tr, KeySelector.firstGreaterOrEqual(b("a")).add(5)))
          .isEqualTo("\u00ff");
      soft.assertThat(resolve(tr, KeySelector.lastLessOrEqual(b("c")).add(1000)))
          .isEqualTo("\u00ff");
      soft.assertAll();
    }
  }

  @ConformanceTest
  void keySelectorsOnAnEmptyDatabase(Backend backend) {
    Database db = backend.db();
    try (Transaction tr = db.createTransaction()) {
      assertThat(resolve(tr, KeySelector.firstGreaterOrEqual(b("m")))).isEqualTo("\u00ff");
      assertThat(resolve(tr, KeySelector.lastLessOrEqual(b("m")))).isEqualTo("");
      assertThat(tr.getRange(new byte[0], b("\u00ff")).asList().join()).isEmpty();
    }
  }

  @ConformanceTest
  void rangesBetweenKeySelectors(Backend backend) {
    Database db = backend.db();
    seed(db, "a", "b", "c", "d", "e");
    try (Transaction tr = db.createTransaction()) {
      assertThat(
              keys(
                  tr.getRange(
                          KeySelector.firstGreaterThan(b("a")),
                          KeySelector.firstGreaterOrEqual(b("d")))
                      .asList()
                      .join()))
          .containsExactly("b", "c");
      assertThat(
              keys(
                  tr.getRange(
                          KeySelector.lastLessOrEqual(b("b")), KeySelector.firstGreaterThan(b("d")))
                      .asList()
                      .join()))
          .containsExactly("b", "c", "d");
      assertThat(
              keys(
                  tr.getRange(
                          KeySelector.firstGreaterOrEqual(b("a")).add(-5),
                          KeySelector.firstGreaterOrEqual(b("a")).add(2))
                      .asList()
                      .join()))
          .containsExactly("a", "b");
      // A range whose begin resolves at or after its end is empty, not an error.
      assertThat(tr.getRange(b("d"), b("b")).asList().join()).isEmpty();
      assertThat(
              tr.getRange(
                      KeySelector.firstGreaterOrEqual(b("d")),
                      KeySelector.firstGreaterOrEqual(b("b")))
                  .asList()
                  .join())
          .isEmpty();
      assertThat(keys(tr.getRange(Range.startsWith(b("c"))).asList().join())).containsExactly("c");
    }
  }

  @ConformanceTest
  void everyStreamingModeLimitAndDirection(Backend backend) {
    Database db = backend.db();
    List<String> all = IntStream.range(0, 250).mapToObj(i -> String.format("k%03d", i)).toList();
    seed(db, all.toArray(String[]::new));
    // Compared inside the transaction, asserted after it: 42,000 AssertJ soft assertions took long
    // enough on a loaded machine to age the transaction past its 5 s lifetime.
    List<String> mismatches = new ArrayList<>();
    try (Transaction tr = db.createTransaction()) {
      for (StreamingMode mode : StreamingMode.values()) {
        for (boolean reverse : new boolean[] {false, true}) {
          for (int limit : new int[] {ReadTransaction.ROW_LIMIT_UNLIMITED, 1, 7, 249, 250, 1000}) {
            if (mode == StreamingMode.EXACT && limit == 0) continue;
            List<String> expected = new ArrayList<>(all);
            if (reverse) Collections.reverse(expected);
            if (limit > 0 && limit < expected.size()) expected = expected.subList(0, limit);
            String what = mode + " reverse=" + reverse + " limit=" + limit;
            List<String> listed =
                keys(tr.getRange(b("k"), b("l"), limit, reverse, mode).asList().join());
            if (!listed.equals(expected))
              mismatches.add("asList " + what + ": " + listed + ", expected " + expected);
            List<String> iterated = new ArrayList<>();
            for (KeyValue kv : tr.getRange(b("k"), b("l"), limit, reverse, mode)) {
              iterated.add(s(kv.getKey()));
              if (!("v" + s(kv.getKey())).equals(s(kv.getValue())))
                mismatches.add("value of " + s(kv.getKey()) + ", " + what);
            }
            if (!iterated.equals(expected))
              mismatches.add("iterator " + what + ": " + iterated + ", expected " + expected);
          }
        }
      }
    }
    assertThat(mismatches).isEmpty();
  }

  @ConformanceTest
  void asyncIteratorWalksTheRange(Backend backend) {
    Database db = backend.db();
    seed(db, "i1", "i2", "i3");
    try (Transaction tr = db.createTransaction()) {
      AsyncIterator<KeyValue> it = tr.getRange(b("i"), b("j"), 2).iterator();
      List<String> seen = new ArrayList<>();
      while (it.onHasNext().join()) seen.add(s(it.next().getKey()));
      assertThat(seen).containsExactly("i1", "i2");
      assertThat(it.hasNext()).isFalse();
    }
  }

  @ConformanceTest
  void exactModeWithoutLimitIsRefused(Backend backend) {
    Database db = backend.db();
    seed(db, "k1");
    try (Transaction tr = db.createTransaction()) {
      assertFdbError(
          EXACT_MODE_WITHOUT_LIMITS,
          () -> tr.getRange(b("k"), b("l"), 0, false, StreamingMode.EXACT).asList().join());
    }
  }

  private static List<String> keys(List<KeyValue> kvs) {
    return kvs.stream().map(kv -> s(kv.getKey())).toList();
  }
}
