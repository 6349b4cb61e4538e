package io.fdbmeta.layer.control;

import com.apple.foundationdb.TransactionContext;
import io.fdbmeta.layer.LayerConfig;
import io.fdbmeta.layer.LeaseManager;
import io.fdbmeta.layer.MetaException;
import io.fdbmeta.layer.NodeRecord;
import io.fdbmeta.layer.NodeRegistry;
import io.fdbmeta.layer.NodeStatus;
import io.fdbmeta.layer.OpLog;
import io.fdbmeta.layer.OpRecord;
import io.fdbmeta.layer.RangeCatalog;
import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.layer.RangeLoads;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/*
 * Every change the control loops make goes through one of these calls. The loops decide; an
 * Actions implementation either applies the decision (Applying: one fenced transaction per action,
 * see ControllerElection.fenced) or only writes it down (Recording: the dry run behind `fdbmeta
 * plan`). So the plan shows exactly what the running controller would do, from the same code.
 *
 * Applying turns the layer's refusals (a lost race, a rule such as "the node's liveness is not
 * expired yet") into `false` and a REFUSED event, so one refused action never stops a cycle. A
 * lost term is different: it throws, and the controller stops the cycle at once.
 */
/** What the control loops can do; see the comment above for the two implementations. */
interface ControllerActions {
  boolean markDead(NodeRecord node);

  boolean moveLease(RangeDescriptor range, String from, String to);

  boolean prepareMove(Move move);

  /** Phase 2 of a move; false if it was aborted (the op record says why). */
  boolean commitMove(Move move);

  /** Both phases of a split, with ids the caller chose (outside any retry loop). */
  boolean split(
      RangeDescriptor range, byte[] key, String why, String opId, long leftId, long rightId);

  boolean merge(RangeDescriptor left, RangeDescriptor right);

  void unsatisfiable(long rangeId, String node, String what, Placement.Unsatisfiable why);

  /** Applies actions in fenced transactions and reports each as an event. */
  final class Applying implements ControllerActions {
    private final TransactionContext db;
    private final LayerConfig layer;
    private final ControllerConfig config;
    private final ControllerElection election;
    private final RangeCatalog catalog;
    private final NodeRegistry registry;
    private final LeaseManager leases;
    private final OpLog ops;
    private final RangeLoads loads;
    private final Consumer<ControllerEvent> events;

    Applying(
        TransactionContext db,
        RangeCatalog catalog,
        NodeRegistry registry,
        LeaseManager leases,
        ControllerConfig config,
        ControllerElection election,
        Consumer<ControllerEvent> events) {
      this.db = db;
      this.layer = catalog.config();
      this.config = config;
      this.election = election;
      this.catalog = catalog;
      this.registry = registry;
      this.leases = leases;
      this.ops = catalog.ops();
      this.loads = new RangeLoads(catalog.keyspace());
      this.events = events;
    }

    private void emit(
        ControllerEvent.Kind kind,
        long rangeId,
        @Nullable String node,
        @Nullable String target,
        String detail) {
      events.accept(
          new ControllerEvent(kind, layer.now(), election.epoch(), rangeId, node, target, detail));
    }

    /**
     * Runs a fenced action; a refusal becomes false and a REFUSED event, a lost term is rethrown.
     */
    private <T> boolean attempt(
        String what,
        long rangeId,
        @Nullable String node,
        java.util.function.Function<com.apple.foundationdb.Transaction, CompletableFuture<T>>
            body) {
      try {
        election.fencedJoin(db, body);
        return true;
      } catch (MetaException e) {
        if (ControllerElection.isDeposed(e) || e.code() == MetaException.Code.STORE_ERROR) throw e;
        emit(ControllerEvent.Kind.REFUSED, rangeId, node, null, what + ": " + e.getMessage());
        return false;
      }
    }

    @Override
    public boolean markDead(NodeRecord node) {
      boolean ok =
          attempt(
              "mark dead",
              0,
              node.nodeId(),
              tr -> registry.markDeadAsync(tr, node.nodeId(), node.incarnation()));
      if (ok)
        emit(
            ControllerEvent.Kind.NODE_DEAD,
            0,
            node.nodeId(),
            null,
            "liveness expired at "
                + Instant.ofEpochMilli(node.livenessExpiresAt())
                + ", incarnation "
                + node.incarnation());
      return ok;
    }

