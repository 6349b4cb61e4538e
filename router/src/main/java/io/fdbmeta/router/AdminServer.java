package io.fdbmeta.router;

import io.fdbmeta.wire.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * A small admin HTTP server: {@code GET} (or {@code HEAD}) of a path answers what that path's
 * handler returns; anything else is 404 or 405. Meant for {@code /metrics}, {@code /healthz} and
 * {@code /readyz} on the admin port of every fdbmeta process.
 *
 * <p>Why it is built this way: a health checker must get its answer while hostile or broken clients
 * are connected (the JDK server it replaces, on one thread with no timeout, left {@code /health}
 * unanswered for minutes behind one unfinished request). So every connection must deliver a whole
 * request within {@link Limits#requestTimeout} of being opened or answered, or it is closed (bytes
 * trickling in do not extend it); a request's head and body are bounded ({@link Limits}); at {@link
 * Limits#maxConnections} a new connection closes the longest-open one rather than being refused, so
 * slow clients can never lock a checker out; and a connection whose replies the client does not
 * read is not read from until they drain, and is closed if it sent another request meanwhile. All
 * of it runs on one event loop thread of its own. With a bearer token, a request without it gets
 * 401 before any handler runs (health checkers and Prometheus send it as a header).
 *
 * <pre>{@code
 * try (AdminServer admin = AdminServer.start("127.0.0.1", 0, Map.of(
 *     "/healthz", () -> AdminServer.Reply.text(200, "ok\n")), AdminServer.Limits.DEFAULT)) {
 *   admin.address();
 * }
 * }</pre>
 */
public final class AdminServer implements AutoCloseable {
  /** What a handler answers. */
  public record Reply(int status, String contentType, String body) {
    public Reply {
      Objects.requireNonNull(contentType, "contentType");
      Objects.requireNonNull(body, "body");
    }

    public static Reply text(int status, String body) {
      return new Reply(status, "text/plain; charset=utf-8", body);
    }
  }

  /**
   * Bounds on what clients may hold.
   *
   * @param requestTimeout how long a connection has to deliver a whole request after it opens or
   *     after its previous reply
   * @param maxConnections connections open at once; one more closes the longest-open one
   * @param maxHeadBytes request line plus headers
   * @param maxBodyBytes request body (admin requests have none to speak of)
   */
  public record Limits(
      Duration requestTimeout, int maxConnections, int maxHeadBytes, int maxBodyBytes) {
    public static final Limits DEFAULT = new Limits(Duration.ofSeconds(5), 128, 8192, 4096);

    public Limits {
      if (requestTimeout.isNegative() || requestTimeout.isZero())
        throw new IllegalArgumentException("requestTimeout must be > 0, got " + requestTimeout);
      if (maxConnections < 1)
        throw new IllegalArgumentException("maxConnections must be >= 1, got " + maxConnections);
      if (maxHeadBytes < 256)
        throw new IllegalArgumentException("maxHeadBytes must be >= 256, got " + maxHeadBytes);
      if (maxBodyBytes < 0)
        throw new IllegalArgumentException("maxBodyBytes must be >= 0, got " + maxBodyBytes);
    }
  }

  private final EventLoopGroup loop;
  private final Channel server;

  private AdminServer(EventLoopGroup loop, Channel server) {
    this.loop = loop;
    this.server = server;
  }

  /**
   * Binds {@code host:port} (0: a free port) and serves {@code routes}, each path (without query)
   * to its handler, called on the server's thread.
   *
   * @throws UncheckedIOException if the port cannot be bound
   */
  public static AdminServer start(
      String host, int port, Map<String, Supplier<Reply>> routes, Limits limits) {
    return start(host, port, routes, limits, null);
  }

