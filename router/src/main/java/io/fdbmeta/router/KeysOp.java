package io.fdbmeta.router;

import io.fdbmeta.wire.Command;
import io.fdbmeta.wire.NodeOp;
import io.fdbmeta.wire.NodeReply;
import io.fdbmeta.wire.NodeRequest;
import io.fdbmeta.wire.Resp;
import io.netty.buffer.ByteBuf;
import java.util.ArrayDeque;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/*
 * GET, SET, DEL, EXISTS, MGET and MSET: the keys are grouped by the cached range holding them, and
 * each group goes to that range's leaseholder as node requests (Parts), retried and re-routed on
 * their own (see Routed); the reply is put together when the last Part is done: the values in key
 * order, a count, or the first failure.
 *
 * Fair share. A group of more than BATCH_KEYS keys goes as several Parts of at most BATCH_KEYS
 * keys, and a command has at most BATCHES_IN_FLIGHT Parts sent at once; the rest wait in the
 * command until one is done. One huge command (an MSET of 500,000 pairs) thus holds as much of a
 * node's attention as a few ordinary ones, instead of one giant request that keeps the node busy
 * while other clients' writes time out. The price: an MSET is atomic per range only up to
 * BATCH_KEYS keys of that range.
 */
/** A keyed command, split into Parts by range and into bounded batches. On the event loop. */
final class KeysOp extends Op {
  /** Most keys in one node request of a command. */
  static final int BATCH_KEYS = 1_000;

  /** Most node requests of one command in flight at once. */
  static final int BATCHES_IN_FLIGHT = 4;

  private static final int[] FIRST = {0};
  private static final byte[][] NO_VALUES = new byte[0][];

  private final ClientSession s;
  final NodeOp nodeOp;
  final byte[][] keys;
  final byte @Nullable [][] values;
  final byte @Nullable [][] got;
  private long count;
  private int outstanding;
  private int sending;
  private final ArrayDeque<Part> waiting = new ArrayDeque<>();
  private @Nullable UpstreamFailure failure;
  private String failureDetail = "";

  KeysOp(
      ClientSession s,
      Command cmd,
      long start,
      NodeOp nodeOp,
      byte[][] keys,
      byte @Nullable [][] values) {
    super(cmd, start);
    this.s = s;
    this.nodeOp = nodeOp;
    this.keys = keys;
    this.values = values;
    this.got = nodeOp == NodeOp.GET ? new byte[keys.length][] : null;
  }

  private boolean writes() {
    return nodeOp == NodeOp.SET || nodeOp == NodeOp.DEL;
  }

  @Override
  void enter(KeyGate gate) {
    gate.started(keys, writes());
  }

  @Override
  void leave(KeyGate gate) {
    gate.finished(keys, writes());
  }

  void start() {
    s.replies.enqueue(this);
    int[] all;
    if (keys.length == 1) {
      all = FIRST;
    } else {
      all = new int[keys.length];
      for (int i = 0; i < all.length; i++) all[i] = i;
    }
    outstanding = 1;
    route(all, 0, null);
    partDone();
  }

  /** Groups the keys at {@code idx} by cached range and sends each group; loads missing routes. */
  void route(int[] idx, int attempts, @Nullable CachedRange hint) {
    if (idx.length == 1) {
      byte[] k = keys[idx[0]];
      CachedRange r = hint != null && hint.contains(k) ? hint : s.svc.cache.find(k);
      if (r != null) submit(idx, r, attempts);
      else load(idx, attempts, hint != null);
      return;
    }
    CachedRange[] rs = new CachedRange[idx.length];
    int missing = 0;
    for (int j = 0; j < idx.length; j++) {
      byte[] k = keys[idx[j]];
      rs[j] = hint != null && hint.contains(k) ? hint : s.svc.cache.find(k);
      if (rs[j] == null) missing++;
    }
    boolean[] taken = new boolean[idx.length];
    for (int j = 0; j < idx.length; j++) {
      if (taken[j] || rs[j] == null) continue;
      int m = 0;
      for (int i = j; i < idx.length; i++) if (rs[i] == rs[j]) m++;
      int[] group = new int[m];
      m = 0;
      for (int i = j; i < idx.length; i++) {
        if (rs[i] == rs[j]) {
          group[m++] = idx[i];
          taken[i] = true;
        }
      }
      submit(group, rs[j], attempts);
    }
    if (missing > 0) {
      int[] rest = new int[missing];
      int m = 0;
      for (int j = 0; j < idx.length; j++) if (rs[j] == null) rest[m++] = idx[j];
      load(rest, attempts, hint != null);
    }
  }

