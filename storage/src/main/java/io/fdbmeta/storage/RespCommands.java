package io.fdbmeta.storage;

import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.wire.NodeOp;
import io.fdbmeta.wire.NodeReply;
import io.fdbmeta.wire.NodeRequest;
import io.fdbmeta.wire.Resp;
import io.fdbmeta.wire.RespCommand;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/*
 * RESP served straight from this node, with no router, so a benchmark can run the same client with
 * and without one. A command is turned into a node protocol request addressed with this node's own
 * view of the range holding its keys and goes through the same RequestProcessor as routed
 * requests: the same lease check, the same replication before OK.
 *
 * A key this node does not lead gets
 *     -MOVED range <rangeId> is led by node <nodeId> (<node protocol host:port>)
 * naming the leaseholder (this is not Redis Cluster's "MOVED slot host:port": the address is the
 * leaseholder's node protocol port, not a RESP one). A lease being renewed or handed over, a
 * replica still copying its data or a write not acknowledged in time give -TRYAGAIN. Keys of one
 * command must lie in one range (-CROSSRANGE otherwise).
 */
/** The RESP commands of a storage node's own port: GET, SET, DEL, EXISTS, PING, ECHO, QUIT. */
final class RespCommands {
  /** A reply, written when its turn comes. */
  interface Reply {
    void write(ByteBuf out);
  }

  private static final byte[][] NONE = new byte[0][];
  private static final Reply PONG = out -> Resp.simple(out, "PONG");
  private static final Reply OK = Resp::ok;

  private final String me;
  private final ReplicaSet replicas;
  private final RequestProcessor processor;
  private final Function<String, CompletableFuture<String>> addressOf;

  RespCommands(
      String me,
      ReplicaSet replicas,
      RequestProcessor processor,
      Function<String, CompletableFuture<String>> addressOf) {
    this.me = me;
    this.replicas = replicas;
    this.processor = processor;
    this.addressOf = addressOf;
  }

  CompletableFuture<Reply> execute(RespCommand c) {
    String name = c.name();
    int n = c.arity();
    switch (name) {
      case "PING":
        if (n > 1) return arity(c);
        return done(n == 0 ? PONG : bulk(c.arg(1)));
      case "ECHO":
        return n == 1 ? done(bulk(c.arg(1))) : arity(c);
      case "QUIT":
        return done(OK);
      case "GET":
        if (n != 1) return arity(c);
        return node(NodeOp.GET, new byte[][] {c.arg(1)}, NONE)
            .thenApply(r -> r.reply != null ? r.reply : bulk(r.node.values()[0]));
      case "SET":
        if (n < 2) return arity(c);
        if (n > 2)
          return done(error("ERR syntax error (this node takes SET key value, without options)"));
        return node(NodeOp.SET, new byte[][] {c.arg(1)}, new byte[][] {c.arg(2)})
            .thenApply(r -> r.reply != null ? r.reply : OK);
      case "DEL":
      case "EXISTS":
        if (n < 1) return arity(c);
        return node(
                name.equals("DEL") ? NodeOp.DEL : NodeOp.EXISTS,
                Arrays.copyOfRange(c.args(), 1, c.args().length),
                NONE)
            .thenApply(r -> r.reply != null ? r.reply : integer(r.node.number()));
      default:
        return done(error("ERR unknown command '" + printable(c.arg(0)) + "'"));
    }
  }

  /** The processor's reply, or the RESP reply that replaces it (refusals). */
  private record Outcome(@Nullable NodeReply node, @Nullable Reply reply) {}

  private CompletableFuture<Outcome> node(NodeOp op, byte[][] keys, byte[][] values) {
    Replica r = replicas.forKey(keys[0]);
    if (r == null)
      return moved(processor.descriptorFor(keys[0])).thenApply(m -> new Outcome(null, m));
    for (byte[] k : keys) {
      if (replicas.forKey(k) != r)
        return done(
            new Outcome(null, error("CROSSRANGE keys of one command must lie in one range")));
    }
    RangeDescriptor d = r.descriptor();
    NodeRequest req =
        new NodeRequest(0, op, r.rangeId, d.generation(), d.leaseEpoch(), 0, keys, values);
    return processor
        .handle(req)
        .thenCompose(
            reply -> {
              switch (reply.status()) {
                case OK:
                  return done(new Outcome(reply, null));
                case WRONG_RANGE:
                case STALE_EPOCH:
                case NOT_LEASEHOLDER:
                  return moved(
                          reply.descriptor() == null
                              ? null
                              : RangeDescriptor.decode(reply.descriptor()))
                      .thenApply(m -> new Outcome(null, m));
                case OVERLOADED:
                  return done(new Outcome(null, error("TRYAGAIN " + reply.message())));
                default:
                  return done(new Outcome(null, error("ERR " + reply.message())));
              }
            });
  }

  private CompletableFuture<Reply> moved(@Nullable RangeDescriptor d) {
    if (d == null) return done(error("TRYAGAIN this node knows no range holding the key yet"));
    String holder = d.leaseholder();
    if (holder == null)
      return done(error("TRYAGAIN range " + d.rangeId() + " has no leaseholder right now"));
    if (holder.equals(me))
      return done(error("TRYAGAIN range " + d.rangeId() + " is between leases on this node"));
    return addressOf
        .apply(holder)
        .handle(
            (address, e) ->
                error(
                    "MOVED range "
                        + d.rangeId()
                        + " is led by node "
                        + holder
                        + (e == null ? " (" + address + ")" : "")));
  }

  private static CompletableFuture<Reply> arity(RespCommand c) {
    return done(
        error(
            "ERR wrong number of arguments for '"
                + printable(c.arg(0)).toLowerCase()
                + "' command"));
  }

  private static Reply bulk(byte @Nullable [] b) {
    return out -> Resp.bulk(out, b);
  }

  private static Reply integer(long n) {
    return out -> Resp.integer(out, n);
  }

  private static Reply error(String text) {
    return out -> Resp.error(out, text);
  }

  private static String printable(byte[] b) {
    String s = new String(b, StandardCharsets.UTF_8);
    return s.length() > 64 ? s.substring(0, 64) + "..." : s;
  }

  private static <T> CompletableFuture<T> done(T v) {
    return CompletableFuture.completedFuture(v);
  }
}
