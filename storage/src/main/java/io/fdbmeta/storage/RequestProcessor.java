package io.fdbmeta.storage;

import com.apple.foundationdb.tuple.ByteArrayUtil;
import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.wire.NodeCodec;
import io.fdbmeta.wire.NodeOp;
import io.fdbmeta.wire.NodeReply;
import io.fdbmeta.wire.NodeRequest;
import io.fdbmeta.wire.ReplyStatus;
import io.fdbmeta.wire.RespParser;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Lock;
import org.jspecify.annotations.Nullable;

/*
 * Every node protocol request goes through here, from a router, another node, or this node's own
 * RESP port.
 *
 * Client requests (GET, SET, DEL, EXISTS, SCAN) pass the range's LeaseGuard with their routing
 * header and must keep every key inside the range. What a refusal says:
 *  - WRONG_RANGE: this node has no replica of the named range (split, merged, never here) or a key
 *    lies outside it; carries the descriptor of the range that holds the (first offending) key as
 *    this node knows it.
 *  - STALE_EPOCH: the header is older than this node's descriptor; carries that descriptor.
 *  - NOT_LEASEHOLDER: another node (or none) holds the lease; carries the descriptor naming it.
 *  - OVERLOADED: retry later, nothing to learn: this node is behind the header (it catches up at
 *    once), its lease is being renewed or handed over, its replica is still fetching data, or a
 *    write could not be replicated in time.
 *  - ERROR: the request itself is wrong.
 *
 * Writes: the leaseholder stores the write, then replicates it to every other replica of the range
 * and acknowledges only when all have stored it. A write that is not acknowledged (OVERLOADED) may
 * or may not be visible later; an acknowledged one is on every replica.
 *
 * Node-to-node requests come only on connections a peer authenticated with HELLO (PeerAuth; the
 * session travels with each request). REPLICATE is taken only at exactly the (generation, epoch)
 * this node knows for the range, from the leaseholder it names, on that leaseholder's connection
 * and with a sequence number of the incarnation it was vouched for, so a deposed leaseholder gets
 * no acknowledgements once a replica learned the new epoch, and nobody else can store anything
 * here (see Replicator's header); a newer header makes this node catch up and answer OVERLOADED,
 * and the sender retries. FETCH is served by a synced replica at the generation the fetching
 * replica names, to a peer that view lists as a replica, so the source already sends it every
 * write it did not copy, and no one else reads a range's data through it.
 */
/** Checks and executes node protocol requests against this node's replicas and data. */
final class RequestProcessor {
  static final int DEFAULT_SCAN_LIMIT = 1_000;
  static final int MAX_SCAN_LIMIT = 10_000;
  private static final byte[][] NO_VALUES = new byte[0][];

  /** What the processor needs from the rest of the node. */
  interface Environment {
    /** A request showed this node is behind the catalog: refresh the route table soon. */
    void catchUp();

    /** The descriptor of the range holding {@code key} in the node's route table, or null. */
    @Nullable RangeDescriptor routeOf(byte[] key);

    /** Replicates a stored write to {@code targets}; completes when every one has stored it. */
    CompletableFuture<Void> replicate(ReplicatedWrite write, List<String> targets);

    /** The replica's lease is expired or about to: renew or acquire it now. */
    void leaseAttention(Replica r);

    /**
     * Asks {@code node} at its registered address whether it issued {@code token} on a connection
     * to this node; completes with its incarnation, or 0 if it did not. By default no peer vouches:
     * a processor without peers.
     */
    default CompletableFuture<Long> vouch(String node, byte[] token) {
      return CompletableFuture.completedFuture(0L);
    }
  }

  private final String me;
  private final PeerAuth auth;
  private final int maxReplyBytes;
  private final ReplicaSet replicas;
  private final DataStore store;
  private final Environment env;
  private final Clock clock;
  private final AtomicLong requests = new AtomicLong();
  private volatile @Nullable WriteSequence sequence;
  private volatile @Nullable String closedReason = "node is starting";

  /** A processor whose node issues no peer tokens of its own. */
  RequestProcessor(String me, ReplicaSet replicas, DataStore store, Environment env, Clock clock) {
    this(me, new PeerAuth(), NodeCodec.DEFAULT_MAX_FRAME_BYTES, replicas, store, env, clock);
  }

