package io.fdbmeta.storage;

import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.wire.NodeOp;
import io.fdbmeta.wire.NodeRequest;
import io.fdbmeta.wire.ReplyStatus;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/*
 * A replica that joins a range (or whose process restarted and lost its memory) copies the range's
 * data with FETCH, page by page, before it may serve or be fetched from.
 *
 * The source is the leaseholder when another node holds the lease: it stores every write before
 * replicating it, and it serves FETCH only once it knows this replica (the request's generation),
 * so each write is either already in the pages it sends or replicated to this replica afterwards.
 * Without such a leaseholder no write can be acknowledged, and any other synced replica will do. Writes replicated here
 * while the copy runs are stored as they come; a fetched value only fills keys that hold nothing,
 * not even a tombstone, since whatever replication brought is at least as new.
 */
/** Copies ranges' data from another replica with FETCH. */
final class RangeFetcher {
  static final int PAGE = 1_000;
  private static final byte[] TO_END = new byte[0];

  private final String me;
  private final DataStore store;
  private final PeerClients peers;
  private final ScheduledExecutorService timer;
  private final long requestTimeoutMillis;
  private final Runnable catchUp;
  private final Consumer<Replica> onSynced;
  private final LongSupplier ids;
  private volatile boolean stopped;

  RangeFetcher(
      String me,
      DataStore store,
      PeerClients peers,
      ScheduledExecutorService timer,
      long requestTimeoutMillis,
      Runnable catchUp,
      Consumer<Replica> onSynced,
      LongSupplier ids) {
    this.me = me;
    this.store = store;
    this.peers = peers;
    this.timer = timer;
    this.requestTimeoutMillis = requestTimeoutMillis;
    this.catchUp = catchUp;
    this.onSynced = onSynced;
    this.ids = ids;
  }

  /** Starts copying {@code r}'s data unless it is synced or already copying. */
  void start(Replica r) {
    if (r.synced() || !r.fetching.compareAndSet(false, true)) return;
    later(() -> step(r, null, 0), 0);
  }

  void stop() {
    stopped = true;
  }

  private void step(Replica r, byte @Nullable [] cursor, int attempt) {
    if (stopped || r.removed() || r.synced()) {
      r.fetching.set(false);
      return;
    }
    RangeDescriptor d = r.descriptor();
    List<String> sources = sources(d);
    if (sources.isEmpty()) {
      finish(r); // the only replica: nothing to copy from
      return;
    }
    String source = sources.get(attempt % sources.size());
    byte[] from = cursor == null || !d.contains(cursor) ? d.startKey() : cursor;
    NodeRequest req =
        NodeRequest.scan(
            ids.getAsLong(),
            NodeOp.FETCH,
            d.rangeId(),
            d.generation(),
            d.leaseEpoch(),
            from,
            TO_END,
            PAGE);
    peers
        .send(source, req, requestTimeoutMillis)
        .whenComplete(
            (reply, e) -> {
              if (e == null && reply.status() == ReplyStatus.OK) {
                byte[][] triples = reply.values(); // key, value, expiry (null: none)
                for (int i = 0; i + 2 < triples.length; i += 3) {
                  byte[] exp = triples[i + 2];
                  store.applyFetched(
                      triples[i],
                      triples[i + 1],
                      exp == null || exp.length != 8 ? 0 : ReplicatedWrite.expiryOf(exp));
                }
                if (reply.number() == 1 && triples.length >= 3) {
                  byte[] last = triples[triples.length - 3];
                  byte[] next = Arrays.copyOf(last, last.length + 1); // the key's successor
                  later(() -> step(r, next, 0), 0);
                } else {
                  finish(r);
                }
                return;
              }
              if (e == null
                  && (reply.status() == ReplyStatus.STALE_EPOCH
                      || reply.status() == ReplyStatus.WRONG_RANGE)) catchUp.run();
              later(() -> step(r, cursor, attempt + 1), Math.min(200, 5L << Math.min(attempt, 6)));
            });
  }

  /**
   * Only the leaseholder while another node holds the lease (another replica may not have stored a
   * write the leaseholder accepted before it knew this replica); otherwise any other replica.
   */
  private List<String> sources(RangeDescriptor d) {
    if (d.leaseholder() != null && !d.leaseholder().equals(me)) return List.of(d.leaseholder());
    List<String> out = new ArrayList<>();
    for (String n : d.replicas()) {
      if (!n.equals(me)) out.add(n);
    }
    return out;
  }

  private void finish(Replica r) {
    r.markSynced();
    r.fetching.set(false);
    onSynced.accept(r);
  }

  private void later(Runnable task, long delayMillis) {
    try {
      timer.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // shutting down
    }
  }
}
