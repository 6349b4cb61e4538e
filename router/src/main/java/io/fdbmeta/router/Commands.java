package io.fdbmeta.router;

import io.fdbmeta.wire.Command;
import io.fdbmeta.wire.NodeOp;
import io.fdbmeta.wire.Resp;
import io.fdbmeta.wire.RespRequest;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * Starts one connection's checked requests: the split commands become a {@link KeysOp}, RANGE a
 * {@link ScanOp}, commands passed on as they are a {@link ForwardOp}, connection commands are
 * answered at once by {@link ConnectionCommands} through the {@link ReplyQueue}. On the event loop.
 */
final class Commands {
  private static final byte[] EMPTY_ARRAY = "*0\r\n".getBytes(StandardCharsets.US_ASCII);

  private final ClientSession s;
  private final ConnectionCommands connection;

  Commands(ClientSession s) {
    this.s = s;
    this.connection = new ConnectionCommands(s, s.client);
  }

  void start(RespRequest r) {
    long start = s.now();
    Command cmd = r.command();
    String refused = refusal(r);
    if (refused != null) {
      s.replies.reply(cmd, start, s.error(refused), false);
      return;
    }
    if (r instanceof RespRequest.Get g) {
      new KeysOp(s, cmd, start, NodeOp.GET, new byte[][] {g.key()}, null).start();
    } else if (r instanceof RespRequest.Set set) {
      new KeysOp(s, cmd, start, NodeOp.SET, new byte[][] {set.key()}, new byte[][] {set.value()})
          .start();
    } else if (r instanceof RespRequest.Keys k) {
      NodeOp op =
          switch (cmd) {
            case DEL, UNLINK -> NodeOp.DEL;
            case EXISTS, TOUCH -> NodeOp.EXISTS;
            default -> NodeOp.GET;
          };
      new KeysOp(s, cmd, start, op, k.keys(), null).start();
    } else if (r instanceof RespRequest.MSet m) {
      new KeysOp(s, cmd, start, NodeOp.SET, m.keys(), m.values()).start();
    } else if (r instanceof RespRequest.Range g) {
      if (g.to().length > 0 && Arrays.compareUnsigned(g.from(), g.to()) >= 0)
        s.replies.reply(
            cmd,
            start,
            bytes(
                !g.withCursor()
                    ? EMPTY_ARRAY
                    : (s.client.proto == 3 ? "*2\r\n_\r\n*0\r\n" : "*2\r\n$-1\r\n*0\r\n")
                        .getBytes(StandardCharsets.US_ASCII)),
            false);
      else new ScanOp(s, start, g.from(), g.to(), g.limit(), g.withCursor()).start();
    } else if (r instanceof RespRequest.Walk w) {
      ScanOp op = ScanOp.of(s, start, w.name(), w.args());
      if (op != null) op.start();
    } else if (r instanceof RespRequest.Connection c) {
      connection.answer(c, start);
    } else if (r instanceof RespRequest.Forward f) {
      new ForwardOp(s, s.client, f, start).start();
    } else if (r instanceof RespRequest.Invalid bad) {
      s.metrics.clientError();
      s.replies.reply(cmd, start, s.error(bad.error()), false);
    }
  }

  /**
   * Redis's -NOAUTH or -NOPERM if the connection's user may not run {@code r}, else null. As in
   * Redis, unknown commands and wrong arities ({@link RespRequest.Invalid}) are answered first.
   */
  private @Nullable String refusal(RespRequest r) {
    if (r instanceof RespRequest.Invalid) return null;
    Users.User user = s.client.user;
    if (user == null) {
      switch (r.command()) {
        case AUTH, HELLO, QUIT, RESET -> { // Redis's no_auth commands
          return null;
        }
        default -> {
          s.metrics.reject(RouterMetrics.Security.NOAUTH);
          return "NOAUTH Authentication required.";
        }
      }
    }
    if (user.canWrite()) return null;
    String write = null;
    if (r instanceof RespRequest.Set) write = "set";
    else if (r instanceof RespRequest.MSet) write = "mset";
    else if (r instanceof RespRequest.Keys k
        && (k.command() == Command.DEL || k.command() == Command.UNLINK)) write = k.command().tag;
    else if (r instanceof RespRequest.Forward f && f.writes()) write = f.name();
    if (write == null) return null;
    s.metrics.reject(RouterMetrics.Security.NOPERM);
    return "NOPERM this user has no permissions to run the '" + write + "' command";
  }

  private ByteBuf ok() {
    ByteBuf b = s.alloc.ioBuffer(5);
    Resp.ok(b);
    return b;
  }

  private ByteBuf bytes(byte[] v) {
    ByteBuf b = s.alloc.ioBuffer(v.length);
    b.writeBytes(v);
    return b;
  }

  private ByteBuf bulk(byte[] v) {
    ByteBuf b = s.alloc.ioBuffer(v.length + 16);
    Resp.bulk(b, v);
    return b;
  }
}