  /**
   * @param maxReplyBytes the largest reply payload this node builds (its frame limit); a request
   *     whose reply would be larger fails with ERROR, and a SCAN or FETCH page ends early
   */
  RequestProcessor(
      String me,
      PeerAuth auth,
      int maxReplyBytes,
      ReplicaSet replicas,
      DataStore store,
      Environment env,
      Clock clock) {
    this.me = me;
    this.auth = auth;
    this.maxReplyBytes = maxReplyBytes;
    this.replicas = replicas;
    this.store = store;
    this.env = env;
    this.clock = clock;
  }

  /** Starts serving, with the write sequence of this node's registered incarnation. */
  void open(WriteSequence seq) {
    this.sequence = seq;
    this.closedReason = null;
  }

  /** Answers OVERLOADED with {@code reason} from now on (shutting down). */
  void refuse(String reason) {
    this.closedReason = reason;
  }

  /** Requests handled so far. */
  long requests() {
    return requests.get();
  }

  /**
   * Handles one request of a connection no peer authenticated; see {@link #handle(NodeRequest,
   * PeerAuth.Session)}.
   */
  CompletableFuture<NodeReply> handle(NodeRequest req) {
    return handle(req, null);
  }

  /**
   * Handles one request that came on a connection with {@code session} (null: one that cannot
   * authenticate, such as this node's RESP port); the future never completes exceptionally.
   */
  CompletableFuture<NodeReply> handle(NodeRequest req, PeerAuth.@Nullable Session session) {
    requests.incrementAndGet();
    try {
      if (req.op() == NodeOp.PING) return done(NodeReply.ok(req.id(), 0));
      String closed = closedReason;
      if (closed != null) return done(NodeReply.failure(req.id(), ReplyStatus.OVERLOADED, closed));
      String bad = validate(req);
      if (bad != null)
        return done(NodeReply.failure(req.id(), ReplyStatus.ERROR, req.op() + ": " + bad));
      switch (req.op()) {
        case GET:
        case EXISTS:
        case SCAN:
        case COUNT:
          return done(read(req));
        case SET:
        case DEL:
          return write(req);
        case REPLICATE:
          return done(replicate(req, session));
        case FETCH:
          return done(fetch(req, session));
        case HELLO:
          if (session != null && !session.mayActAsPeer()) return done(notANode(req, session));
          return hello(req, session);
        case VOUCH:
          if (session != null && !session.mayActAsPeer()) return done(notANode(req, session));
          return done(vouch(req));
        case COMMAND:
          return command(req);
        default:
          return done(NodeReply.failure(req.id(), ReplyStatus.ERROR, "unsupported op " + req.op()));
      }
    } catch (RuntimeException e) {
      return done(
          NodeReply.failure(req.id(), ReplyStatus.ERROR, "internal error: " + Async.describe(e)));
    }
  }

  private static @Nullable String validate(NodeRequest req) {
    int keys = req.keys().length;
    switch (req.op()) {
      case GET:
      case EXISTS:
      case DEL:
        if (keys == 0) return "needs at least one key";
        if (req.values().length != 0) return "takes no values";
        return null;
      case SET:
        if (keys == 0) return "needs at least one key";
        if (req.values().length != keys) return "needs one value per key";
        for (byte[] v : req.values()) {
          if (v == null) return "values must not be null";
        }
        return null;
      case REPLICATE:
        if (keys == 0) return "needs at least one key";
        if (req.values().length != keys) return "needs one value (or null) per key";
        if (req.limit() > 1) return "limit must be 0 or 1 (values carry their expiry)";
        if (req.limit() == 1)
          for (byte[] v : req.values())
            if (v != null && v.length < 8) return "a value with its expiry needs 8 bytes or more";
        return null;
      case HELLO:
        if (keys != 2 || req.keys()[1].length != 16) return "needs a node id and a 16-byte token";
        return null;
      case VOUCH:
        if (keys != 2) return "needs a token and a node id";
        return null;
      case COMMAND:
        if (keys < 2) return "needs the command, its name first";
        if (req.values().length != 0) return "takes no values";
        return null;
      case SCAN:
      case COUNT:
      case FETCH:
        if (keys != 2) return "needs a start and an end key (empty end: the range's end)";
        if (req.keys()[1].length > 0 && Arrays.compareUnsigned(req.keys()[0], req.keys()[1]) >= 0)
          return "start must be before end";
        return null;
      default:
        return null;
    }
  }

