package io.fdbmeta.tools.sim;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.tuple.Versionstamp;
import io.fdbmeta.layer.ChangeEvent;
import io.fdbmeta.layer.Keyspace;
import io.fdbmeta.layer.Lease;
import io.fdbmeta.layer.LeaseManager;
import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.layer.Versionstamps;
import io.fdbmeta.layer.route.ChangelogReader;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/*
 * The simulation's independent view of the catalog, and its invariant checks. After every step it
 * reads the changelog (every routing change the controller committed, in commit order) and applies
 * each commit to its own model of ranges and nodes; it never asks the controller what it did.
 *
 * Per commit, on the final state of the ranges the commit touched:
 *  - placement: replicas in distinct zones and racks, and inside the pinned region if the range is
 *    pinned (the simulation's own rule and topology, not the controller's);
 *  - leases (riding on liveness): when a range's leaseholder changes from A to B at true time t,
 *    A may still serve under the incarnation the lease was granted to: while A runs that
 *    incarnation, for ever (its heartbeats go on); once it stopped or registered again, until the
 *    liveness view of that incarnation (its last committed heartbeat) - maxClockOffset on A's
 *    clock (SimNode.serveEnd). If that is after t, two nodes hold a valid lease for the range at
 *    once: a double-leader interval of that length. A merge is checked the same way for the range
 *    it removes, whose keys the merged range's holder now serves.
 *  - moves: a commit that swaps one replica for another is a move; it counts as a re-creation
 *    when the replica it removes is on a node that is down, else as a rebalance move.
 */
/** Applies the changelog to the simulation's model and checks invariants on every commit. */
final class Observer {
  private final Simulation sim;
  private final ChangelogReader reader;
  private final LeaseManager leases;
  private final Database db;
  private @Nullable Versionstamp cursor;

  long placementViolations;
  long doubleLeaders;
  long doubleLeaderMillis;
  long rebalanceMoves;
  long recreations;
  long splits;
  long merges;
  long leaseChanges;
  final List<String> examples = new ArrayList<>();

  Observer(Simulation sim, Database db, Keyspace ks, LeaseManager adminLeases) {
    this.sim = sim;
    this.db = db;
    this.reader = new ChangelogReader(ks);
    this.leases = adminLeases;
  }

  /** Skips everything logged so far (the bulk import, which the simulation wrote itself). */
  void skipTo(@Nullable Versionstamp position) {
    cursor = position;
  }

  /** Applies every commit logged since the last call, at true time {@code now}. */
  void catchUp(long now) {
    List<ChangeEvent.At> batch = new ArrayList<>();
    while (true) {
      ChangelogReader.Page page = reader.readAfterAsync(db, cursor, 10_000).join();
      if (cursor != null && page.floor().compareTo(cursor) > 0)
        throw new IllegalStateException("simulation fell behind the changelog floor");
      for (ChangeEvent.At at : page.entries()) {
        if (!batch.isEmpty() && !Versionstamps.sameCommit(batch.get(0).position(), at.position())) {
          applyCommit(batch, now);
          batch = new ArrayList<>();
        }
        batch.add(at);
        cursor = at.position();
      }
      if (page.entries().size() < 10_000) break;
    }
    if (!batch.isEmpty()) applyCommit(batch, now);
  }

  private void applyCommit(List<ChangeEvent.At> events, long now) {
    List<SimRange> removed = new ArrayList<>();
    List<RangeDescriptor> upserts = new ArrayList<>();
    for (ChangeEvent.At at : events) {
      ChangeEvent e = at.event();
      if (e.kind() == ChangeEvent.Kind.REMOVE) {
        SimRange r = sim.removeRange(e.removedRangeId());
        if (r != null) removed.add(r);
      } else {
        upserts.add(e.descriptor());
      }
    }
    // only the last upsert of a range in a commit is its state after the commit
    java.util.LinkedHashMap<Long, RangeDescriptor> last = new java.util.LinkedHashMap<>();
    for (RangeDescriptor d : upserts) last.put(d.rangeId(), d);
    Set<Long> removedIds = new HashSet<>();
    for (SimRange r : removed) removedIds.add(r.id);
    int createdCount = 0;
    for (RangeDescriptor d : last.values()) {
      if (removedIds.contains(d.rangeId()))
        continue; // e.g. the import's rest range, replaced in one commit
      SimRange r = sim.range(d.rangeId());
      if (r == null) {
        r = created(d, removed, now);
        createdCount++;
      } else {
        updated(r, d, removed, now);
      }
      checkPlacement(r);
    }
    if (removed.size() == 1 && createdCount == 2) {
      splits++;
      sim.metaWrite("splits and merges", now);
    }
  }