    @Override
    public boolean moveLease(RangeDescriptor range, String from, String to) {
      boolean ok =
          attempt(
              "move lease",
              range.rangeId(),
              from,
              tr -> leases.acquireAsync(tr, range.rangeId(), to));
      if (ok) emit(ControllerEvent.Kind.LEASE_MOVED, range.rangeId(), from, to, "");
      return ok;
    }

    @Override
    public boolean prepareMove(Move m) {
      long now = layer.now();
      OpRecord op =
          new OpRecord(
              m.opId(),
              OpRecord.Kind.MOVE,
              OpRecord.Phase.PREPARED,
              List.of(m.rangeId()),
              List.of(m.generation()),
              null,
              List.of(),
              now,
              now,
              m.describe() + "; prepared@" + now);
      boolean ok =
          attempt(
              "prepare move",
              m.rangeId(),
              m.source(),
              tr -> {
                ops.put(tr, op);
                return CompletableFuture.completedFuture(null);
              });
      if (ok)
        emit(
            ControllerEvent.Kind.MOVE_PREPARED,
            m.rangeId(),
            m.source(),
            m.target(),
            m.reason().name());
      return ok;
    }

    @Override
    public boolean commitMove(Move m) {
      String[] abort = {null};
      boolean ok =
          attempt(
              "commit move",
              m.rangeId(),
              m.source(),
              tr ->
                  ops.getAsync(tr, m.opId())
                      .thenCompose(
                          op -> {
                            abort[0] = null;
                            if (op == null)
                              throw MetaException.of(
                                  MetaException.Code.CONFLICTING_OPERATION, "no op " + m.opId());
                            if (op.phase() != OpRecord.Phase.PREPARED) {
                              if (op.phase() == OpRecord.Phase.ABORTED) abort[0] = op.detail();
                              return CompletableFuture.completedFuture(
                                  null); // a retry after commit_unknown_result
                            }
                            CompletableFuture<Optional<NodeRecord>> target =
                                registry.getAsync(tr, m.target());
                            return catalog
                                .getAsync(tr, m.rangeId())
                                .thenCompose(
                                    range ->
                                        target.thenCompose(
                                            node -> {
                                              RangeDescriptor d = range.orElse(null);
                                              long now = layer.now();
                                              String why = whyNot(d, node.orElse(null), m);
                                              if (why != null) {
                                                abort[0] = why;
                                                ops.advance(
                                                    tr,
                                                    op,
                                                    OpRecord.Phase.ABORTED,
                                                    List.of(),
                                                    now,
                                                    op.detail() + "; aborted@" + now + ": " + why);
                                                return CompletableFuture.completedFuture(null);
                                              }
                                              // the checks above are what add and remove would
                                              // refuse, so neither throws here
                                              return catalog
                                                  .addReplicaAsync(
                                                      tr, m.rangeId(), m.target(), d.generation())
                                                  .thenCompose(
                                                      added ->
                                                          catalog.removeReplicaAsync(
                                                              tr,
                                                              m.rangeId(),
                                                              m.source(),
                                                              added.generation()))
                                                  .thenApply(
                                                      done -> {
                                                        ops.advance(
                                                            tr,
                                                            op,
                                                            OpRecord.Phase.COMMITTED,
                                                            List.of(),
                                                            now,
                                                            op.detail()
                                                                + "; committed@"
                                                                + now
                                                                + " (copy took "
                                                                + (now - op.createdAt())
                                                                + " ms)");
                                                        return null;
                                                      });
                                            }));
                          }));
      if (!ok || abort[0] != null) {
        emit(
            ControllerEvent.Kind.MOVE_ABORTED,
            m.rangeId(),
            m.source(),
            m.target(),
            abort[0] == null ? "refused" : abort[0]);
        return false;
      }
      emit(
          ControllerEvent.Kind.MOVE_COMMITTED,
          m.rangeId(),
          m.source(),
          m.target(),
          m.reason().name());
      return true;
    }

    /** Why phase 2 of a move cannot commit now, or null if it can. */
    private static @Nullable String whyNot(
        @Nullable RangeDescriptor d, @Nullable NodeRecord target, Move m) {
      if (d == null) return "range is gone (merged away)";
      if (d.generation() != m.generation())
        return "range changed since the move was prepared (generation "
            + d.generation()
            + ", prepared at "
            + m.generation()
            + ")";
      if (!d.replicas().contains(m.source())) return m.source() + " is no longer a replica";
      if (d.replicas().contains(m.target())) return m.target() + " is already a replica";
      if (m.source().equals(d.leaseholder())) return m.source() + " holds the lease";
      if (target == null || target.status() != NodeStatus.LIVE)
        return "target " + m.target() + " is " + (target == null ? "unknown" : target.status());
      return null;
    }