  // ---------------------------------------------------------------- client requests

  private NodeReply read(NodeRequest req) {
    Replica r = replicas.byId(req.rangeId());
    NodeReply refusal = fence(req, r, req.keys());
    if (refusal != null) return refusal;
    byte[][] keys = req.keys();
    long now = clock.millis();
    switch (req.op()) {
      case GET:
        {
          byte[][] values = new byte[keys.length][];
          long found = 0;
          long bytes = NodeCodec.EMPTY_REPLY_BYTES;
          for (int i = 0; i < keys.length; i++) {
            values[i] = store.get(keys[i], now);
            bytes += NodeCodec.valueBytes(values[i]);
            if (values[i] != null) found++;
          }
          if (bytes > maxReplyBytes) return tooLarge(req, bytes);
          return NodeReply.values(req.id(), found, values);
        }
      case EXISTS:
        {
          long n = 0;
          for (byte[] k : keys) {
            if (store.exists(k, now)) n++;
          }
          return NodeReply.ok(req.id(), n);
        }
      case COUNT:
        {
          byte[] end = req.keys()[1].length == 0 ? r.descriptor().endKey() : req.keys()[1];
          return NodeReply.ok(req.id(), store.count(req.keys()[0], end, now));
        }
      default:
        return scan(req, r.descriptor());
    }
  }

  private NodeReply scan(NodeRequest req, RangeDescriptor d) {
    byte[] start = req.keys()[0];
    byte[] end = req.keys()[1].length == 0 ? d.endKey() : req.keys()[1];
    return page(req, start, end);
  }

  private CompletableFuture<NodeReply> write(NodeRequest req) {
    Replica r = replicas.byId(req.rangeId());
    WriteSequence seq = sequence;
    if (seq == null)
      return done(NodeReply.failure(req.id(), ReplyStatus.OVERLOADED, "node is starting"));
    ReplicatedWrite w;
    List<String> targets;
    DataStore.Applied applied;
    Lock lock = r == null ? null : r.readLock();
    if (lock != null) lock.lock();
    try {
      NodeReply refusal = fence(req, r, req.keys());
      if (refusal == null) refusal = handingOver(req, r);
      if (refusal != null) return done(refusal);
      byte[][] values = req.op() == NodeOp.SET ? req.values() : new byte[req.keys().length][];
      targets = new ArrayList<>(r.descriptor().replicas());
      targets.remove(me);
      applied = store.applyAsLeader(me, seq, req.keys(), values, clock.millis());
      r.writeStarted();
      w = new ReplicatedWrite(applied.seq(), req.keys(), values);
    } finally {
      if (lock != null) lock.unlock();
    }
    if (targets.isEmpty()) {
      r.writeEnded();
      return done(NodeReply.ok(req.id(), applied.count()));
    }
    return env.replicate(w, targets)
        .handle(
            (v, e) -> {
              r.writeEnded();
              if (e == null) return NodeReply.ok(req.id(), applied.count());
              return NodeReply.failure(
                  req.id(), ReplyStatus.OVERLOADED, "write not acknowledged: " + Async.describe(e));
            });
  }

  /** OVERLOADED while {@code r}'s lease is being handed over (writes are blocked), else null. */
  private static @Nullable NodeReply handingOver(NodeRequest req, Replica r) {
    if (!r.writesBlocked()) return null;
    return NodeReply.failure(
        req.id(),
        ReplyStatus.OVERLOADED,
        "lease of range " + r.rangeId + " is being handed over; retry");
  }

