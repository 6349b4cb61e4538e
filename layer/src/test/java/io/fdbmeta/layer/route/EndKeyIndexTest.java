package io.fdbmeta.layer.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * upperBound and valueAbove agree with a linear search, across sizes (one to four levels), ties and
 * key shapes; of() checks its ends.
 */
class EndKeyIndexTest {

  @Test
  void upperBoundAndValueAboveMatchLinearSearch() {
    Random rnd = new Random(42);
    int[] sizes = {0, 1, 2, 15, 16, 17, 255, 256, 257, 4095, 4097, 70_000};
    for (int size : sizes) {
      for (boolean unbounded : new boolean[] {false, true}) {
        for (int shape = 0; shape < 3; shape++) check(rnd, size, unbounded, shape);
      }
    }
  }

  private static void check(Random rnd, int size, boolean unbounded, int shape) {
    TreeSet<byte[]> set = new TreeSet<>(Arrays::compareUnsigned);
    while (set.size() < size) set.add(key(rnd, shape));
    List<byte[]> ends = new ArrayList<>(set);
    int n = ends.size() + (unbounded ? 1 : 0);
    byte[][] arrays = new byte[n][];
    int[] froms = new int[n];
    for (int i = 0; i < ends.size(); i++) {
      if (rnd.nextBoolean()) {
        arrays[i] = ends.get(i);
      } else { // embedded as in a range-index key: some prefix, the end, one terminator byte
        int from = 1 + rnd.nextInt(5);
        byte[] key = new byte[from + ends.get(i).length + 1];
        rnd.nextBytes(key);
        System.arraycopy(ends.get(i), 0, key, from, ends.get(i).length);
        arrays[i] = key;
        froms[i] = from;
      }
    }
    EndKeyIndex index = new EndKeyIndex(arrays, froms);
    assertThat(index.size()).isEqualTo(n);
    Integer[] values = new Integer[n];
    Arrays.setAll(values, i -> i);
    for (int p = 0; p < 2_000; p++) {
      byte[] probe =
          rnd.nextInt(3) == 0 && !ends.isEmpty()
              ? variant(rnd, ends.get(rnd.nextInt(ends.size())))
              : key(rnd, shape);
      int expected = 0;
      while (expected < ends.size() && Arrays.compareUnsigned(ends.get(expected), probe) <= 0)
        expected++;
      assertThat(index.upperBound(probe))
          .as("size %d, shape %d, probe %s", size, shape, Arrays.toString(probe))
          .isEqualTo(expected);
      assertThat(EndKeyIndex.valueAbove(index.searchWords(), index, values, probe))
          .as("value above, size %d, shape %d, probe %s", size, shape, Arrays.toString(probe))
          .isEqualTo(expected < n ? values[expected] : null);
    }
  }

  @Test
  void ofChecksItsEnds() {
    byte[] a = {'a'};
    byte[] b = {'b'};
    assertThat(EndKeyIndex.of(Arrays.asList(a, b, null)).upperBound(new byte[] {'a'})).isEqualTo(1);
    assertThat(EndKeyIndex.of(Arrays.asList(a, b, null)).end(1)).isSameAs(b);
    assertThatThrownBy(() -> EndKeyIndex.of(Arrays.asList(b, a)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("index 1");
    assertThatThrownBy(() -> EndKeyIndex.of(Arrays.asList(a, a)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> EndKeyIndex.of(Arrays.asList(a, null, b)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("only the last");
  }

  /**
   * Keys of one of three shapes: random bytes with zeros; a long shared prefix; equal in their
   * first 8+ bytes after it.
   */
  private static byte[] key(Random rnd, int shape) {
    switch (shape) {
      case 0:
        {
          byte[] k = new byte[rnd.nextInt(12)];
          for (int i = 0; i < k.length; i++)
            k[i] = (byte) (rnd.nextInt(4) == 0 ? 0 : rnd.nextInt(256));
          return k;
        }
      case 1:
        return String.format("user:%010d", rnd.nextInt(1_000_000_000)).getBytes();
      default:
        return String.format("tenant-%d/aaaaaaaaaaaa%05d", rnd.nextInt(3), rnd.nextInt(100_000))
            .getBytes();
    }
  }

  /** The key itself, one byte longer or shorter, or with its last byte changed: around a tie. */
  private static byte[] variant(Random rnd, byte[] k) {
    switch (rnd.nextInt(4)) {
      case 0:
        return k.clone();
      case 1:
        return Arrays.copyOf(k, k.length + 1);
      case 2:
        return Arrays.copyOf(k, Math.max(0, k.length - 1));
      default:
        {
          byte[] v = k.clone();
          if (v.length > 0) v[v.length - 1] += rnd.nextBoolean() ? 1 : -1;
          return v;
        }
    }
  }
}
