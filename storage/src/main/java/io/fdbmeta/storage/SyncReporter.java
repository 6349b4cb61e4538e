package io.fdbmeta.storage;

import com.apple.foundationdb.Database;
import io.fdbmeta.layer.ReplicaSyncMarks;
import io.fdbmeta.layer.ReplicaSyncMarks.Mark;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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

  // only touched by the one running batch (running guards it)
  private final Map<Long, Long> markedGeneration = new HashMap<>();
  private long markedIncarnation;
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
      if (inc != markedIncarnation) {
        markedGeneration.clear(); // a new process incarnation: every mark is void
        markedIncarnation = inc;
      }
      due = due();
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
                  for (Mark m : recorded) markedGeneration.put(m.rangeId(), m.generation());
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

  /** Synced replicas not yet marked at the generation this node knows, at most one batch. */
  private List<Mark> due() {
    List<Mark> due = new ArrayList<>();
    Set<Long> held = new HashSet<>();
    for (Replica r : replicas.all()) {
      held.add(r.rangeId);
      if (!r.synced() || r.removed() || due.size() == BATCH) continue;
      long generation = r.descriptor().generation();
      Long marked = markedGeneration.get(r.rangeId);
      if (marked == null || marked != generation) due.add(new Mark(r.rangeId, generation));
    }
    markedGeneration.keySet().retainAll(held);
    return due;
  }
}
