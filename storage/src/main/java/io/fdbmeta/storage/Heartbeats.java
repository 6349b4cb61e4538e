package io.fdbmeta.storage;

import com.apple.foundationdb.Database;
import io.fdbmeta.layer.MetaException;
import io.fdbmeta.layer.NodeRecord;
import io.fdbmeta.layer.NodeRegistry;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * Renews this node's liveness with its load: request rate since the last heartbeat, bytes stored,
 * ranges replicated. Every range lease of the node rides on this liveness, so this one write per
 * interval is the node's whole lease upkeep: each committed heartbeat is handed to {@link
 * Source#alive}, which extends what the node's guards serve on. A heartbeat rejected because the
 * node was marked DEAD makes it register again (a new incarnation; its old leases then lapse and
 * are acquired again); one rejected because another process registered the same node id is logged,
 * since this process must stop.
 */
final class Heartbeats {
  private static final System.Logger LOG = System.getLogger(Heartbeats.class.getName());

  /** What the node reports and how it rejoins. */
  interface Source {
    long incarnation();

    /** A heartbeat of this process committed this record: the node's liveness is extended. */
    void alive(NodeRecord committed);

    long requests();

    long bytes();

    int ranges();

    /** Registers again with a fresh process token after being marked DEAD. */
    void reRegister();
  }

  private final Database db;
  private final NodeRegistry registry;
  private final String me;
  private final NodeRecord.Capacity capacity;
  private final Source source;
  private final ScheduledExecutorService timer;
  private final LongSupplier nanoTime;
  private final AtomicBoolean inFlight = new AtomicBoolean();
  private volatile boolean active = true;
  private long lastRequests;
  private long lastNanos;

  Heartbeats(
      Database db,
      NodeRegistry registry,
      String me,
      NodeRecord.Capacity capacity,
      Source source,
      ScheduledExecutorService timer,
      LongSupplier nanoTime) {
    this.db = db;
    this.registry = registry;
    this.me = me;
    this.capacity = capacity;
    this.source = source;
    this.timer = timer;
    this.nanoTime = nanoTime;
    this.lastNanos = nanoTime.getAsLong();
  }

  void start(long intervalMillis) {
    timer.scheduleWithFixedDelay(this::beat, intervalMillis, intervalMillis, TimeUnit.MILLISECONDS);
  }

  void stop() {
    active = false;
  }

  private void beat() {
    if (!active || !inFlight.compareAndSet(false, true)) return;
    NodeRegistry.Heartbeat hb;
    try {
      hb = new NodeRegistry.Heartbeat(me, source.incarnation(), load(), capacity);
    } catch (RuntimeException e) {
      inFlight.set(false);
      return;
    }
    registry
        .heartbeatAsync(db, hb)
        .whenComplete(
            (rec, e) -> {
              inFlight.set(false);
              if (e == null) {
                source.alive(rec);
                return;
              }
              if (!active) return;
              MetaException.Code code = LeaseKeeper.code(e);
              if (code == MetaException.Code.NOT_ALLOWED) {
                LOG.log(
                    System.Logger.Level.WARNING,
                    "node " + me + " was marked dead; registering again: " + Async.describe(e));
                source.reRegister();
              } else if (code == MetaException.Code.STALE_GENERATION) {
                LOG.log(
                    System.Logger.Level.ERROR,
                    "node " + me + " was replaced by another process: " + Async.describe(e));
              } else {
                LOG.log(
                    System.Logger.Level.WARNING,
                    "heartbeat of node " + me + " failed: " + Async.describe(e));
              }
            });
  }

  private synchronized NodeRecord.Load load() {
    long now = nanoTime.getAsLong();
    long requests = source.requests();
    double seconds = Math.max(1e-3, (now - lastNanos) / 1e9);
    double rate = (requests - lastRequests) / seconds;
    lastRequests = requests;
    lastNanos = now;
    return new NodeRecord.Load(source.ranges(), rate, source.bytes(), 0);
  }
}
