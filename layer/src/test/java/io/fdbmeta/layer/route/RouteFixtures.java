package io.fdbmeta.layer.route;

import com.apple.foundationdb.Database;
import io.fdbmeta.layer.Keyspace;
import io.fdbmeta.layer.LayerConfig;
import io.fdbmeta.layer.MetaException;
import io.fdbmeta.layer.NodeRecord;
import io.fdbmeta.layer.NodeRegistry;
import io.fdbmeta.layer.Page;
import io.fdbmeta.layer.RangeCatalog;
import io.fdbmeta.layer.RangeDescriptor;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Shared helpers for follower tests: catalog state, random catalog changes, waiting. */
public final class RouteFixtures {
  private RouteFixtures() {}

  public static byte[] key(int n) {
    return String.format("user:%08d", n).getBytes(StandardCharsets.UTF_8);
  }

  /** The catalog's ranges in key order, read in pages as any client would. */
  public static List<RangeDescriptor> catalogRanges(Database db, RangeCatalog catalog) {
    List<RangeDescriptor> out = new ArrayList<>();
    byte[] cursor = null;
    do {
      Page<RangeDescriptor> page = catalog.list(db, cursor, 1_000);
      out.addAll(page.items());
      cursor = page.nextCursor();
    } while (cursor != null);
    return out;
  }

  /** Registers a LIVE node, for ranges to name as replicas. */
  public static void registerNode(Database db, Keyspace ks, String nodeId) {
    new NodeRegistry(ks, LayerConfig.defaults())
        .register(
            db,
            new NodeRegistry.Registration(
                nodeId,
                nodeId + ":7000",
                new NodeRecord.Locality("r", "z-" + nodeId, "rack-" + nodeId),
                new NodeRecord.Capacity(1L << 40, 8)),
            "token-" + nodeId);
  }

  /**
   * Splits the range holding a random key there, if the key is interior; returns whether it split.
   */
  public static boolean randomSplit(Database db, RangeCatalog catalog, Random rnd, int keySpace) {
    byte[] k = key(rnd.nextInt(keySpace));
    RangeDescriptor d = catalog.lookup(db, k);
    if (!d.isInterior(k)) return false;
    try {
      catalog.split(db, d.rangeId(), k);
      return true;
    } catch (MetaException e) {
      if (e.code() == MetaException.Code.STALE_GENERATION) return false; // raced another change
      throw e;
    }
  }

  /** Merges the range holding a random key with its right neighbour, if they can merge. */
  public static boolean randomMerge(Database db, RangeCatalog catalog, Random rnd, int keySpace) {
    RangeDescriptor left = catalog.lookup(db, key(rnd.nextInt(keySpace)));
    if (left.endKey() == null) return false;
    RangeDescriptor right = catalog.lookup(db, left.endKey());
    try {
      catalog.merge(db, left.rangeId(), right.rangeId());
      return true;
    } catch (MetaException e) {
      if (e.code() == MetaException.Code.NOT_ALLOWED
          || e.code() == MetaException.Code.UNKNOWN_RANGE
          || e.code() == MetaException.Code.INVALID_ARGUMENT) return false;
      throw e;
    }
  }

  public static void await(
      String what, Duration timeout, BooleanSupplier condition, Supplier<String> state) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline)
        throw new AssertionError(
            "timed out after " + timeout + " waiting for " + what + ": " + state.get());
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  public static long percentile(List<Long> sorted, double p) {
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1));
  }
}
