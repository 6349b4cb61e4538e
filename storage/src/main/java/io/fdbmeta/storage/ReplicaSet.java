package io.fdbmeta.storage;

import io.fdbmeta.layer.ChangeEvent;
import io.fdbmeta.layer.LayerConfig;
import io.fdbmeta.layer.Lease;
import io.fdbmeta.layer.LeaseGuard;
import io.fdbmeta.layer.NodeLiveness;
import io.fdbmeta.layer.RangeCatalog;
import io.fdbmeta.layer.RangeDescriptor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import org.jspecify.annotations.Nullable;

/*
 * The ranges this node replicates, kept equal to what the catalog says about this node.
 *
 * Changes arrive one commit at a time from the node's RouteFollower (or as a whole table on a
 * reload), and from the node's own splits, which install their children at once instead of
 * waiting for the feed. Both go through one lock; lookups (by id, by key) take none.
 *
 * A replica this node gains is synced (may serve and be fetched from) only if its data is already
 * here: it is the child of a split or merge of synced replicas of this node, or the range never had
 * a lease (epoch 0: no write was ever accepted). Otherwise it copies the data with FETCH first.
 * Key spans no replica of this node covers any more have their data dropped.
 *
 * The feed can bring news this node has already outrun: it splits a range and at once splits a child
 * again, and only then does the feed deliver the first split, naming the child that is gone here.
 * A descriptor for a range this node does not have is therefore taken only if no replica here
 * overlapping it has a higher generation (splits and merges give their results a generation above
 * every range they replace, so along any key's history generations only rise). Taking it would
 * put the old child back over its own children in the key index, and when the feed then removed it,
 * its start key would leave the index with it: a gap no lookup by key could cross.
 */
/** This node's replicas by id and by key, reconciled with the catalog's change feed. */
final class ReplicaSet {
  /**
   * What the node does about a change; must not block ({@link #dropped} runs under the set's lock,
   * the others after it).
   */
  interface Hooks {
    /** The replica's data must be copied from another replica before it may serve. */
    void syncNeeded(Replica r);

    /**
     * The catalog names this node leaseholder at an epoch this process has not acquired yet, or
     * names no leaseholder.
     */
    void leaseNeeded(Replica r);

    /** No replica of this node covers [start, end) any more. */
    void dropped(Span span);
  }

  private final String me;
  private final LayerConfig config;
  private final Hooks hooks;
  private final ConcurrentHashMap<Long, Replica> byId = new ConcurrentHashMap<>();
  private final ConcurrentSkipListMap<byte[], Replica> byStart =
      new ConcurrentSkipListMap<>(Arrays::compareUnsigned);
  private final Object topology = new Object();
  private final NodeLiveness liveness;

  ReplicaSet(String me, LayerConfig config, Hooks hooks) {
    this(me, config, hooks, new NodeLiveness());
  }

  /** {@code liveness}: the node's own liveness, which its guards serve liveness leases on. */
  ReplicaSet(String me, LayerConfig config, Hooks hooks, NodeLiveness liveness) {
    this.me = me;
    this.config = config;
    this.hooks = hooks;
    this.liveness = liveness;
  }

  /** This node's view of its own liveness, shared by the guards of all its replicas. */
  NodeLiveness liveness() {
    return liveness;
  }

  @Nullable Replica byId(long rangeId) {
    return byId.get(rangeId);
  }

  /** The replica holding {@code key}, or null if this node replicates no range holding it. */
  @Nullable Replica forKey(byte[] key) {
    Map.Entry<byte[], Replica> e = byStart.floorEntry(key);
    if (e == null) return null;
    Replica r = e.getValue();
    return r.descriptor().contains(key) ? r : null;
  }

  Collection<Replica> all() {
    return byId.values();
  }

  int size() {
    return byId.size();
  }

  // ---------------------------------------------------------------- from the change feed

  /**
   * One commit's routing events, in order. Removed ranges are detached only after the commit's
   * other events are in, so a lookup by key never finds a gap between a split's parent and its
   * children.
   */
  void apply(List<ChangeEvent> events) {
    Actions actions = new Actions();
    synchronized (topology) {
      List<Replica> gone = new ArrayList<>();
      for (ChangeEvent ev : events) {
        if (ev.kind() == ChangeEvent.Kind.REMOVE) {
          Replica r = byId.get(ev.removedRangeId());
          if (r != null && !gone.contains(r)) gone.add(r);
        } else {
          Replica r = byId.get(ev.descriptor().rangeId());
          if (r != null) gone.remove(r); // removed and put again in one commit: it stays
          upsert(ev.descriptor(), gone, actions);
        }
      }
      actions.attachByKey(byStart);
      for (Replica g : gone) detach(g);
      dropUncovered(gone);
    }
    actions.run(hooks);
  }

  /** The whole table, after a (re)load. */
  void reload(List<RangeDescriptor> table) {
    Actions actions = new Actions();
    synchronized (topology) {
      Set<Long> mine = new HashSet<>();
      for (RangeDescriptor d : table) {
        if (d.replicas().contains(me)) mine.add(d.rangeId());
      }
      List<Replica> gone = new ArrayList<>();
      for (Replica r : List.copyOf(byId.values())) {
        if (!mine.contains(r.rangeId)) gone.add(r);
      }
      for (RangeDescriptor d : table) {
        if (mine.contains(d.rangeId())) upsert(d, gone, actions);
      }
      actions.attachByKey(byStart);
      for (Replica g : gone) detach(g);
      dropUncovered(gone);
    }
    actions.run(hooks);
  }