  /**
   * The routing-header and key check of a client request; null means serve it. Holds no lock of its
   * own; writes call it under the replica's read lock.
   */
  private @Nullable NodeReply fence(NodeRequest req, @Nullable Replica r, byte[][] keys) {
    byte[] firstKey = keys[0];
    if (r == null || r.removed()) return unknownRange(req, firstKey);
    RangeDescriptor d = r.descriptor();
    switch (r.guard.check(req.rangeId(), req.generation(), req.epoch())) {
      case SERVE:
        break;
      case STALE_REQUEST:
        return redirect(
            req,
            ReplyStatus.STALE_EPOCH,
            d,
            "request for range "
                + req.rangeId()
                + " at generation "
                + req.generation()
                + " epoch "
                + req.epoch()
                + " is older than this node's generation "
                + d.generation()
                + " epoch "
                + d.leaseEpoch());
      case NODE_BEHIND:
        env.catchUp();
        return behind(req);
      case NOT_LEASEHOLDER:
        if (me.equals(d.leaseholder()))
          return overloaded(req, "lease of range " + r.rangeId + " is being handed over; retry");
        return redirect(
            req,
            ReplyStatus.NOT_LEASEHOLDER,
            d,
            "node "
                + me
                + " does not hold the lease of range "
                + r.rangeId
                + (d.leaseholder() == null
                    ? "; it has no leaseholder right now"
                    : "; " + d.leaseholder() + " does"));
      case LEASE_EXPIRED:
        env.leaseAttention(r);
        return overloaded(req, "lease of range " + r.rangeId + " is being renewed; retry");
      default:
        return redirect(
            req,
            ReplyStatus.WRONG_RANGE,
            d,
            "request names range " + req.rangeId() + ", this replica is range " + r.rangeId);
    }
    if (!r.synced())
      return overloaded(req, "replica of range " + r.rangeId + " is still copying its data; retry");
    if (req.op() == NodeOp.SCAN || req.op() == NodeOp.COUNT) {
      byte[] end = req.keys()[1];
      if (!d.contains(firstKey)) return outside(req, firstKey, d);
      if (end.length > 0 && Span.compareEnds(end, d.endKey()) > 0) {
        return redirect(
            req,
            ReplyStatus.WRONG_RANGE,
            d,
            "scan end "
                + ByteArrayUtil.printable(end)
                + " is past the end of range "
                + d.rangeId()
                + " "
                + printableBounds(d));
      }
      return null;
    }
    for (byte[] k : keys) {
      if (!d.contains(k)) return outside(req, k, d);
    }
    return null;
  }

  /**
   * A client command passed on as it is (COMMAND): a string command of StringCommands on the key
   * args[1], at this node as the key's leaseholder. A read is answered from the store; a write runs
   * under the store's leaseholder lock and is replicated as the value and expiry it produced, like
   * SET, and answered once every replica stored it. A write that could not be replicated is
   * answered ERROR unless sending it again is harmless (SET without NX/XX/GET, SETEX, PSETEX):
   * OVERLOADED would make the router send an INCR twice.
   */
  private CompletableFuture<NodeReply> command(NodeRequest req) {
    byte[][] args = req.keys();
    StringCommands.Spec spec = StringCommands.find(args[0]);
    if (spec == null)
      return done(
          NodeReply.failure(req.id(), ReplyStatus.REFUSED, RespParser.unknownCommand(args)));
    if (!spec.arityFits(args.length))
      return done(
          NodeReply.failure(req.id(), ReplyStatus.REFUSED, RespParser.wrongArity(spec.name())));
    byte[][] key = {args[1]};
    boolean resp3 = req.limit() == 3;
    long maxValue = maxReplyBytes - 1024L;
    Replica r = replicas.byId(req.rangeId());
    if (!spec.writes()) {
      NodeReply refusal = fence(req, r, key);
      if (refusal != null) return done(refusal);
      long now = clock.millis();
      StringCommands.Execution ex = new StringCommands.Execution(spec, args, now, resp3, maxValue);
      DataStore.Entry e = store.live(args[1], now);
      ex.apply(e == null ? null : e.value(), e == null ? 0 : e.expiresAt());
      return done(commandReply(req, ex));
    }
    WriteSequence seq = sequence;
    if (seq == null)
      return done(NodeReply.failure(req.id(), ReplyStatus.OVERLOADED, "node is starting"));
    StringCommands.Execution ex;
    ReplicatedWrite w;
    List<String> targets;
    Lock lock = r == null ? null : r.readLock();
    if (lock != null) lock.lock();
    try {
      NodeReply refusal = fence(req, r, key);
      if (refusal == null) refusal = handingOver(req, r);
      if (refusal != null) return done(refusal);
      long now = clock.millis();
      ex = new StringCommands.Execution(spec, args, now, resp3, maxValue);
      long written = store.updateAsLeader(me, seq, args[1], now, ex);
      if (written < 0) return done(commandReply(req, ex));
      DataStore.Change c = ex.change();
      targets = new ArrayList<>(r.descriptor().replicas());
      targets.remove(me);
      if (!targets.isEmpty()) r.writeStarted();
      w = new ReplicatedWrite(written, key, new byte[][] {c.value()}, new long[] {c.expiresAt()});
    } finally {
      if (lock != null) lock.unlock();
    }
    if (targets.isEmpty()) return done(commandReply(req, ex));
    return env.replicate(w, targets)
        .handle(
            (v, e) -> {
              r.writeEnded();
              if (e == null) return commandReply(req, ex);
              String why = "write not acknowledged: " + Async.describe(e);
              if (ex.retriable()) return NodeReply.failure(req.id(), ReplyStatus.OVERLOADED, why);
              return NodeReply.failure(
                  req.id(),
                  ReplyStatus.ERROR,
                  spec.name().toUpperCase(java.util.Locale.ROOT)
                      + " may or may not have been applied ("
                      + why
                      + ")");
            });
  }

