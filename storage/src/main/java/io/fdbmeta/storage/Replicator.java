package io.fdbmeta.storage;

import com.apple.foundationdb.tuple.ByteArrayUtil;
import io.fdbmeta.layer.FdbErrors;
import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.wire.NodeOp;
import io.fdbmeta.wire.NodeReply;
import io.fdbmeta.wire.NodeRequest;
import io.fdbmeta.wire.ReplyStatus;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/*
 * The leaseholder's side of replication: one stored write to every other replica, acknowledged to
 * the client only when all of them stored it, within a time budget.
 *
 * Each attempt builds its REPLICATE requests from this node's current view, not the one the write
 * was accepted under: after a split the keys may lie in a child range (one request per child),
 * after a view change the header must be the new one. A replica that is behind answers OVERLOADED
 * and catches up; one that is ahead answers with its descriptor, and this node catches up unless
 * that descriptor shows another leaseholder at a later epoch, which ends the attempt: this node was
 * deposed and the write is not acknowledged. A replica the current view no longer lists needs the
 * write no more. Within the budget every other failure (timeouts, closed connections) retries with
 * backoff.
 *
 * The write's sequence number is the REPLICATE's request id. Requests for one write to one target
 * are sent one at a time, so an id is never in flight twice on one connection.
 *
 * Who may move a follower's data. A follower keeps, per key, the later write of one writer process
 * (DataStore), so whoever can get a REPLICATE with a huge sequence number stored there makes the
 * follower ignore every later write to that key: acknowledged writes lost for good. So a follower
 * takes a REPLICATE only (RequestProcessor)
 *  - on a connection the sender authenticated as a peer node: HELLO with a random token, which the
 *    follower has the named node confirm (VOUCH) at the address the node registry holds for it
 *    (PeerAuth); this node's PeerClients say HELLO on every connection they open;
 *  - from the leaseholder its own view names at exactly the request's (generation, epoch): the
 *    connection's vouched node must be that leaseholder;
 *  - with a sequence number of the incarnation the leaseholder vouched with (WriteSequence's high
 *    bits), i.e. of the process the registry knows and whose lease the catalog records.
 * A stranger's REPLICATE is answered ERROR and stores nothing, so no single message from anyone but
 * the leaseholder process can move a follower's sequence for a key; and only that process issues
 * its numbers. FETCH is served on the same terms to a peer the view lists as a replica.
 *
 * What stays open until mTLS: anyone who can read or inject into a peer's TCP stream (an on-path
 * attacker, not one who can merely connect) can ride an authenticated connection; a router is
 * still any client (client SETs are not authenticated at all, so a header read from a WRONG_RANGE
 * reply still writes through the leaseholder like any client's); and a node cannot tell a router's
 * connection from a peer's except by HELLO.
 */
/** Sends stored writes to the range's other replicas. */
final class Replicator {
  private static final long FIRST_BACKOFF_MILLIS = 2;
  private static final long MAX_BACKOFF_MILLIS = 50;

  private final String me;
  private final ReplicaSet replicas;
  private final PeerClients peers;
  private final ScheduledExecutorService timer;
  private final long timeoutMillis;
  private final Runnable catchUp;
  private final java.util.function.LongSupplier now;

  Replicator(
      String me,
      ReplicaSet replicas,
      PeerClients peers,
      ScheduledExecutorService timer,
      long timeoutMillis,
      Runnable catchUp) {
    this(me, replicas, peers, timer, timeoutMillis, catchUp, System::currentTimeMillis);
  }

  /** {@code now}: the layer clock, for how long a range's writes have failed to replicate. */
  Replicator(
      String me,
      ReplicaSet replicas,
      PeerClients peers,
      ScheduledExecutorService timer,
      long timeoutMillis,
      Runnable catchUp,
      java.util.function.LongSupplier now) {
    this.now = now;
    this.me = me;
    this.replicas = replicas;
    this.peers = peers;
    this.timer = timer;
    this.timeoutMillis = timeoutMillis;
    this.catchUp = catchUp;
  }