    @Override
    public boolean split(
        RangeDescriptor range, byte[] key, String why, String opId, long left, long right) {
      boolean prepared =
          attempt(
              "prepare split",
              range.rangeId(),
              null,
              tr ->
                  catalog.prepareSplitAsync(
                      tr, opId, range.rangeId(), key, range.generation(), left, right));
      if (!prepared) return false;
      // the abort of a split whose parent changed must commit its ABORTED record, so it is not
      // thrown out of the body
      boolean[] committed = {false};
      attempt(
          "commit split",
          range.rangeId(),
          null,
          tr ->
              catalog
                  .commitSplitAsync(tr, opId)
                  .handle(
                      (r, e) -> {
                        committed[0] = e == null;
                        if (e == null) loads.clearAsync(tr, range.rangeId());
                        return null;
                      }));
      if (committed[0])
        emit(
            ControllerEvent.Kind.SPLIT,
            range.rangeId(),
            null,
            null,
            why + "; children " + left + ", " + right);
      return committed[0];
    }

    @Override
    public boolean merge(RangeDescriptor l, RangeDescriptor r) {
      String opId = config.ids().newOpId();
      boolean ok =
          attempt(
              "merge",
              l.rangeId(),
              null,
              tr ->
                  catalog
                      .mergeAsync(tr, opId, l.rangeId(), r.rangeId())
                      .thenApply(
                          m -> {
                            loads.clearAsync(tr, l.rangeId());
                            loads.clearAsync(tr, r.rangeId());
                            return m;
                          }));
      if (ok)
        emit(
            ControllerEvent.Kind.MERGE,
            l.rangeId(),
            null,
            null,
            "merged range " + r.rangeId() + " into it");
      return ok;
    }

    @Override
    public void unsatisfiable(long rangeId, String node, String what, Placement.Unsatisfiable why) {
      emit(ControllerEvent.Kind.UNSATISFIABLE, rangeId, node, null, what + ": " + why);
    }
  }

  /** Writes decisions down instead of applying them; every action "succeeds". */
  final class Recording implements ControllerActions {
    final List<ControllerPlan.DeadNode> dead = new ArrayList<>();
    final List<ControllerPlan.LeaseMove> leaseMoves = new ArrayList<>();
    final List<ControllerPlan.ReplicaMove> moves = new ArrayList<>();
    final List<ControllerPlan.Split> splits = new ArrayList<>();
    final List<ControllerPlan.Merge> merges = new ArrayList<>();
    final List<ControllerPlan.Unsatisfiable> unsatisfiable = new ArrayList<>();

    @Override
    public boolean markDead(NodeRecord node) {
      dead.add(
          new ControllerPlan.DeadNode(node.nodeId(), node.incarnation(), node.livenessExpiresAt()));
      return true;
    }

    @Override
    public boolean moveLease(RangeDescriptor range, String from, String to) {
      leaseMoves.add(new ControllerPlan.LeaseMove(range.rangeId(), from, to));
      return true;
    }

    @Override
    public boolean prepareMove(Move m) {
      moves.add(
          new ControllerPlan.ReplicaMove(m.rangeId(), m.source(), m.target(), m.reason().name()));
      return true;
    }

    @Override
    public boolean commitMove(Move m) {
      return true;
    }

    @Override
    public boolean split(
        RangeDescriptor range, byte[] key, String why, String opId, long leftId, long rightId) {
      splits.add(new ControllerPlan.Split(range.rangeId(), key, why));
      return true;
    }

    @Override
    public boolean merge(RangeDescriptor left, RangeDescriptor right) {
      merges.add(new ControllerPlan.Merge(left.rangeId(), right.rangeId()));
      return true;
    }

    @Override
    public void unsatisfiable(long rangeId, String node, String what, Placement.Unsatisfiable why) {
      unsatisfiable.add(
          new ControllerPlan.Unsatisfiable(rangeId, node, what, why.constraint(), why.why()));
    }

    ControllerPlan plan() {
      return new ControllerPlan(
          List.copyOf(dead),
          List.copyOf(leaseMoves),
          List.copyOf(moves),
          List.copyOf(splits),
          List.copyOf(merges),
          List.copyOf(unsatisfiable));
    }
  }
}