  private static NodeReply commandReply(NodeRequest req, StringCommands.Execution ex) {
    byte[] reply = ex.reply();
    if (reply == null) return NodeReply.failure(req.id(), ReplyStatus.REFUSED, ex.error());
    return NodeReply.values(req.id(), 1, new byte[][] {reply});
  }

  private NodeReply outside(NodeRequest req, byte[] key, RangeDescriptor named) {
    RangeDescriptor holder = descriptorFor(key);
    return redirect(
        req,
        ReplyStatus.WRONG_RANGE,
        holder != null ? holder : named,
        "key "
            + ByteArrayUtil.printable(key)
            + " is outside range "
            + named.rangeId()
            + " "
            + printableBounds(named));
  }

  /** The request names a range this node has no (live) replica of. */
  private NodeReply unknownRange(NodeRequest req, byte[] key) {
    RangeDescriptor d = descriptorFor(key);
    if (d == null || d.generation() < req.generation()) {
      env.catchUp();
      return behind(req);
    }
    String why =
        d.rangeId() == req.rangeId()
            ? "range " + req.rangeId() + " has no replica on node " + me
            : "range "
                + req.rangeId()
                + " is not on node "
                + me
                + "; key "
                + ByteArrayUtil.printable(key)
                + " is in range "
                + d.rangeId();
    return redirect(req, ReplyStatus.WRONG_RANGE, d, why);
  }

  /**
   * This node's newest knowledge of the range holding {@code key}: its own replica, else its route
   * table.
   */
  @Nullable RangeDescriptor descriptorFor(byte[] key) {
    Replica r = replicas.forKey(key);
    if (r != null && !r.removed()) return r.descriptor();
    return env.routeOf(key);
  }

  // ---------------------------------------------------------------- node-to-node requests

  private NodeReply replicate(NodeRequest req, PeerAuth.@Nullable Session session) {
    if (session == null || session.node() == null) return unauthenticated(req, session);
    Replica r = replicas.byId(req.rangeId());
    if (r == null) return unknownToFollower(req);
    Lock lock = r.readLock();
    lock.lock();
    try {
      if (r.removed()) return unknownToFollower(req);
      RangeDescriptor d = r.descriptor();
      int order = compare(req.generation(), req.epoch(), d.generation(), d.leaseEpoch());
      if (order < 0)
        return redirect(
            req,
            ReplyStatus.STALE_EPOCH,
            d,
            "REPLICATE at generation "
                + req.generation()
                + " epoch "
                + req.epoch()
                + " is older than this replica's");
      if (order > 0) {
        env.catchUp();
        return behind(req);
      }
      String writer = d.leaseholder();
      if (writer == null || writer.equals(me))
        return redirect(
            req,
            ReplyStatus.STALE_EPOCH,
            d,
            "no other node holds range " + r.rangeId + " at epoch " + d.leaseEpoch());
      if (!writer.equals(session.node())
          || !WriteSequence.ofIncarnation(req.id(), session.incarnation()))
        return NodeReply.failure(
            req.id(),
            ReplyStatus.ERROR,
            "REPLICATE "
                + req.id()
                + " for range "
                + r.rangeId
                + " refused: only its leaseholder "
                + writer
                + " replicates it, with sequence numbers of its incarnation; this came from "
                + session.describe());
      for (byte[] k : req.keys()) {
        if (!d.contains(k))
          return redirect(
              req,
              ReplyStatus.WRONG_RANGE,
              d,
              "key " + ByteArrayUtil.printable(k) + " is outside range " + r.rangeId);
      }
      long now = clock.millis();
      byte[][] keys = req.keys();
      boolean expiring = req.limit() == 1;
      for (int i = 0; i < keys.length; i++) {
        byte[] v = req.values()[i];
        if (expiring && v != null)
          store.applyReplicated(
              keys[i],
              ReplicatedWrite.valueOf(v),
              ReplicatedWrite.expiryOf(v),
              writer,
              req.id(),
              now);
        else store.applyReplicated(keys[i], v, writer, req.id(), now);
      }
      return NodeReply.ok(req.id(), req.id());
    } finally {
      lock.unlock();
    }
  }