  /**
   * As {@link #start(String, int, Map, Limits)}, and with a {@code bearerToken} every request must
   * carry as {@code Authorization: Bearer <token>}, or get 401 and no handler is called.
   */
  public static AdminServer start(
      String host,
      int port,
      Map<String, Supplier<Reply>> routes,
      Limits limits,
      @Nullable String bearerToken) {
    Map<String, Supplier<Reply>> table = Map.copyOf(routes);
    byte[] expected =
        bearerToken == null ? null : ("Bearer " + bearerToken).getBytes(StandardCharsets.UTF_8);
    Transport transport = Transport.preferred();
    EventLoopGroup loop =
        new MultiThreadIoEventLoopGroup(
            1, new DefaultThreadFactory("admin-http", true), transport.ioHandlerFactory());
    ArrayDeque<Channel> open = new ArrayDeque<>(); // only touched on the one event loop thread
    ChannelFuture bound =
        new ServerBootstrap()
            .group(loop)
            .channel(transport.serverSocketChannel())
            .childOption(
                ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(16 << 10, 64 << 10))
            .childHandler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    admit(ch, open, limits.maxConnections());
                    ch.pipeline()
                        .addLast(
                            new HttpServerCodec(
                                new HttpDecoderConfig()
                                    .setMaxInitialLineLength(limits.maxHeadBytes())
                                    .setMaxHeaderSize(limits.maxHeadBytes())))
                        .addLast(new HttpObjectAggregator(limits.maxBodyBytes()))
                        .addLast(new Exchange(table, limits.requestTimeout().toNanos(), expected));
                  }
                })
            .bind(host, port)
            .awaitUninterruptibly();
    if (!bound.isSuccess()) {
      loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      String what = "cannot open the admin port " + host + ":" + port;
      if (bound.cause() instanceof IOException io) throw new UncheckedIOException(what, io);
      throw new ChannelException(what, bound.cause());
    }
    return new AdminServer(loop, bound.channel());
  }

  /** Counts {@code ch} in; over the cap, closes the longest-open connection. */
  private static void admit(Channel ch, ArrayDeque<Channel> open, int max) {
    open.addLast(ch);
    ch.closeFuture().addListener(f -> open.remove(ch));
    if (open.size() > max) Objects.requireNonNull(open.pollFirst()).close();
  }

  public InetSocketAddress address() {
    return (InetSocketAddress) server.localAddress();
  }

  @Override
  public void close() {
    server.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
    loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(2, TimeUnit.SECONDS);
  }

  private static final Reply UNAUTHORIZED =
      Reply.text(401, "unauthorized: send the admin token as 'Authorization: Bearer TOKEN'\n");

  /** One connection: requests in, replies out, under the request deadline and writability. */
  private static final class Exchange extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final Map<String, Supplier<Reply>> routes;
    private final long timeoutNanos;
    private final byte @Nullable [] authorization;
    private @Nullable ScheduledFuture<?> deadline;

    Exchange(
        Map<String, Supplier<Reply>> routes, long timeoutNanos, byte @Nullable [] authorization) {
      this.routes = routes;
      this.timeoutNanos = timeoutNanos;
      this.authorization = authorization;
    }

    /** True if no token is set or the request carries it (compared in constant time). */
    private boolean authorized(FullHttpRequest req) {
      if (authorization == null) return true;
      String given = req.headers().get(HttpHeaderNames.AUTHORIZATION);
      return given != null
          && MessageDigest.isEqual(authorization, given.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      awaitRequest(ctx);
    }

    private void awaitRequest(ChannelHandlerContext ctx) {
      deadline = ctx.executor().schedule(() -> ctx.close(), timeoutNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
      if (deadline != null) deadline.cancel(false);
      if (!ctx.channel().isWritable()) {
        ctx.close(); // pipelining while not reading its replies: nothing more is queued for it
        return;
      }
      if (!req.decoderResult().isSuccess()) {
        send(ctx, req, Reply.text(400, "bad request\n"), false);
        return;
      }
      HttpMethod m = req.method();
      Supplier<Reply> route = routes.get(new QueryStringDecoder(req.uri()).path());
      Reply reply;
      if (!authorized(req)) {
        send(ctx, req, UNAUTHORIZED, HttpUtil.isKeepAlive(req));
        return;
      }
      if (!HttpMethod.GET.equals(m) && !HttpMethod.HEAD.equals(m))
        reply = Reply.text(405, "method not allowed: use GET\n");
      else if (route == null)
        reply = Reply.text(404, "not found: try " + String.join(", ", sorted(routes)) + "\n");
      else reply = route.get();
      send(ctx, req, reply, HttpUtil.isKeepAlive(req));
    }

    private static String[] sorted(Map<String, ?> routes) {
      return routes.keySet().stream().sorted().toArray(String[]::new);
    }

    private void send(
        ChannelHandlerContext ctx, FullHttpRequest req, Reply reply, boolean keepAlive) {
      byte[] body = reply.body().getBytes(StandardCharsets.UTF_8);
      boolean head = HttpMethod.HEAD.equals(req.method());
      ByteBuf content = head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body);
      FullHttpResponse res =
          new DefaultFullHttpResponse(
              HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(reply.status()), content);
      res.headers()
          .set(HttpHeaderNames.CONTENT_TYPE, reply.contentType())
          .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
      if (reply.status() == 401)
        res.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"fdbmeta admin\"");
      HttpUtil.setKeepAlive(res, keepAlive);
      if (!keepAlive) {
        ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
        return;
      }
      ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
      if (!ctx.channel().isWritable()) ctx.channel().config().setAutoRead(false);
      awaitRequest(ctx);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      ctx.channel().config().setAutoRead(ctx.channel().isWritable());
      ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (deadline != null) deadline.cancel(false);
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close(); // a reset or a broken request: nothing to tell a client that is gone
    }
  }
}
