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

/*
 * A walk over ranges in key order from a cursor key until an end key (or the keyspace's end), one
 * node request (a Step) at a time to the range holding the cursor: SCAN pages, or COUNTs for
 * DBSIZE. What the walk collects, when it stops and what it answers is its Collector's:
 *
 *   RANGE start end [LIMIT n] [WITHCURSOR]   pairs, at most n; with WITHCURSOR [next start, pairs]
 *   SCAN cursor [MATCH p] [COUNT n] [TYPE t] examines n keys (10; at most MAX_SCAN_COUNT), answers
 *                                            [cursor, matching keys]
 *   KEYS pattern                             every matching key; refused past MAX_KEYS examined
 *   DBSIZE                                   the sum of each range's leaseholder's live count
 *
 * SCAN's cursor is a key, so it stays valid across splits, merges and moves: "0" starts, and an
 * answer's cursor is the key where the next call starts (the last key examined, plus a zero byte),
 * written as the decimal digits of the number whose big-endian bytes are 0x01 then the key, so
 * clients that expect digits get digits; "0" again when the walk reached the end. Each key present
 * for the whole scan is returned exactly once, in key order; ranges changing under it do not matter
 * since the cursor names no range.
 *
 * While unanswered the op is a KeyGate.Walk over what it has yet to read: keys below the cursor are
 * read already. On the event loop.
 */
/** RANGE, SCAN, KEYS and DBSIZE: a walk over ranges in key order. */
final class ScanOp extends Op implements KeyGate.Walk {
  /** Most keys one SCAN call examines, whatever its COUNT (a COUNT is a hint in Redis too). */
  static final int MAX_SCAN_COUNT = 100_000;

  /** Most keys KEYS examines; past it KEYS is refused (use SCAN). */
  static final int MAX_KEYS = 100_000;

  /** Pairs asked of a node at once by KEYS and SCAN. */
  private static final int PAGE = 1_000;

  private final ClientSession s;
  private final byte[] end;
  private byte[] cursor;
  private final Collector collector;
  private boolean finished;

  /** RANGE. */
  ScanOp(ClientSession s, long start, byte[] from, byte[] end, int limit, boolean withCursor) {
    this(s, start, Command.RANGE, from, end, new RangePairs(limit, withCursor));
  }

  private ScanOp(
      ClientSession s, long start, Command cmd, byte[] from, byte[] end, Collector collector) {
    super(cmd, start);
    this.s = s;
    this.cursor = from;
    this.end = end;
    this.collector = collector;
  }

  /**
   * SCAN, KEYS or DBSIZE ({@code args}: the whole command, arity checked); null after answering a
   * malformed one with its error.
   */
  static @Nullable ScanOp of(ClientSession s, long start, String name, byte[][] args) {
    Object c =
        switch (name) {
          case "scan" -> ScanKeys.parse(args);
          case "keys" -> new MatchingKeys(args[1]);
          default -> new Count();
        };
    if (c instanceof String error) {
      s.metrics.clientError();
      s.replies.reply(Command.OTHER, start, s.error(error), false);
      return null;
    }
    byte[] from = c instanceof ScanKeys k ? k.from : new byte[0];
    return new ScanOp(s, start, Command.OTHER, from, new byte[0], (Collector) c);
  }

  /** What a walk collects from each page and answers. */
  private abstract static class Collector {
    /** The node op of each step: SCAN, or COUNT. */
    NodeOp op() {
      return NodeOp.SCAN;
    }

    /** Most pairs the next SCAN may return (at least 1). */
    abstract int limit();

    /** Takes one step's answer; returns a client error to answer instead, or null. */
    abstract @Nullable String take(byte[][] pairs, long number);

    /** Whether the walk stops now, though keys may follow. */
    abstract boolean full();

    /** The reply; {@code next}: the key where a continuation starts, null if the walk ended. */
    abstract void reply(ByteBuf out, byte @Nullable [] next, boolean resp3);
  }

  /** RANGE: pairs, at most {@code remaining}. */
  private static final class RangePairs extends Collector {
    private final List<byte[]> pairs = new ArrayList<>();
    private final boolean withCursor;
    private int remaining;