  private NodeReply unknownToFollower(NodeRequest req) {
    RangeDescriptor d = descriptorFor(req.keys()[0]);
    if (d == null || d.generation() < req.generation()) {
      env.catchUp();
      return behind(req);
    }
    return redirect(
        req,
        ReplyStatus.STALE_EPOCH,
        d,
        "range "
            + req.rangeId()
            + " is not replicated on node "
            + me
            + " at generation "
            + req.generation());
  }

  private NodeReply fetch(NodeRequest req, PeerAuth.@Nullable Session session) {
    if (session == null || session.node() == null) return unauthenticated(req, session);
    Replica r = replicas.byId(req.rangeId());
    if (r == null || r.removed()) return unknownToFollower(req);
    RangeDescriptor d = r.descriptor();
    if (req.generation() > d.generation()) {
      env.catchUp();
      return behind(req);
    }
    if (req.generation() < d.generation())
      return redirect(
          req,
          ReplyStatus.STALE_EPOCH,
          d,
          "FETCH at generation " + req.generation() + " is older than this replica's");
    if (!d.replicas().contains(session.node()) || me.equals(session.node()))
      return NodeReply.failure(
          req.id(),
          ReplyStatus.ERROR,
          "FETCH of range "
              + r.rangeId
              + " refused: "
              + session.describe()
              + " is not another replica of it at generation "
              + d.generation());
    if (!r.synced())
      return overloaded(
          req, "replica of range " + r.rangeId + " on " + me + " is still copying its data");
    byte[] start = d.contains(req.keys()[0]) ? req.keys()[0] : d.startKey();
    byte[] end =
        req.keys()[1].length == 0 || Span.compareEnds(req.keys()[1], d.endKey()) > 0
            ? d.endKey()
            : req.keys()[1];
    if (end != null && Arrays.compareUnsigned(start, end) >= 0)
      return NodeReply.values(req.id(), 0, NO_VALUES);
    return page(req, start, end);
  }

  /** A peer's HELLO: the connection becomes the peer's once the peer vouched for the token. */
  private CompletableFuture<NodeReply> hello(NodeRequest req, PeerAuth.@Nullable Session session) {
    String node = new String(req.keys()[0], StandardCharsets.UTF_8);
    if (session == null)
      return done(NodeReply.failure(req.id(), ReplyStatus.ERROR, "HELLO on a port without peers"));
    return env.vouch(node, req.keys()[1])
        .handle(
            (incarnation, e) -> {
              if (e == null && incarnation > 0) {
                session.vouched(node, incarnation);
                return NodeReply.ok(req.id(), 0);
              }
              return NodeReply.failure(
                  req.id(),
                  ReplyStatus.ERROR,
                  "node "
                      + node
                      + " at its registered address did not vouch for this connection"
                      + (e == null ? "" : ": " + Async.describe(e)));
            });
  }

  private NodeReply vouch(NodeRequest req) {
    WriteSequence seq = sequence;
    String asker = new String(req.keys()[1], StandardCharsets.UTF_8);
    boolean yes = seq != null && auth.issuedTo(req.keys()[0], asker);
    return NodeReply.ok(req.id(), yes ? seq.incarnation() : 0);
  }

