package io.fdbmeta.storage;

import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.wire.Command;
import io.fdbmeta.wire.NodeOp;
import io.fdbmeta.wire.NodeReply;
import io.fdbmeta.wire.NodeRequest;
import io.fdbmeta.wire.Resp;
import io.fdbmeta.wire.RespCommand;
import io.fdbmeta.wire.RespParser;
import io.fdbmeta.wire.RespRequest;
import io.netty.buffer.ByteBuf;
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
 * command must lie in one range (-CROSSRANGE otherwise). Commands are checked by the same
 * RespParser as the router's, so a mistake gets the same error on both ports.
 */
/**
 * The RESP commands of a storage node's own port: GET, SET, DEL, EXISTS, PING, ECHO, QUIT, and the
 * string and expiry commands of {@link StringCommands} (RESP2 replies).
 */
final class RespCommands {
  /** A reply, written when its turn comes. */
  interface Reply {
    void write(ByteBuf out);
  }

  private static final RespParser PARSER = RespParser.forNode();
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
    byte[][] args = c.args();
    StringCommands.Spec spec = StringCommands.find(args[0]);
    if (spec != null
        && !spec.name().equals("get")
        && !(spec.name().equals("set") && args.length == 3)) return command(spec, args);
    RespRequest r = PARSER.parse(c);
    if (r instanceof RespRequest.Invalid bad) return done(error(bad.error()));
    if (r instanceof RespRequest.Local l) {
      return switch (l.command()) {
        case PING -> done(l.message() == null ? PONG : bulk(l.message()));
        case ECHO -> done(bulk(l.message()));
        default -> done(OK); // QUIT
      };
    }
    if (r instanceof RespRequest.Get g)
      return node(NodeOp.GET, new byte[][] {g.key()}, NONE)
          .thenApply(o -> o.reply != null ? o.reply : bulk(o.node.values()[0]));
    if (r instanceof RespRequest.Set set)
      return node(NodeOp.SET, new byte[][] {set.key()}, new byte[][] {set.value()})
          .thenApply(o -> o.reply != null ? o.reply : OK);
    RespRequest.Keys k = (RespRequest.Keys) r; // DEL, EXISTS: the rest is not served here
    return node(k.command() == Command.DEL ? NodeOp.DEL : NodeOp.EXISTS, k.keys(), NONE)
        .thenApply(o -> o.reply != null ? o.reply : integer(o.node.number()));
  }

  /** A string command of StringCommands (not GET or plain SET), as the router passes it on. */
  private CompletableFuture<Reply> command(StringCommands.Spec spec, byte[][] args) {
    if (!spec.arityFits(args.length)) return done(error(RespParser.wrongArity(spec.name())));
    return node(NodeOp.COMMAND, new byte[][] {args[1]}, args, NONE, 2)
        .thenApply(o -> o.reply != null ? o.reply : raw(o.node.values()[0]));
  }

  /** The processor's reply, or the RESP reply that replaces it (refusals). */
  private record Outcome(@Nullable NodeReply node, @Nullable Reply reply) {}

  private CompletableFuture<Outcome> node(NodeOp op, byte[][] keys, byte[][] values) {
    return node(op, keys, keys, values, 0);
  }

  /**
   * A node request of {@code op} with {@code keys} and {@code values}, addressed to the range of
   * {@code routing} (the keys, or for COMMAND its key arguments).
   */
  private CompletableFuture<Outcome> node(
      NodeOp op, byte[][] routing, byte[][] keys, byte[][] values, int limit) {
    Replica r = replicas.forKey(routing[0]);
    if (r == null)
      return moved(processor.descriptorFor(routing[0])).thenApply(m -> new Outcome(null, m));
    for (byte[] k : routing) {
      if (replicas.forKey(k) != r)
        return done(
            new Outcome(null, error("CROSSRANGE keys of one command must lie in one range")));
    }
    RangeDescriptor d = r.descriptor();
    NodeRequest req =
        new NodeRequest(0, op, r.rangeId, d.generation(), d.leaseEpoch(), limit, keys, values);
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
                case REFUSED:
                  return done(new Outcome(null, error(String.valueOf(reply.message()))));
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

  private static Reply bulk(byte @Nullable [] b) {
    return out -> Resp.bulk(out, b);
  }

  private static Reply raw(byte[] resp) {
    return out -> out.writeBytes(resp);
  }

  private static Reply integer(long n) {
    return out -> Resp.integer(out, n);
  }

  private static Reply error(String text) {
    return out -> Resp.error(out, text);
  }

  private static <T> CompletableFuture<T> done(T v) {
    return CompletableFuture.completedFuture(v);
  }
}