    RangePairs(int limit, boolean withCursor) {
      this.remaining = limit;
      this.withCursor = withCursor;
    }

    @Override
    int limit() {
      return remaining;
    }

    @Override
    @Nullable String take(byte[][] vs, long number) {
      pairs.addAll(Arrays.asList(vs));
      remaining -= vs.length / 2;
      return null;
    }

    @Override
    boolean full() {
      return remaining == 0;
    }

    @Override
    void reply(ByteBuf b, byte @Nullable [] next, boolean resp3) {
      if (withCursor) {
        Resp.arrayHeader(b, 2);
        Resp.bulk(b, next, resp3);
      }
      Resp.arrayHeader(b, pairs.size());
      for (byte[] p : pairs) Resp.bulk(b, p);
    }
  }

  /** SCAN. */
  private static final class ScanKeys extends Collector {
    final byte[] from;
    private final byte @Nullable [] match;
    private final @Nullable String type;
    private int remaining;
    private final List<byte[]> keys = new ArrayList<>();

    private ScanKeys(byte[] from, int count, byte @Nullable [] match, @Nullable String type) {
      this.from = from;
      this.remaining = count;
      this.match = match;
      this.type = type;
    }

    /** The collector, or the error text (Redis's, in Redis's order). */
    static Object parse(byte[][] args) {
      byte[] from = decodeCursor(args[1]);
      if (from == null) return "ERR invalid cursor";
      long count = 10;
      byte[] match = null;
      String type = null;
      for (int i = 2; i < args.length; i += 2) {
        String opt = RouterParser.ascii(args[i]).toLowerCase(java.util.Locale.ROOT);
        if (i + 1 >= args.length) return "ERR syntax error";
        switch (opt) {
          case "count" -> {
            Long n = parseLong(args[i + 1]);
            if (n == null) return "ERR value is not an integer or out of range";
            if (n < 1) return "ERR syntax error";
            count = n;
          }
          case "match" -> match = args[i + 1];
          case "type" -> type = RouterParser.ascii(args[i + 1]);
          default -> {
            return "ERR syntax error";
          }
        }
      }
      return new ScanKeys(from, (int) Math.min(count, MAX_SCAN_COUNT), match, type);
    }

    @Override
    int limit() {
      return Math.min(remaining, PAGE);
    }

    @Override
    @Nullable String take(byte[][] vs, long number) {
      remaining -= vs.length / 2;
      if (type != null && !type.equalsIgnoreCase("string")) return null; // every value is one
      for (int i = 0; i < vs.length; i += 2)
        if (match == null || Glob.matches(match, vs[i])) keys.add(vs[i]);
      return null;
    }

    @Override
    boolean full() {
      return remaining == 0;
    }

    @Override
    void reply(ByteBuf b, byte @Nullable [] next, boolean resp3) {
      Resp.arrayHeader(b, 2);
      Resp.bulk(b, encodeCursor(next));
      Resp.arrayHeader(b, keys.size());
      for (byte[] k : keys) Resp.bulk(b, k);
    }
  }

  /** KEYS. */
  private static final class MatchingKeys extends Collector {
    private final byte[] pattern;
    private final List<byte[]> keys = new ArrayList<>();
    private int examined;

    MatchingKeys(byte[] pattern) {
      this.pattern = pattern;
    }

    @Override
    int limit() {
      return PAGE;
    }

    @Override
    @Nullable String take(byte[][] vs, long number) {
      examined += vs.length / 2;
      if (examined > MAX_KEYS)
        return "ERR KEYS examines at most "
            + MAX_KEYS
            + " keys and the database holds more; use SCAN";
      for (int i = 0; i < vs.length; i += 2) if (Glob.matches(pattern, vs[i])) keys.add(vs[i]);
      return null;
    }

    @Override
    boolean full() {
      return false;
    }

    @Override
    void reply(ByteBuf b, byte @Nullable [] next, boolean resp3) {
      Resp.arrayHeader(b, keys.size());
      for (byte[] k : keys) Resp.bulk(b, k);
    }
  }

