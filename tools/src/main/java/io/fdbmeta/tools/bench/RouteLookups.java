package io.fdbmeta.tools.bench;

import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.router.RouteCache;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The lookup phase of {@code bench router}: a {@link RouteCache} holding {@code ranges} descriptors
 * beside a {@link ConcurrentHashMap} keyed by the keys themselves, on the same key streams, one
 * thread. Only the route cache's public API is used. See RouterBenchmark's header.
 */
final class RouteLookups {
  static final int KEY_STRIDE = 10;
  static final double ZIPF_THETA = 0.99;

  private RouteLookups() {}

  /** Key distributions of the lookup phase. */
  enum Distribution {
    UNIFORM("uniform"),
    ZIPF("zipf");

    final String label;

    Distribution(String label) {
      this.label = label;
    }
  }

  /**
   * One distribution's figures: lookups per second of each round for the cache and the map, and how
   * many distinct keys the map held.
   */
  record Figures(
      Distribution distribution,
      double[] cachePerSec,
      double[] mapPerSec,
      int distinctKeys,
      int streamLength) {
    double bestCache() {
      return Arrays.stream(cachePerSec).max().orElse(Double.NaN);
    }

    double bestMap() {
      return Arrays.stream(mapPerSec).max().orElse(Double.NaN);
    }

    /** Best over best: the figure the targets judge. */
    double ratio() {
      return bestCache() / bestMap();
    }
  }

  record Results(int ranges, double loadSeconds, List<Figures> figures) {
    Figures of(Distribution d) {
      return figures.stream().filter(f -> f.distribution() == d).findFirst().orElseThrow();
    }
  }

  /** A request's key as a hash-keyed proxy would hold it: the bytes, hashed once per key object. */
  static final class ByteKey {
    final byte[] bytes;
    final int hash;

    ByteKey(byte[] bytes) {
      this.bytes = bytes;
      this.hash = Arrays.hashCode(bytes);
    }

    @Override
    public int hashCode() {
      return hash;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof ByteKey k && k.hash == hash && Arrays.equals(k.bytes, bytes);
    }
  }

  /** {@code user:} and the number zero-padded to 10 digits, as in {@code bench layer}. */
  static byte[] userKey(long n) {
    byte[] k = {'u', 's', 'e', 'r', ':', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0'};
    for (int i = k.length - 1; n > 0 && i >= 5; i--, n /= 10) k[i] = (byte) ('0' + n % 10);
    return k;
  }

  /** Range i: [user:i*10, user:(i+1)*10), all with the same three replicas. */
  static List<RangeDescriptor> descriptors(int ranges) {
    List<RangeDescriptor> out = new ArrayList<>(ranges);
    List<String> replicas = List.of("n1", "n2", "n3");
    for (int i = 0; i < ranges; i++) {
      out.add(
          new RangeDescriptor(
              i + 1L,
              userKey((long) i * KEY_STRIDE),
              userKey((long) (i + 1) * KEY_STRIDE),
              1,
              replicas,
              replicas.get(i % 3),
              1));
    }
    return out;
  }

  /**
   * {@code length} keys: uniform over every key of every range, or a Zipf-chosen range (hot ranges
   * scattered) and one of its keys at random.
   */
  static byte[][] stream(Distribution d, int ranges, int length, long seed) {
    byte[][] keys = new byte[length][];
    SplittableRandom random = new SplittableRandom(seed);
    long keySpace = (long) ranges * KEY_STRIDE;
    if (d == Distribution.UNIFORM) {
      for (int i = 0; i < length; i++) keys[i] = userKey(random.nextLong(keySpace));
    } else {
      Zipf zipf = new Zipf(ranges, ZIPF_THETA, seed ^ 0x5DEECE66DL);
      for (int i = 0; i < length; i++)
        keys[i] = userKey(zipf.next() * KEY_STRIDE + random.nextInt(KEY_STRIDE));
    }
    return keys;
  }

  private static volatile long sink;

  static Results run(int ranges, int streamLength, int rounds, Consumer<String> say) {
    say.accept(
        String.format(
            java.util.Locale.ROOT,
            "bench router: lookups: %,d descriptors into a route cache",
            ranges));
    List<RangeDescriptor> all = descriptors(ranges);
    RouteCache cache =
        new RouteCache(
            Long.MAX_VALUE / 4,
            key ->
                CompletableFuture.failedFuture(
                    new IllegalStateException("the benchmark's route cache loads nothing")));
    long t0 = System.nanoTime();
    cache.replaceAll(all, 0);
    double loadSeconds = (System.nanoTime() - t0) / 1e9;
    check(
        cache.size() == ranges,
        "the route cache holds " + cache.size() + " ranges, expected " + ranges);
    List<Figures> figures = new ArrayList<>();
    for (Distribution d : Distribution.values()) {
      byte[][] keys = stream(d, ranges, streamLength, d.ordinal() + 1);
      ConcurrentHashMap<ByteKey, RangeDescriptor> map = new ConcurrentHashMap<>();
      for (byte[] k : keys) {
        RangeDescriptor r = cache.lookup(k);
        check(
            r != null
                && r.rangeId()
                    == 1
                        + Long.parseLong(
                                new String(k, 5, 10, java.nio.charset.StandardCharsets.US_ASCII))
                            / KEY_STRIDE,
            "the route cache answered "
                + r
                + " for "
                + new String(k, java.nio.charset.StandardCharsets.US_ASCII));
        map.putIfAbsent(new ByteKey(k), r);
      }
      say.accept(
          String.format(
              java.util.Locale.ROOT,
              "bench router: lookups, %s keys: %,d lookups per pass, %,d distinct keys in the map, best of %d rounds",
              d.label,
              keys.length,
              map.size(),
              rounds));
      double[] cacheRates = new double[rounds];
      double[] mapRates = new double[rounds];
      for (int round = 0; round < rounds; round++) {
        // alternate which goes first, so neither always runs after the other's garbage
        for (int k = 0; k < 2; k++) {
          if ((k + round) % 2 == 0) cacheRates[round] = cachePass(cache, keys);
          else mapRates[round] = mapPass(map, keys);
        }
      }
      figures.add(new Figures(d, cacheRates, mapRates, map.size(), keys.length));
    }
    return new Results(ranges, loadSeconds, figures);
  }

  /** RouteCache.lookup of every key; lookups per second. */
  static double cachePass(RouteCache cache, byte[][] keys) {
    long t0 = System.nanoTime();
    long acc = 0;
    for (byte[] k : keys) {
      RangeDescriptor r = cache.lookup(k);
      acc += r == null ? -1 : r.rangeId();
    }
    long nanos = System.nanoTime() - t0;
    sink += acc;
    return keys.length * 1e9 / nanos;
  }

  /**
   * ConcurrentHashMap.get of every key, each wrapped (and hashed) as it would arrive; lookups per
   * second.
   */
  static double mapPass(ConcurrentHashMap<ByteKey, RangeDescriptor> map, byte[][] keys) {
    long t0 = System.nanoTime();
    long acc = 0;
    for (byte[] k : keys) {
      RangeDescriptor r = map.get(new ByteKey(k));
      acc += r == null ? -1 : r.rangeId();
    }
    long nanos = System.nanoTime() - t0;
    sink += acc;
    return keys.length * 1e9 / nanos;
  }

  private static void check(boolean ok, String what) {
    if (!ok) throw new IllegalStateException("bench router: " + what);
  }
}
