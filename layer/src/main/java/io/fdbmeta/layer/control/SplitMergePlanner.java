package io.fdbmeta.layer.control;

import com.apple.foundationdb.ReadTransactionContext;
import io.fdbmeta.layer.FdbErrors;
import io.fdbmeta.layer.OpRecord;
import io.fdbmeta.layer.RangeCatalog;
import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.layer.RangeLoad;
import io.fdbmeta.layer.RangeLoads;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/*
 * Load-based splits and merges, from the range load reports (RangeLoads): only ranges outside the
 * normal band are reported, so a cycle reads a handful of keys, not the catalog.
 *
 * Split: a range reported hot (request rate or bytes at or above the split thresholds) for at
 * least splitWindow is split at the key its leaseholder suggests, through the two-phase split.
 * A spike shorter than the window splits nothing.
 *
 * Merge: two neighbours that are both reported small and cold (below the merge thresholds) merge,
 * if they have the same replicas and the same leaseholder (so no lease changes hands and no
 * replica moves), and neither was created by a split within mergeCooldown: a split followed at
 * once by a merge of its halves would undo it while the load that caused it may come back. Split
 * times come from this controller's own splits and, after a takeover, from the SPLIT op records
 * (recover()), so a new controller does not merge what its predecessor just split.
 */
/** Splits hot ranges and merges small cold neighbours; see the comment at the top. */
final class SplitMergePlanner {
  private static final int MAX_PER_CYCLE = 50;

  private final RangeCatalog catalog;
  private final RangeLoads loads;
  private final ControllerConfig config;

  /** Range id -> when a split created it, for ranges created within the cooldown. */
  private final Map<Long, Long> createdBySplitAt = new HashMap<>();

  SplitMergePlanner(RangeCatalog catalog, RangeLoads loads, ControllerConfig config) {
    this.catalog = catalog;
    this.loads = loads;
    this.config = config;
  }

  /** Learns split times from committed SPLIT op records within the cooldown. */
  void recover(List<OpRecord> ops, long now) {
    for (OpRecord op : ops) {
      if (op.kind() == OpRecord.Kind.SPLIT
          && op.phase() == OpRecord.Phase.COMMITTED
          && now - op.updatedAt() < config.mergeCooldownMillis()) {
        for (long child : op.resultIds()) createdBySplitAt.put(child, op.updatedAt());
      }
    }
  }

  void cycle(ReadTransactionContext db, long now, Moves moves, ControllerActions actions) {
    createdBySplitAt.values().removeIf(at -> now - at >= config.mergeCooldownMillis());
    TreeMap<Long, RangeLoad> reports = new TreeMap<>();
    for (RangeLoad r : FdbErrors.join(loads.listAsync(db))) reports.put(r.rangeId(), r);
    int splits = 0;
    for (RangeLoad r : reports.values()) {
      if (splits >= MAX_PER_CYCLE) break;
      if (!isHotLongEnough(r, now) || moves.busy(r.rangeId()) || r.splitKey() == null) continue;
      RangeDescriptor d = catalog.get(db, r.rangeId()).orElse(null);
      if (d == null || !d.isInterior(r.splitKey())) continue;
      String why =
          String.format(
              java.util.Locale.ROOT,
              "%.0f req/s, %d bytes, hot for %d s",
              r.requestsPerSecond(),
              r.bytes(),
              (now - r.hotSince()) / 1000);
      long leftId = config.ids().newRangeId();
      long rightId = config.ids().newRangeId();
      if (actions.split(d, r.splitKey(), why, config.ids().newOpId(), leftId, rightId)) {
        createdBySplitAt.put(leftId, now);
        createdBySplitAt.put(rightId, now);
        splits++;
      }
    }
    Set<Long> used = new HashSet<>();
    int merges = 0;
    for (RangeLoad left : reports.values()) {
      if (merges >= MAX_PER_CYCLE) break;
      if (!isCold(left) || used.contains(left.rangeId()) || isRecentSplit(left.rangeId())) continue;
      RangeDescriptor l = catalog.get(db, left.rangeId()).orElse(null);
      if (l == null || l.endKey() == null) continue;
      RangeDescriptor r = catalog.lookup(db, l.endKey());
      RangeLoad right = reports.get(r.rangeId());
      if (right == null
          || !isCold(right)
          || used.contains(r.rangeId())
          || isRecentSplit(r.rangeId())) continue;
      if (!mergeable(l, r) || moves.busy(l.rangeId()) || moves.busy(r.rangeId())) continue;
      if (actions.merge(l, r)) {
        used.add(l.rangeId());
        used.add(r.rangeId());
        merges++;
      }
    }
  }

  private boolean isHotLongEnough(RangeLoad r, long now) {
    boolean overThreshold =
        r.requestsPerSecond() >= config.splitRps() || r.bytes() >= config.splitBytes();
    return overThreshold && r.hot() && now - r.hotSince() >= config.splitWindowMillis();
  }

  private boolean isCold(RangeLoad r) {
    return !r.hot() && r.requestsPerSecond() < config.mergeRps() && r.bytes() < config.mergeBytes();
  }

  private boolean isRecentSplit(long rangeId) {
    return createdBySplitAt.containsKey(rangeId);
  }

  private static boolean mergeable(RangeDescriptor l, RangeDescriptor r) {
    return new HashSet<>(l.replicas()).equals(new HashSet<>(r.replicas()))
        && l.leaseholder() != null
        && l.leaseholder().equals(r.leaseholder());
  }
}
