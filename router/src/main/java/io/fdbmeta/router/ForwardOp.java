package io.fdbmeta.router;

import io.fdbmeta.wire.Command;
import io.fdbmeta.wire.NodeOp;
import io.fdbmeta.wire.NodeReply;
import io.fdbmeta.wire.NodeRequest;
import io.fdbmeta.wire.RespRequest;
import io.netty.buffer.ByteBuf;
import org.jspecify.annotations.Nullable;

/*
 * A command the router knows only by its key positions (CommandTable routes SINGLE_KEY and
 * SINGLE_RANGE): it goes as it is, as one node COMMAND request, to the leaseholder of the range
 * holding its first key, which either serves it (and sends the RESP reply to relay) or refuses it
 * (REFUSED with the RESP error text: Redis's "unknown command" for a command it does not serve).
 * An atomic command on several keys goes only if every key lies in that range; else it is answered
 * -CROSSRANGE without being sent, as Redis Cluster answers -CROSSSLOT. Redirects and retries are
 * Routed's; a write is not sent again after a lost connection (it may have been applied).
 */
/** A keyed command passed on as it is to one range's leaseholder. On the event loop. */
final class ForwardOp extends Op {
  private static final byte[][] NO_VALUES = new byte[0][];

  private final ClientSession s;
  private final ClientState client;
  private final RespRequest.Forward f;

  ForwardOp(ClientSession s, ClientState client, RespRequest.Forward f, long start) {
    super(Command.OTHER, start);
    this.s = s;
    this.client = client;
    this.f = f;
  }

  @Override
  void enter(KeyGate gate) {
    gate.started(f.keys(), f.writes());
  }

  @Override
  void leave(KeyGate gate) {
    gate.finished(f.keys(), f.writes());
  }

  void start() {
    s.replies.enqueue(this);
    route(0, null);
  }

  private void route(int attempts, @Nullable CachedRange hint) {
    byte[] first = f.keys()[0];
    CachedRange r = hint != null && hint.contains(first) ? hint : s.svc.cache.find(first);
    if (r == null) {
      if (hint != null && attempts + 1 >= s.svc.config.maxAttempts()) {
        fail(UpstreamFailure.NO_ROUTE, "the catalog's range does not hold the key");
        return;
      }
      int next = hint != null ? attempts + 1 : attempts;
      s.loadRoute(first, loaded -> route(next, loaded), why -> fail(UpstreamFailure.NO_ROUTE, why));
      return;
    }
    for (byte[] k : f.keys()) {
      if (!r.contains(k)) {
        s.metrics.clientError();
        s.replies.complete(this, s.error(RespErrors.CROSSRANGE));
        return;
      }
    }
    new Send(r, attempts).send();
  }

  private void fail(UpstreamFailure failure, String detail) {
    s.metrics.failure(failure);
    s.replies.complete(this, s.error(failure.respError(detail)));
  }

  private final class Send extends Routed {
    Send(CachedRange range, int attempts) {
      super(ForwardOp.this.s, range, attempts);
    }

    @Override
    Op op() {
      return ForwardOp.this;
    }

    @Override
    byte[] firstKey() {
      return f.keys()[0];
    }

    @Override
    boolean idempotent() {
      return !f.writes();
    }

    @Override
    public NodeRequest request(long id) {
      return new NodeRequest(
          id,
          NodeOp.COMMAND,
          range.rangeId,
          range.generation,
          range.epoch,
          client.proto,
          f.args(),
          NO_VALUES);
    }

    @Override
    void again(int nextAttempt, @Nullable CachedRange hint) {
      route(nextAttempt, hint);
    }

    @Override
    void failed(UpstreamFailure failure, String detail) {
      fail(failure, detail);
    }

    @Override
    void refused(NodeReply reply) {
      s.metrics.clientError();
      String m = reply.message();
      s.replies.complete(ForwardOp.this, s.error(m == null ? "ERR refused" : m));
    }

    @Override
    void answered(NodeReply reply) {
      byte[][] vs = reply.values();
      if (vs == null || vs.length != 1 || vs[0] == null) {
        fail(UpstreamFailure.BAD_REPLY, "a COMMAND reply needs one RESP value");
        return;
      }
      ByteBuf b = s.alloc.ioBuffer(vs[0].length);
      b.writeBytes(vs[0]);
      s.replies.complete(ForwardOp.this, b);
    }
  }
}
