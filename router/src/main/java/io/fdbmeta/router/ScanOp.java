package io.fdbmeta.router;

import io.fdbmeta.wire.Command;
import io.fdbmeta.wire.NodeOp;
import io.fdbmeta.wire.NodeReply;
import io.fdbmeta.wire.NodeRequest;
import io.fdbmeta.wire.Resp;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * RANGE: walks ranges in key order from {@code cursor} until {@code end} or {@code remaining}
 * pairs, one SCAN request (a Step) at a time to the range holding the cursor. While unanswered it
 * is a {@link KeyGate.Walk} over what it has yet to read: keys below the cursor are read already.
 * On the event loop.
 */
final class ScanOp extends Op implements KeyGate.Walk {
  private final ClientSession s;
  private final byte[] end;
  private byte[] cursor;
  private int remaining;
  private final List<byte[]> pairs = new ArrayList<>();
  private boolean finished;

  ScanOp(ClientSession s, long start, byte[] from, byte[] end, int limit) {
    super(Command.RANGE, start);
    this.s = s;
    this.cursor = from;
    this.end = end;
    this.remaining = limit;
  }

  @Override
  public byte[] from() {
    return cursor;
  }

  @Override
  public byte[] to() {
    return end;
  }

  @Override
  void enter(KeyGate gate) {
    gate.started(this);
  }

  @Override
  void leave(KeyGate gate) {
    gate.finished(this);
  }

  void start() {
    s.replies.enqueue(this);
    route(0, null);
  }

  private void route(int attempts, @Nullable CachedRange hint) {
    CachedRange r = hint != null && hint.contains(cursor) ? hint : s.svc.cache.find(cursor);
    if (r != null) {
      new Step(r, attempts).send();
      return;
    }
    if (hint != null && attempts + 1 >= s.svc.config.maxAttempts()) {
      fail(UpstreamFailure.NO_ROUTE, "the catalog's range does not hold the key");
      return;
    }
    int next = hint != null ? attempts + 1 : attempts;
    s.svc
        .cache
        .load(cursor)
        .whenComplete(
            (loaded, e) ->
                s.loop.execute(
                    () -> {
                      if (e != null) fail(UpstreamFailure.NO_ROUTE, ClientSession.message(e));
                      else route(next, loaded);
                    }));
  }

  private void fail(UpstreamFailure f, String detail) {
    s.metrics.failure(f);
    finish(s.error(f.respError(detail)));
  }

  private void succeed() {
    ByteBuf b = s.alloc.ioBuffer();
    Resp.arrayHeader(b, pairs.size());
    for (byte[] p : pairs) Resp.bulk(b, p);
    finish(b);
  }

  private void finish(ByteBuf b) {
    if (finished) {
      b.release();
      return;
    }
    finished = true;
    s.replies.complete(this, b);
  }

  /** One SCAN request of the walk, to the range holding the walk's cursor. */
  private final class Step extends Routed {
    Step(CachedRange range, int attempts) {
      super(ScanOp.this.s, range, attempts);
    }

    @Override
    Op op() {
      return ScanOp.this;
    }

    @Override
    byte[] firstKey() {
      return cursor;
    }

    @Override
    boolean idempotent() {
      return true;
    }

    @Override
    public NodeRequest request(long id) {
      // Always name the end explicitly when the range has one: a node whose range is smaller than
      // the cached one then refuses (WRONG_RANGE) rather than stopping early at its own end.
      byte[] e =
          range.end == null
              ? end
              : (end.length == 0 || Arrays.compareUnsigned(range.end, end) < 0 ? range.end : end);
      return NodeRequest.scan(
          id, NodeOp.SCAN, range.rangeId, range.generation, range.epoch, cursor, e, remaining);
    }

    @Override
    void answered(NodeReply reply) {
      byte[][] vs = reply.values();
      if (vs == null || vs.length % 2 != 0 || vs.length / 2 > remaining) {
        failed(
            UpstreamFailure.BAD_REPLY,
            "SCAN returned "
                + (vs == null ? 0 : vs.length)
                + " values for at most "
                + remaining
                + " pairs");
        return;
      }
      for (byte[] v : vs) {
        if (v == null) {
          failed(UpstreamFailure.BAD_REPLY, "SCAN returned a null key or value");
          return;
        }
        pairs.add(v);
      }
      remaining -= vs.length / 2;
      if (remaining == 0) {
        succeed();
        return;
      }
      if (reply.number() == 1) {
        if (vs.length == 0) {
          failed(UpstreamFailure.BAD_REPLY, "SCAN said more pairs follow but returned none");
          return;
        }
        byte[] last = vs[vs.length - 2];
        cursor = Arrays.copyOf(last, last.length + 1); // the smallest key after last
        route(0, null);
        return;
      }
      // This range is done up to what was asked for: the walk's end, or the range's end.
      if (range.end == null || (end.length > 0 && Arrays.compareUnsigned(range.end, end) >= 0)) {
        succeed();
        return;
      }
      cursor = range.end;
      route(0, null);
    }

    @Override
    void again(int nextAttempt, @Nullable CachedRange hint) {
      route(nextAttempt, hint);
    }

    @Override
    void failed(UpstreamFailure f, String detail) {
      fail(f, detail);
    }
  }
}