  /** Sends the keys at {@code group}, all in {@code range}, as Parts of at most BATCH_KEYS. */
  private void submit(int[] group, CachedRange range, int attempts) {
    for (int from = 0; from < group.length; from += BATCH_KEYS) {
      int[] batch =
          group.length <= BATCH_KEYS
              ? group
              : Arrays.copyOfRange(group, from, Math.min(group.length, from + BATCH_KEYS));
      outstanding++;
      waiting.add(new Part(batch, range, attempts));
    }
    pump();
  }

  /** Sends waiting Parts while fewer than BATCHES_IN_FLIGHT are out. */
  private void pump() {
    while (sending < BATCHES_IN_FLIGHT && !waiting.isEmpty()) {
      sending++;
      waiting.poll().send();
    }
  }

  /** A sent Part is settled (answered, failed or about to be routed again): frees its place. */
  private void settled() {
    sending--;
    pump();
  }

  private void load(int[] idx, int attempts, boolean afterLoad) {
    if (afterLoad && attempts + 1 >= s.svc.config.maxAttempts()) {
      fail(UpstreamFailure.NO_ROUTE, "the catalog's range does not hold the key");
      return;
    }
    outstanding++;
    s.loadRoute(
        keys[idx[0]],
        r -> {
          route(idx, afterLoad ? attempts + 1 : attempts, r);
          partDone();
        },
        why -> {
          fail(UpstreamFailure.NO_ROUTE, why);
          partDone();
        });
  }

  private void fail(UpstreamFailure f, String detail) {
    if (failure == null) {
      failure = f;
      failureDetail = detail;
    }
  }

  /**
   * The reply's size, near enough that its buffer need not grow: a grown buffer has up to twice the
   * room it uses, and replies waiting for a slow reader hold that room (ReplyQueue bounds what they
   * hold by their bytes).
   */
  private int replyBytes() {
    if (got == null) return 16;
    long n = 16;
    for (byte[] v : got) n += 16 + (v == null ? 0 : v.length);
    return (int) Math.min(n, Integer.MAX_VALUE - 8);
  }

  private void partDone() {
    if (--outstanding > 0) return;
    ByteBuf b;
    if (failure != null) {
      s.metrics.failure(failure);
      b = s.error(failure.respError(failureDetail));
    } else {
      b = s.alloc.ioBuffer(replyBytes());
      switch (cmd) {
        case GET -> Resp.bulk(b, got[0], s.resp3());
        case MGET -> {
          Resp.arrayHeader(b, got.length);
          for (byte[] v : got) Resp.bulk(b, v, s.resp3());
        }
        case SET, MSET -> Resp.ok(b);
        default -> Resp.integer(b, count);
      }
    }
    s.replies.complete(this, b);
  }

  /** Keys of this command that one range holds, as one node request. */
  private final class Part extends Routed {
    final int[] idx;

    Part(int[] idx, CachedRange range, int attempts) {
      super(KeysOp.this.s, range, attempts);
      this.idx = idx;
    }

    @Override
    Op op() {
      return KeysOp.this;
    }

    @Override
    byte[] firstKey() {
      return keys[idx[0]];
    }

    @Override
    boolean idempotent() {
      return nodeOp == NodeOp.GET || nodeOp == NodeOp.EXISTS;
    }

    @Override
    public boolean coalescible() {
      return attempts == 0 && nodeOp == NodeOp.GET;
    }

    @Override
    public NodeRequest request(long id) {
      byte[][] ks;
      byte[][] vs;
      if (idx.length == keys.length) {
        ks = keys;
        vs = values;
      } else {
        ks = new byte[idx.length][];
        vs = values == null ? null : new byte[idx.length][];
        for (int j = 0; j < idx.length; j++) {
          ks[j] = keys[idx[j]];
          if (vs != null) vs[j] = values[idx[j]];
        }
      }
      return new NodeRequest(
          id,
          nodeOp,
          range.rangeId,
          range.generation,
          range.epoch,
          0,
          ks,
          vs == null ? NO_VALUES : vs);
    }

    @Override
    void answered(NodeReply reply) {
      if (got != null) {
        byte[][] vs = reply.values();
        if (vs == null || vs.length != idx.length) {
          failed(
              UpstreamFailure.BAD_REPLY,
              (vs == null ? 0 : vs.length) + " values for " + idx.length + " keys");
          return;
        }
        for (int j = 0; j < idx.length; j++) got[idx[j]] = vs[j];
      } else {
        count += reply.number();
      }
      settled();
      partDone();
    }

    @Override
    void again(int nextAttempt, @Nullable CachedRange hint) {
      settled();
      route(idx, nextAttempt, hint);
      partDone();
    }

    @Override
    void failed(UpstreamFailure f, String detail) {
      settled();
      fail(f, detail);
      partDone();
    }
  }
}