  private void upsert(RangeDescriptor d, List<Replica> gone, Actions actions) {
    Replica r = byId.get(d.rangeId());
    boolean listed = d.replicas().contains(me);
    if (r == null) {
      if (!listed || outrun(d)) return;
      boolean synced = d.leaseEpoch() == 0 || Span.of(d).coveredBy(syncedSpans(gone, null));
      r =
          new Replica(
              me,
              d,
              new LeaseGuard(
                  me,
                  d.rangeId(),
                  d.generation(),
                  config.clock(),
                  config.maxClockOffsetMillis(),
                  liveness),
              synced);
      byId.put(r.rangeId, r);
      actions.attach.add(r); // by key at the end of the commit
      if (!synced) actions.sync.add(r);
      if (r.learn(d)) actions.lease.add(r);
      return;
    }
    if (!listed) {
      if (!gone.contains(r)) gone.add(r);
      return;
    }
    RangeDescriptor old = r.descriptor();
    if (d.generation() < old.generation()) return;
    if (!Span.of(d).sameAs(Span.of(old))) {
      // a merge widened it: the new part must be here already
      if (!Span.of(d).coveredBy(syncedSpans(gone, r.synced() ? old : null))) actions.sync.add(r);
      if (r.learn(d)) actions.lease.add(r);
      if (!Arrays.equals(old.startKey(), d.startKey())) {
        byStart.remove(old.startKey(), r);
        byStart.put(d.startKey(), r);
      }
      if (actions.sync.contains(r)) r.markUnsynced();
      return;
    }
    if (r.learn(d)) actions.lease.add(r);
  }

  /**
   * True if a replica here overlapping {@code d} has a higher generation: {@code d} is history this
   * node's own splits moved past.
   */
  private boolean outrun(RangeDescriptor d) {
    Map.Entry<byte[], Replica> first = byStart.floorEntry(d.startKey());
    if (first != null && newerOverlap(first.getValue(), d)) return true;
    Map<byte[], Replica> rest =
        d.endKey() == null
            ? byStart.tailMap(d.startKey(), false)
            : byStart.subMap(d.startKey(), false, d.endKey(), false);
    for (Replica r : rest.values()) {
      if (newerOverlap(r, d)) return true;
    }
    return false;
  }

  private static boolean newerOverlap(Replica r, RangeDescriptor d) {
    RangeDescriptor have = r.descriptor();
    return have.generation() > d.generation() && Span.of(have).overlaps(Span.of(d));
  }

  private static List<Span> syncedSpans(List<Replica> gone, @Nullable RangeDescriptor also) {
    List<Span> spans = new ArrayList<>();
    for (Replica g : gone) {
      if (g.synced()) spans.add(Span.of(g.descriptor()));
    }
    if (also != null) spans.add(Span.of(also));
    return spans;
  }

  /**
   * Drops data no replica covers any more; under the lock, so a replica attached later never loses
   * data to it.
   */
  private void dropUncovered(List<Replica> gone) {
    for (Replica g : gone) {
      Span span = Span.of(g.descriptor());
      List<Span> kept = new ArrayList<>();
      for (Replica r : byId.values()) kept.add(Span.of(r.descriptor()));
      for (Span s : span.uncovered(kept)) hooks.dropped(s);
    }
  }

  // ---------------------------------------------------------------- from this node's split

  /**
   * Replaces {@code parent} by the split's children, which take over the parent's lease at once. A
   * child the feed already brought is kept (it learns the lease); otherwise the prepared one is
   * installed. Children go in right first, so a lookup by key always finds a replica holding it.
   */
  void installSplit(
      Replica parent,
      RangeCatalog.SplitResult result,
      Replica preparedLeft,
      Replica preparedRight) {
    Actions actions = new Actions();
    synchronized (topology) {
      Lease lease = parent.lease();
      for (Replica prepared : List.of(preparedRight, preparedLeft)) {
        RangeDescriptor child = prepared == preparedLeft ? result.left() : result.right();
        Replica r = byId.get(child.rangeId());
        if (r == null) {
          r = prepared;
          r.learn(child);
          attach(r);
        } else if (r.learn(child)) {
          actions.lease.add(r);
        }
        if (lease != null) r.leaseChanged(lease);
      }
      if (byId.get(parent.rangeId) == parent) detach(parent);
    }
    actions.run(hooks);
  }

  // ---------------------------------------------------------------- helpers

  private void attach(Replica r) {
    byStart.put(r.descriptor().startKey(), r);
    byId.put(r.rangeId, r);
  }

  private void detach(Replica r) {
    byId.remove(r.rangeId, r);
    byStart.remove(r.descriptor().startKey(), r);
    r.markRemoved();
  }

  /**
   * Work collected under the lock: replicas to index by key, and hook calls made after the lock.
   */
  private static final class Actions {
    final List<Replica> attach = new ArrayList<>();
    final List<Replica> sync = new ArrayList<>();
    final List<Replica> lease = new ArrayList<>();

    /**
     * Indexes new replicas by start key, the highest start first: a replica displacing an old one
     * at the same start (a split's left child) goes in after the rest of the old one's span is
     * covered (the right child), so a lookup by key never finds a gap.
     */
    void attachByKey(ConcurrentSkipListMap<byte[], Replica> byStart) {
      attach.sort(
          (a, b) -> Arrays.compareUnsigned(b.descriptor().startKey(), a.descriptor().startKey()));
      for (Replica r : attach) {
        if (!r.removed()) byStart.put(r.descriptor().startKey(), r);
      }
    }

    void run(Hooks hooks) {
      for (Replica r : sync) hooks.syncNeeded(r);
      for (Replica r : lease) hooks.leaseNeeded(r);
    }
  }
}