  /** A range that did not exist: a split child, taking its share of the parent's load and lease. */
  private SimRange created(RangeDescriptor d, List<SimRange> removed, long now) {
    SimRange r =
        new SimRange(
            d.rangeId(),
            Simulation.keyOf(d.startKey()),
            d.endKey() == null ? Long.MAX_VALUE : Simulation.keyOf(d.endKey()),
            sim.indexes(d.replicas()));
    SimRange parent = null;
    for (SimRange p : removed) {
      if (p.start <= r.start && r.end <= p.end) parent = p;
    }
    if (parent != null) {
      double share = (double) r.span() / parent.span();
      r.rps = parent.rps * share;
      r.bytes = Math.round(parent.bytes * share);
      r.hot = parent.hot;
      r.hotSince = now;
      r.holderIncarnation = parent.holderIncarnation;
    }
    r.holder = d.leaseholder() == null ? -1 : sim.index(d.leaseholder());
    r.epoch = d.leaseEpoch();
    sim.addRange(r);
    return r;
  }

  private void updated(SimRange r, RangeDescriptor d, List<SimRange> removed, long now) {
    long newEnd = d.endKey() == null ? Long.MAX_VALUE : Simulation.keyOf(d.endKey());
    int newHolder = d.leaseholder() == null ? -1 : sim.index(d.leaseholder());
    if (newEnd
        != r.end) { // a merge: r takes the removed neighbour's keys, load and (checked) lease
      for (SimRange gone : removed) {
        if (gone.start >= r.end && gone.end <= newEnd) {
          merges++;
          sim.metaWrite("splits and merges", now);
          checkHandover(gone, gone.holder, newHolder, now, "merge into range " + r.id);
          sim.mergeLoad(r, gone);
        }
      }
      sim.setEnd(r, newEnd);
    }
    int[] replicas = sim.indexes(d.replicas());
    countMove(r, r.replicas, replicas, now);
    sim.setReplicas(r, replicas);
    if (newHolder != r.holder) {
      checkHandover(r, r.holder, newHolder, now, "lease of range " + r.id);
      sim.setHolder(r, newHolder);
    }
    if (d.leaseEpoch() != r.epoch) {
      leaseChanges++;
      sim.leaseChanged(now);
      if (newHolder >= 0) {
        Lease l = leases.getAsync(db, r.id).join().orElse(null);
        r.holderIncarnation = l == null ? 0 : l.holderIncarnation();
      }
    }
    r.epoch = d.leaseEpoch();
  }

  private void countMove(SimRange r, int[] before, int[] after, long now) {
    List<Integer> added = new ArrayList<>();
    List<Integer> gone = new ArrayList<>();
    for (int n : after) if (!contains(before, n)) added.add(n);
    for (int n : before) if (!contains(after, n)) gone.add(n);
    if (added.size() == 1 && gone.size() == 1) {
      sim.metaWrite("moves", now);
      if (sim.node(gone.get(0)).up()) {
        rebalanceMoves++;
        sim.onRebalanceMove(r, sim.node(gone.get(0)), sim.node(added.get(0)));
      } else {
        recreations++;
      }
    }
  }

  private static boolean contains(int[] a, int v) {
    for (int x : a) if (x == v) return true;
    return false;
  }

  /**
   * Checks that {@code from} could no longer serve {@code r} when {@code to} took over at {@code
   * now}.
   */
  private void checkHandover(SimRange r, int from, int to, long now, String what) {
    if (from < 0 || from == to) return;
    SimNode old = sim.node(from);
    long serveEnd = old.serveEnd(r.holderIncarnation, sim.maxClockOffset());
    if (now < serveEnd) {
      doubleLeaders++;
      long overlap = serveEnd == Long.MAX_VALUE ? sim.leaseMillis() : serveEnd - now;
      doubleLeaderMillis += overlap;
      example(
          "double leader: "
              + what
              + " went from "
              + old.id
              + " ("
              + old.state
              + ", serving until "
              + (serveEnd == Long.MAX_VALUE ? "it stops" : String.valueOf(serveEnd))
              + ") to "
              + (to < 0 ? "nobody" : sim.node(to).id)
              + " at "
              + now);
    }
  }

  private void checkPlacement(SimRange r) {
    Set<String> zones = new HashSet<>();
    Set<String> racks = new HashSet<>();
    boolean pinned = sim.isPinned(r.start);
    for (int i : r.replicas) {
      SimNode n = sim.node(i);
      boolean bad =
          !zones.add(n.zone()) | !racks.add(n.rack())
              || (pinned && !n.locality.region().equals(Simulation.PINNED_REGION));
      if (bad) {
        placementViolations++;
        example(
            "placement violation: range "
                + r.id
                + " replicas "
                + sim.ids(r.replicas)
                + (pinned ? " (pinned to " + Simulation.PINNED_REGION + ")" : ""));
        return;
      }
    }
  }

  private void example(String s) {
    if (examples.size() < 10) examples.add(s);
  }
}