  /** DBSIZE. */
  private static final class Count extends Collector {
    private long total;

    @Override
    NodeOp op() {
      return NodeOp.COUNT;
    }

    @Override
    int limit() {
      return 1;
    }

    @Override
    @Nullable String take(byte[][] vs, long number) {
      total += number;
      return null;
    }

    @Override
    boolean full() {
      return false;
    }

    @Override
    void reply(ByteBuf b, byte @Nullable [] next, boolean resp3) {
      Resp.integer(b, total);
    }
  }

  /** "0" for the start (or the end: null), else the digits of 0x01 followed by the key. */
  static byte[] encodeCursor(byte @Nullable [] key) {
    if (key == null) return new byte[] {'0'};
    byte[] b = new byte[key.length + 1];
    b[0] = 1;
    System.arraycopy(key, 0, b, 1, key.length);
    return new java.math.BigInteger(1, b)
        .toString()
        .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  }

  /** The key a cursor names (empty for "0"), or null if it is not one this router gave. */
  static byte @Nullable [] decodeCursor(byte[] cursor) {
    if (cursor.length == 1 && cursor[0] == '0') return new byte[0];
    if (cursor.length == 0 || cursor.length > 30_000 || cursor[0] == '0') return null;
    for (byte c : cursor) if (c < '0' || c > '9') return null;
    byte[] b =
        new java.math.BigInteger(new String(cursor, java.nio.charset.StandardCharsets.US_ASCII))
            .toByteArray();
    int at = b[0] == 0 ? 1 : 0; // BigInteger's sign byte
    if (b.length <= at || b[at] != 1) return null;
    return Arrays.copyOfRange(b, at + 1, b.length);
  }

  private static @Nullable Long parseLong(byte[] b) {
    try {
      return Long.parseLong(RouterParser.ascii(b));
    } catch (NumberFormatException e) {
      return null;
    }
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
    s.loadRoute(cursor, loaded -> route(next, loaded), why -> fail(UpstreamFailure.NO_ROUTE, why));
  }

  private void fail(UpstreamFailure f, String detail) {
    s.metrics.failure(f);
    finish(s.error(f.respError(detail)));
  }

  private void succeed(byte @Nullable [] next) {
    ByteBuf b = s.alloc.ioBuffer();
    collector.reply(b, next, s.client.proto == 3);
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
          id,
          collector.op(),
          range.rangeId,
          range.generation,
          range.epoch,
          cursor,
          e,
          collector.op() == NodeOp.COUNT ? 0 : collector.limit());
    }

    @Override
    void answered(NodeReply reply) {
      byte[][] vs = reply.values();
      if (collector.op() == NodeOp.COUNT) {
        collector.take(vs, reply.number());
        rangeDone();
        return;
      }
      int limit = collector.limit();
      if (vs == null || vs.length % 2 != 0 || vs.length / 2 > limit) {
        failed(
            UpstreamFailure.BAD_REPLY,
            "SCAN returned "
                + (vs == null ? 0 : vs.length)
                + " values for at most "
                + limit
                + " pairs");
        return;
      }
      for (byte[] v : vs) {
        if (v == null) {
          failed(UpstreamFailure.BAD_REPLY, "SCAN returned a null key or value");
          return;
        }
      }
      if (reply.number() == 1 && vs.length == 0) {
        failed(UpstreamFailure.BAD_REPLY, "SCAN said more pairs follow but returned none");
        return;
      }
      String error = collector.take(vs, reply.number());
      if (error != null) {
        s.metrics.clientError();
        finish(s.error(error));
        return;
      }
      if (vs.length > 0) {
        byte[] last = vs[vs.length - 2];
        cursor = Arrays.copyOf(last, last.length + 1); // the smallest key after last
      }
      if (collector.full()) {
        succeed(cursor);
        return;
      }
      if (reply.number() == 1) {
        route(0, null);
        return;
      }
      rangeDone();
    }

    /** This range is done up to what was asked for: the walk's end, or the range's end. */
    private void rangeDone() {
      if (range.end == null || (end.length > 0 && Arrays.compareUnsigned(range.end, end) >= 0)) {
        succeed(null);
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
