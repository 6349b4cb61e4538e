package io.fdbmeta.router;

import io.fdbmeta.layer.RangeDescriptor;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A throwaway measurement (not JMH, not a test): RouteCache lookups against ConcurrentHashMap.get
 * at a million ranges, with uniform and Zipf-distributed keys, one thread. The map is keyed by the
 * range's start key as a String and queried with the same String objects (their hash codes are
 * cached), so it is the fastest exact-match baseline; the cache answers "which range holds this
 * key" for a key inside the range.
 *
 * <pre>
 * mvn -B -q test-compile -pl router -am
 * mvn -B -q dependency:build-classpath -pl router -Dmdep.outputFile=/tmp/router.cp
 * java -Xmx4g -cp router/target/test-classes:router/target/classes:$(cat /tmp/router.cp) io.fdbmeta.router.RouteLookupHarness [ranges]
 * </pre>
 */
public final class RouteLookupHarness {
  private static volatile Object sink;

  public static void main(String[] args) {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    List<RangeDescriptor> ranges = new ArrayList<>(n);
    String[] starts = new String[n];
    for (int i = 0; i < n; i++) {
      starts[i] = String.format("user:%08d", i * 10L);
      String end = i == n - 1 ? null : String.format("user:%08d", (i + 1) * 10L);
      ranges.add(
          new RangeDescriptor(
              i + 1,
              i == 0 ? new byte[0] : bytes(starts[i]),
              end == null ? null : bytes(end),
              1,
              List.of("n1", "n2", "n3"),
              "n1",
              1));
    }
    RouteCache cache =
        new RouteCache(
            Long.MAX_VALUE / 4, k -> CompletableFuture.failedFuture(new IllegalStateException()));
    long t0 = System.nanoTime();
    cache.replaceAll(ranges, 0);
    System.out.printf(
        "loaded %,d ranges into the route cache in %d ms (estimated weight %,d bytes)%n",
        cache.size(), (System.nanoTime() - t0) / 1_000_000, cache.weight());
    ConcurrentHashMap<String, RangeDescriptor> chm = new ConcurrentHashMap<>(n * 2);
    for (int i = 0; i < n; i++) chm.put(starts[i], ranges.get(i));

    int samples = 1 << 21;
    for (String dist : new String[] {"uniform", "zipf"}) {
      int[] idx =
          dist.equals("uniform")
              ? uniform(n, samples, new Random(1))
              : zipf(n, samples, 0.99, new Random(2));
      byte[][] keys = new byte[samples][];
      String[] strs = new String[samples];
      for (int i = 0; i < samples; i++) {
        keys[i] = bytes(starts[idx[i]] + "5"); // inside the range, not its start
        strs[i] = starts[idx[i]];
      }
      double bestCache = 0;
      double bestMap = 0;
      for (int round = 0; round < 6; round++) {
        bestCache =
            Math.max(
                bestCache,
                rate(
                    () -> {
                      Object last = null;
                      for (byte[] k : keys) last = cache.find(k);
                      sink = last;
                    },
                    samples));
        bestMap =
            Math.max(
                bestMap,
                rate(
                    () -> {
                      Object last = null;
                      for (String s : strs) last = chm.get(s);
                      sink = last;
                    },
                    samples));
      }
      System.out.printf(
          "%-8s RouteCache.find %,12.0f lookups/s   ConcurrentHashMap.get %,12.0f /s   ratio %.2f%n",
          dist, bestCache, bestMap, bestCache / bestMap);
    }
    // Correctness spot check.
    for (int i = 0; i < n; i += 9973) {
      if (cache.lookup(bytes(starts[i] + "5")).rangeId() != i + 1)
        throw new AssertionError("wrong range for " + starts[i]);
    }
  }

  private static double rate(Runnable r, int ops) {
    long t = System.nanoTime();
    r.run();
    return ops / ((System.nanoTime() - t) / 1e9);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private static int[] uniform(int n, int samples, Random rnd) {
    int[] out = new int[samples];
    for (int i = 0; i < samples; i++) out[i] = rnd.nextInt(n);
    return out;
  }

  /** Zipf(s) over [0, n), ranks shuffled over the keyspace so hot ranges are scattered. */
  private static int[] zipf(int n, int samples, double s, Random rnd) {
    double[] cdf = new double[n];
    double sum = 0;
    for (int i = 0; i < n; i++) {
      sum += 1 / Math.pow(i + 1, s);
      cdf[i] = sum;
    }
    int[] perm = new int[n];
    for (int i = 0; i < n; i++) perm[i] = i;
    for (int i = n - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      int t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
    int[] out = new int[samples];
    for (int i = 0; i < samples; i++) {
      double u = rnd.nextDouble() * sum;
      int lo = 0;
      int hi = n - 1;
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (cdf[mid] < u) lo = mid + 1;
        else hi = mid;
      }
      out[i] = perm[lo];
    }
    return out;
  }
}
