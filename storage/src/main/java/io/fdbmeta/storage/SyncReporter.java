package io.fdbmeta.storage;

import com.apple.foundationdb.Database;
import io.fdbmeta.layer.ReplicaSyncMarks;
import io.fdbmeta.layer.ReplicaSyncMarks.Mark;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Tells the store which of this node's replicas hold all their range's data ({@link
 * ReplicaSyncMarks}), so that a controller in any process commits a replica move only once the
 * copies the range depends on are complete. A synced replica is marked once per descriptor
 * generation and process incarnation.
 *
 * <p>Runs on the node's timer, one batch at a time: when a replica finished copying, after route
 * changes, and as a sweep every heartbeat interval that retries what failed or was refused (the
 * store's generation was ahead of this node's view, which the route feed soon fixes).
 */
final class SyncReporter {
  private static final System.Logger LOG = System.getLogger(SyncReporter.class.getName());

  /** Marks per transaction: each reads a descriptor, so a batch stays far below 5 s. */
  static final int BATCH = 200;

  private final String me;
  private final Database db;
  private final ReplicaSyncMarks marks;
  private final ReplicaSet replicas;
  private final ScheduledExecutorService timer;
  private final LongSupplier incarnation;

  // guarded by this, as are the replicas' marked fields
  private boolean running;
  private boolean again;
  private volatile boolean active = true;

  SyncReporter(
      String me,
      Database db,
      ReplicaSyncMarks marks,
      ReplicaSet replicas,
      ScheduledExecutorService timer,
      LongSupplier incarnation) {
    this.me = me;
    this.db = db;
    this.marks = marks;
    this.replicas = replicas;
    this.timer = timer;
    this.incarnation = incarnation;
  }

  void start(long sweepMillis) {
    timer.scheduleWithFixedDelay(this::run, 0, sweepMillis, TimeUnit.MILLISECONDS);
  }

  void stop() {
    active = false;
  }

  /** Marks what became due (a copy finished, routes changed) without waiting for the sweep. */
  void nudge() {
    if (!active) return;
    try {
      timer.execute(this::run);
    } catch (RejectedExecutionException stopping) {
      // the node is stopping: nothing left to report
    }
  }

  private void run() {
    List<Mark> due;
    long inc;
    synchronized (this) {
      if (!active) return;
      if (running) {
        again = true;
        return;
      }
      inc = incarnation.getAsLong();
      due = due(inc);
      if (due.isEmpty()) return;
      running = true;
      again = false;
    }
    marks
        .markAsync(db, me, inc, due)
        .whenComplete(
            (recorded, e) -> {
              boolean more;
              synchronized (this) {
                running = false;
                if (e == null) {
                  for (Mark m : recorded) {
                    Replica r = replicas.byId(m.rangeId());
                    if (r != null) r.marked(inc, m.generation());
                  }
                } else {
                  LOG.log(
                      System.Logger.Level.DEBUG,
                      () -> "node " + me + " could not mark synced replicas: " + Async.describe(e));
                }
                more = again || (e == null && due.size() == BATCH);
              }
              if (more) nudge();
            });
  }

  /**
   * Synced replicas not yet marked by process incarnation {@code inc} at the generation this node
   * knows, at most one batch. A walk of the replicas' own fields: a sweep of a node that replicates
   * a hundred thousand ranges, all marked, costs about a millisecond.
   */
  private List<Mark> due(long inc) {
    List<Mark> due = new ArrayList<>();
    for (Replica r : replicas.all()) {
      if (due.size() == BATCH) break;
      if (!r.synced() || r.removed()) continue;
      long generation = r.descriptor().generation();
      if (!r.isMarked(inc, generation)) due.add(new Mark(r.rangeId, generation));
    }
    return due;
  }
}
