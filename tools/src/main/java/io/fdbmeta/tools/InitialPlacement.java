package io.fdbmeta.tools;

import com.apple.foundationdb.Database;
import io.fdbmeta.layer.FdbErrors;
import io.fdbmeta.layer.LeaseManager;
import io.fdbmeta.layer.NodeRecord;
import io.fdbmeta.layer.RangeCatalog;
import io.fdbmeta.layer.RangeDescriptor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/*
 * The first replicas of a fresh cluster's ranges. The controller re-creates replicas of dead nodes
 * and moves replicas between nodes, but a range that never had a replica is not its business: the
 * in-process clusters (storage's LocalCluster) place them when they start, and a cluster of service
 * processes does it with `fdbmeta ranges place` once its nodes have registered.
 *
 * A range's replicas and its leaseholder are written in one transaction: with the replicas
 * committed first and the lease after, a replica would take the free lease itself meanwhile, and
 * the chosen leaseholder's acquire would fail.
 */
/** Places the replicas and the leaseholder of ranges that have none; see the comment at the top. */
final class InitialPlacement {
  private InitialPlacement() {}

  /**
   * The replicas of the i-th range, its leaseholder first: one node from each of {@code
   * replication} zones, starting at zone i mod zones and rotating through each zone's nodes, so
   * replicas and leases spread over every node; then other nodes if zones are fewer than replicas.
   * (LocalCluster's rule, over registered nodes.)
   */
  static List<String> choose(List<NodeRecord> nodes, int i, int replication) {
    Map<String, List<String>> byZone = new LinkedHashMap<>();
    for (NodeRecord n : nodes)
      byZone.computeIfAbsent(n.locality().zone(), z -> new ArrayList<>()).add(n.nodeId());
    List<List<String>> zones = new ArrayList<>(byZone.values());
    List<String> out = new ArrayList<>();
    for (int j = 0; j < zones.size() && out.size() < replication; j++) {
      List<String> members = zones.get((i + j) % zones.size());
      out.add(members.get((i / zones.size() + j) % members.size()));
    }
    for (NodeRecord n : nodes)
      if (out.size() < replication && !out.contains(n.nodeId())) out.add(n.nodeId());
    return out;
  }

  /**
   * Adds {@code replicas} to range {@code d} (which has none) and gives the first the lease, in one
   * transaction.
   *
   * @return the range as it is now
   * @throws io.fdbmeta.layer.MetaException if the catalog refuses (e.g. the range changed)
   */
  static RangeDescriptor place(
      Database db, RangeCatalog catalog, RangeDescriptor d, List<String> replicas) {
    LeaseManager leases = new LeaseManager(catalog);
    FdbErrors.join(
        db.runAsync(
            tr -> {
              CompletableFuture<RangeDescriptor> added = CompletableFuture.completedFuture(d);
              for (String n : replicas)
                added = added.thenCompose(x -> catalog.addReplicaAsync(tr, d.rangeId(), n, -1));
              return added.thenCompose(x -> leases.acquireAsync(tr, d.rangeId(), replicas.get(0)));
            }));
    return catalog.get(db, d.rangeId()).orElseThrow();
  }
}
