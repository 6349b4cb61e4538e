package io.fdbmeta.router;

import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.wire.NodeReply;
import io.fdbmeta.wire.ReplyStatus;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/*
 * Routing. A keyed command's keys are grouped by the cached range holding them and each group is
 * sent as node requests with the routing header (range id, generation, epoch) to the range's
 * leaseholder. A redirect (WRONG_RANGE, STALE_EPOCH, NOT_LEASEHOLDER) offers the node's descriptor
 * to the route cache; the work's keys are then routed again (so a group may split in two), at once
 * if the cache moved forward, else after a backoff and from the catalog. Every unit of work has
 * maxAttempts sends; a command has requestTimeout from decode to reply.
 */
/**
 * A unit of work sent to one range's leaseholder: one send at a time, retried within the budget.
 * Subclasses say what to send and what to do with the answer. On the connection's event loop.
 */
abstract class Routed implements Upstream.Call {
  final ClientSession s;
  final int attempts;
  final CachedRange range;

  Routed(ClientSession s, CachedRange range, int attempts) {
    this.s = s;
    this.range = range;
    this.attempts = attempts;
  }

  abstract Op op();

  /** The first key this send is about (to reload the route from the catalog). */
  abstract byte[] firstKey();

  /**
   * Routes this work again from scratch, as attempt {@code nextAttempt}; {@code hint} is a freshly
   * loaded range.
   */
  abstract void again(int nextAttempt, @Nullable CachedRange hint);

  abstract void failed(UpstreamFailure f, String detail);

  abstract void answered(NodeReply reply);

  /**
   * The node refused the client's command as it was sent (REFUSED: the message is the RESP error to
   * relay); only commands passed on as they are ({@link ForwardOp}) get it.
   */
  void refused(NodeReply reply) {
    failed(
        UpstreamFailure.NODE_ERROR,
        reply.message() == null ? reply.status().name() : reply.message());
  }

  /** Whether a send that may have reached the node can be sent again safely. */
  abstract boolean idempotent();

  void send() {
    if (s.now() - op().start > s.timeoutNanos) {
      failed(UpstreamFailure.TIMEOUT, "request deadline passed after " + attempts + " attempts");
      return;
    }
    String holder = range.descriptor.leaseholder();
    if (holder == null) {
      retry(UpstreamFailure.NO_LEASEHOLDER, "range " + range.rangeId, true, true);
      return;
    }
    NodeDirectory.Node node = (NodeDirectory.Node) range.upstream;
    if (node == null || !node.id.equals(holder)) {
      node = s.svc.directory.known(holder);
      if (node == null) {
        s.svc
            .directory
            .resolve(holder)
            .whenComplete(
                (n, e) ->
                    s.loop.execute(
                        () -> {
                          if (e != null) {
                            retry(
                                UpstreamFailure.UNKNOWN_NODE,
                                holder + ": " + ClientSession.message(e),
                                true,
                                true);
                          } else {
                            range.upstream = n;
                            s.upstream.send(n, this);
                          }
                        }));
        return;
      }
      range.upstream = node;
    }
    s.upstream.send(node, this);
  }

  @Override
  public void onReply(NodeReply reply) {
    switch (reply.status()) {
      case OK, NOT_FOUND -> answered(reply);
      case REFUSED -> refused(reply);
      case WRONG_RANGE, STALE_EPOCH, NOT_LEASEHOLDER -> {
        s.metrics.redirect(reply.status());
        boolean moved = false;
        if (reply.descriptor() != null) {
          try {
            moved = s.svc.cache.offer(RangeDescriptor.decode(reply.descriptor()));
          } catch (RuntimeException e) {
            // an undecodable descriptor is no descriptor: reload from the catalog below
          }
        }
        if (!moved) {
          // Another request's redirect (or the feed) may have moved the cache past this send's
          // range
          // already: then the cache has what the node told us, and a catalog read would only
          // repeat it.
          CachedRange now = s.svc.cache.find(firstKey());
          moved = now != null && now != range && now.newerThan(range);
        }
        if (!moved && reply.status() == ReplyStatus.WRONG_RANGE)
          s.svc.cache.invalidate(range.rangeId);
        String detail =
            reply.status()
                + " from "
                + range.descriptor.leaseholder()
                + (reply.message() == null ? "" : " (" + reply.message() + ")");
        retry(UpstreamFailure.REDIRECT_BUDGET, detail, !moved, !moved);
      }
      case OVERLOADED ->
          retry(
              UpstreamFailure.OVERLOADED,
              reply.message() == null ? "" : reply.message(),
              true,
              false);
      default ->
          failed(
              UpstreamFailure.NODE_ERROR,
              reply.message() == null ? reply.status().name() : reply.message());
    }
  }

  @Override
  public void onFailure(UpstreamFailure f, String detail) {
    switch (f) {
      case CONNECT_FAILED -> retry(f, detail, true, true);
      case CONNECTION_LOST -> {
        if (idempotent()) retry(f, detail, true, true);
        else failed(f, detail);
      }
      default -> failed(f, detail);
    }
  }

  /**
   * Sends again if the budget allows, else fails with {@code exhausted}.
   *
   * @param backoff wait before sending again (nothing changed that makes an immediate retry useful)
   * @param reload read the route from the catalog rather than the cache
   */
  void retry(UpstreamFailure exhausted, String detail, boolean backoff, boolean reload) {
    // OVERLOADED says "later" (a replica restarting holds writes for seconds): only the deadline
    // bounds it; every other failure also has a count, since repeating it fast teaches nothing.
    boolean outOfAttempts =
        exhausted != UpstreamFailure.OVERLOADED && attempts + 1 >= s.svc.config.maxAttempts();
    if (outOfAttempts || s.now() - op().start > s.timeoutNanos) {
      failed(exhausted, detail + " (after " + (attempts + 1) + " attempts)");
      return;
    }
    s.metrics.retry();
    Runnable go =
        () -> {
          if (!reload) {
            again(attempts + 1, null);
            return;
          }
          s.loadRoute(
              firstKey(),
              r -> again(attempts + 1, r),
              why -> failed(UpstreamFailure.NO_ROUTE, why));
        };
    if (!backoff) {
      go.run();
      return;
    }
    long base = s.svc.config.backoffBase().toNanos();
    long delay = Math.min(s.svc.config.backoffMax().toNanos(), base << Math.min(attempts, 20));
    s.loop.schedule(go, delay, TimeUnit.NANOSECONDS);
  }
}
