package io.fdbmeta.router;

import static io.fdbmeta.router.TestCluster.b;

import io.fdbmeta.layer.RangeDescriptor;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.junit.jupiter.api.Test;

/**
 * Lookups, redirects and invalidations on the route cache are linearizable: every concurrent
 * history Lincheck produces equals some sequential order of the same calls. The descriptors form
 * one history of the keyspace (a split at "m", lease moves, a merge back), offered in any order.
 */
@Param(name = "desc", gen = IntGen.class, conf = "0:6")
@Param(name = "key", gen = IntGen.class, conf = "0:2")
public class RouteCacheLincheckTest {
  private static final RangeDescriptor[] HISTORY = {
    d(1, "", null, 1, 1), // the root
    d(2, "", "m", 2, 1), // split at m
    d(3, "m", null, 2, 1),
    d(2, "", "m", 2, 2), // left lease moved
    d(3, "m", null, 2, 3), // right lease moved twice
    d(2, "", null, 3, 2), // merged back into 2
    d(3, "m", null, 2, 2),
  };
  private static final byte[][] KEYS = {b("a"), b("m"), b("z")};

  private final RouteCache cache =
      new RouteCache(1 << 20, k -> CompletableFuture.failedFuture(new AssertionError("no loads")));

  private static RangeDescriptor d(long id, String start, String end, long gen, long epoch) {
    return new RangeDescriptor(
        id, b(start), end == null ? null : b(end), gen, List.of("n1", "n2"), "n1", epoch);
  }

  @Operation
  public boolean offer(@Param(name = "desc") int i) {
    return cache.offer(HISTORY[i]);
  }

  /** Which version of which range holds the key: id * 100 + generation * 10 + epoch, or -1. */
  @Operation
  public long lookup(@Param(name = "key") int k) {
    RangeDescriptor d = cache.lookup(KEYS[k]);
    return d == null ? -1 : d.rangeId() * 100 + d.generation() * 10 + d.leaseEpoch();
  }

  @Operation
  public void invalidate(@Param(name = "key") int k) {
    cache.invalidate(k + 1);
  }

  @Operation
  public int size() {
    return cache.size();
  }

  @Test
  void isLinearizable() {
    new StressOptions()
        .threads(2)
        .actorsPerThread(3)
        .actorsBefore(2)
        .actorsAfter(1)
        .iterations(10)
        .invocationsPerIteration(200)
        .check(getClass());
  }
}