  /**
   * Completes when every target stored {@code write}; fails with TimeoutException when the budget
   * runs out, or IllegalStateException when this node no longer holds the lease of the keys. The
   * outcome is recorded on the ranges of the write's keys (Replica#replicated, #replicationFailed
   * on a timeout), so that a leaseholder cut off from its replicas gives its lease up
   * (LeaseKeeper).
   */
  CompletableFuture<Void> replicate(ReplicatedWrite write, List<String> targets) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    CompletableFuture<?>[] all = new CompletableFuture<?>[targets.size()];
    for (int i = 0; i < all.length; i++)
      all[i] = toTarget(targets.get(i), write, deadline, 0, "no attempt yet");
    CompletableFuture<Void> done = CompletableFuture.allOf(all);
    done.whenComplete(
        (x, e) -> {
          if (e != null && !(FdbErrors.cause(e) instanceof TimeoutException)) return;
          java.util.Set<Replica> ranges = new java.util.HashSet<>();
          for (byte[] k : write.keys()) {
            Replica r = replicas.forKey(k);
            if (r != null) ranges.add(r);
          }
          long at = now.getAsLong();
          for (Replica r : ranges) {
            if (e == null) r.replicated();
            else r.replicationFailed(at);
          }
        });
    return done;
  }

  private CompletableFuture<Void> toTarget(
      String target, ReplicatedWrite w, long deadline, int attempt, String last) {
    long remaining = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
    if (remaining <= 0) {
      return CompletableFuture.failedFuture(
          new TimeoutException(
              "replica "
                  + target
                  + " did not store the write within "
                  + timeoutMillis
                  + " ms ("
                  + last
                  + ")"));
    }
    List<NodeRequest> requests;
    try {
      requests = requestsFor(target, w);
    } catch (IllegalStateException e) {
      return CompletableFuture.failedFuture(e);
    }
    return sendAll(target, requests, 0, remaining)
        .thenCompose(
            outcome -> {
              if (outcome.isEmpty()) return CompletableFuture.completedFuture(null);
              if (outcome.startsWith("!"))
                return CompletableFuture.failedFuture(
                    new IllegalStateException(outcome.substring(1)));
              long backoff =
                  Math.min(MAX_BACKOFF_MILLIS, FIRST_BACKOFF_MILLIS << Math.min(attempt, 10));
              return Async.after(
                  timer, backoff, () -> toTarget(target, w, deadline, attempt + 1, outcome));
            });
  }

  /**
   * The REPLICATE requests for {@code target}, one per range of this node's current view that holds
   * keys of the write.
   */
  private List<NodeRequest> requestsFor(String target, ReplicatedWrite w) {
    Map<Replica, List<Integer>> groups = new LinkedHashMap<>();
    for (int i = 0; i < w.keys().length; i++) {
      Replica r = replicas.forKey(w.keys()[i]);
      if (r == null)
        throw new IllegalStateException(
            "key "
                + ByteArrayUtil.printable(w.keys()[i])
                + " is no longer in a range of node "
                + me);
      groups.computeIfAbsent(r, x -> new ArrayList<>()).add(i);
    }
    List<NodeRequest> out = new ArrayList<>(groups.size());
    for (Map.Entry<Replica, List<Integer>> g : groups.entrySet()) {
      RangeDescriptor d = g.getKey().descriptor();
      if (!me.equals(d.leaseholder()))
        throw new IllegalStateException(
            "node "
                + me
                + " no longer holds the lease of range "
                + d.rangeId()
                + " ("
                + d.leaseholder()
                + " does)");
      if (!d.replicas().contains(target)) continue;
      List<Integer> idx = g.getValue();
      byte[][] keys = new byte[idx.size()][];
      byte[][] values = new byte[idx.size()][];
      long[] exp = w.expiries();
      for (int j = 0; j < idx.size(); j++) {
        keys[j] = w.keys()[idx.get(j)];
        byte[] v = w.values()[idx.get(j)];
        values[j] = exp == null || v == null ? v : ReplicatedWrite.withExpiry(v, exp[idx.get(j)]);
      }
      out.add(
          new NodeRequest(
              w.seq(),
              NodeOp.REPLICATE,
              d.rangeId(),
              d.generation(),
              d.leaseEpoch(),
              exp == null ? 0 : 1,
              keys,
              values));
    }
    return out;
  }

  /**
   * Sends the requests one after another. Completes with "" when all were stored, "!reason" when
   * the write must fail now, or another reason to retry.
   */
  private CompletableFuture<String> sendAll(
      String target, List<NodeRequest> requests, int i, long timeout) {
    if (i == requests.size()) return CompletableFuture.completedFuture("");
    NodeRequest req = requests.get(i);
    return peers
        .send(target, req, timeout)
        .handle(
            (reply, e) -> {
              if (e != null) return CompletableFuture.completedFuture(Async.describe(e));
              if (reply.status() == ReplyStatus.OK)
                return sendAll(target, requests, i + 1, timeout);
              return CompletableFuture.completedFuture(verdict(target, req, reply));
            })
        .thenCompose(f -> f);
  }

  private String verdict(String target, NodeRequest req, NodeReply reply) {
    String why = target + " answered " + reply.status() + ": " + reply.message();
    switch (reply.status()) {
      case ERROR:
        return "!" + why;
      case STALE_EPOCH:
      case WRONG_RANGE:
      case NOT_LEASEHOLDER:
        if (reply.descriptor() != null) {
          RangeDescriptor theirs = RangeDescriptor.decode(reply.descriptor());
          if (theirs.leaseEpoch() > req.epoch()
              && !me.equals(theirs.leaseholder())
              && theirs.contains(req.keys()[0])) {
            return "!"
                + why
                + "; range "
                + theirs.rangeId()
                + " is leased to "
                + theirs.leaseholder()
                + " at epoch "
                + theirs.leaseEpoch();
          }
        }
        catchUp.run();
        return why;
      default:
        return why;
    }
  }
}
