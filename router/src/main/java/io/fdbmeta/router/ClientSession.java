package io.fdbmeta.router;

import io.fdbmeta.layer.FdbErrors;
import io.fdbmeta.wire.Resp;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import java.util.function.Consumer;

/**
 * What a connection's commands share while they run: the router's services, the connection's event
 * loop (every callback of a command runs on it), its upstream pool and its reply queue.
 */
final class ClientSession {
  final Services svc;
  final RouterMetrics metrics;
  final EventLoop loop;
  final Upstream upstream;
  final ReplyQueue replies;
  final ByteBufAllocator alloc;

  /** The connection's Redis state: id, protocol, name. */
  final ClientState client;

  /** A command's budget from decode to reply. */
  final long timeoutNanos;

  ClientSession(
      Services svc,
      EventLoop loop,
      Upstream upstream,
      ReplyQueue replies,
      ByteBufAllocator alloc,
      ClientState client) {
    this.svc = svc;
    this.metrics = svc.metrics;
    this.loop = loop;
    this.upstream = upstream;
    this.replies = replies;
    this.alloc = alloc;
    this.client = client;
    this.timeoutNanos = svc.config.requestTimeout().toNanos();
  }

  long now() {
    return Services.nanoTime(loop);
  }

  boolean resp3() {
    return client.proto == 3;
  }

  ByteBuf error(String text) {
    ByteBuf b = alloc.ioBuffer(text.length() + 3);
    Resp.error(b, text);
    return b;
  }

  /**
   * Reads the route of {@code key} from the catalog, then continues on this connection's loop with
   * the range, or with the failure's message.
   */
  void loadRoute(byte[] key, Consumer<CachedRange> then, Consumer<String> failed) {
    svc.cache
        .load(key)
        .whenComplete(
            (r, e) ->
                loop.execute(
                    () -> {
                      if (e != null) failed.accept(message(e));
                      else then.accept(r);
                    }));
  }

  static String message(Throwable e) {
    RuntimeException t = FdbErrors.translate(e);
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }
}