  private static NodeReply notANode(NodeRequest req, PeerAuth.Session session) {
    return NodeReply.failure(
        req.id(),
        ReplyStatus.ERROR,
        req.op()
            + " is taken only on a connection with a node certificate of this cluster; this came on "
            + session.describe());
  }

  private static NodeReply unauthenticated(NodeRequest req, PeerAuth.@Nullable Session session) {
    return NodeReply.failure(
        req.id(),
        ReplyStatus.ERROR,
        req.op()
            + " is taken only from a peer node that authenticated its connection with HELLO; this"
            + " came from "
            + (session == null ? "a port without peers" : session.describe()));
  }

  // ---------------------------------------------------------------- replies

  /** One SCAN or FETCH page, within the pair limit and the reply budget. */
  private NodeReply page(NodeRequest req, byte[] start, byte @Nullable [] end) {
    int limit = req.limit() == 0 ? DEFAULT_SCAN_LIMIT : Math.min(req.limit(), MAX_SCAN_LIMIT);
    long budget = maxReplyBytes - NodeCodec.EMPTY_REPLY_BYTES;
    boolean fetch = req.op() == NodeOp.FETCH;
    long perPair = fetch ? NodeCodec.valueBytes(new byte[8]) : 0;
    DataStore.Page page = store.scan(start, end, limit, budget, perPair, clock.millis());
    List<byte[]> pairs = page.pairs();
    if (pairs.size() == 2
        && NodeCodec.valueBytes(pairs.get(0)) + NodeCodec.valueBytes(pairs.get(1)) + perPair
            > budget)
      return tooLarge(
          req,
          NodeCodec.EMPTY_REPLY_BYTES
              + NodeCodec.valueBytes(pairs.get(0))
              + NodeCodec.valueBytes(pairs.get(1))
              + perPair);
    if (!fetch) return NodeReply.values(req.id(), page.more() ? 1 : 0, pairs.toArray(NO_VALUES));
    // FETCH: key, value, expiry (8 bytes, big-endian epoch milliseconds; null: none)
    byte[][] triples = new byte[pairs.size() / 2 * 3][];
    for (int i = 0, j = 0; i < pairs.size(); i += 2, j += 3) {
      triples[j] = pairs.get(i);
      triples[j + 1] = pairs.get(i + 1);
      long exp = page.expiries().get(i / 2);
      triples[j + 2] = exp == 0 ? null : ReplicatedWrite.expiryBytes(exp);
    }
    return NodeReply.values(req.id(), page.more() ? 1 : 0, triples);
  }

  /**
   * The reply would not fit the node's frame limit: this request fails, before the reply is built,
   * and nothing else on the connection does. ERROR, so a router does not retry it.
   */
  private NodeReply tooLarge(NodeRequest req, long bytes) {
    return NodeReply.failure(
        req.id(),
        ReplyStatus.ERROR,
        req.op()
            + " reply would be "
            + bytes
            + " bytes, above this node's reply limit of "
            + maxReplyBytes
            + " bytes; ask for fewer keys at once");
  }

  private NodeReply behind(NodeRequest req) {
    return overloaded(
        req,
        "node "
            + me
            + " has not yet learned range "
            + req.rangeId()
            + " at generation "
            + req.generation()
            + " epoch "
            + req.epoch()
            + "; it is catching up, retry");
  }

  private static NodeReply overloaded(NodeRequest req, String why) {
    return NodeReply.failure(req.id(), ReplyStatus.OVERLOADED, why);
  }

  private static NodeReply redirect(
      NodeRequest req, ReplyStatus status, RangeDescriptor d, String why) {
    return NodeReply.redirect(req.id(), status, d.encode(), why);
  }

  private static CompletableFuture<NodeReply> done(NodeReply r) {
    return CompletableFuture.completedFuture(r);
  }

  private static int compare(long gen1, long epoch1, long gen2, long epoch2) {
    int c = Long.compare(gen1, gen2);
    return c != 0 ? c : Long.compare(epoch1, epoch2);
  }

  private static String printableBounds(RangeDescriptor d) {
    return "["
        + ByteArrayUtil.printable(d.startKey())
        + ", "
        + (d.endKey() == null ? "∞" : ByteArrayUtil.printable(d.endKey()))
        + ")";
  }
}
