package io.fdbmeta.router;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The admin HTTP port: {@code GET /metrics} (Prometheus text) and {@code GET /health} (200 "ok"
 * while serving, 503 while starting or draining). The JDK's built-in server on one thread: scrapes
 * are rare and small.
 */
final class AdminServer implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService executor;

  AdminServer(String host, int port, Supplier<String> metrics, BooleanSupplier healthy)
      throws IOException {
    server = HttpServer.create(new InetSocketAddress(host, port), 16);
    executor =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "router-admin");
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    server.createContext(
        "/metrics",
        ex -> respond(ex, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.get()));
    server.createContext(
        "/health",
        ex -> {
          boolean ok = healthy.getAsBoolean();
          respond(ex, ok ? 200 : 503, "text/plain; charset=utf-8", ok ? "ok\n" : "unavailable\n");
        });
    server.createContext(
        "/",
        ex ->
            respond(ex, 404, "text/plain; charset=utf-8", "not found: try /metrics or /health\n"));
    server.start();
  }

  InetSocketAddress address() {
    return server.getAddress();
  }

  private static void respond(HttpExchange ex, int status, String type, String body)
      throws IOException {
    try (ex) {
      if (!"GET".equals(ex.getRequestMethod()) && !"HEAD".equals(ex.getRequestMethod())) {
        ex.sendResponseHeaders(405, -1);
        return;
      }
      byte[] b = body.getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", type);
      boolean head = "HEAD".equals(ex.getRequestMethod());
      ex.sendResponseHeaders(status, head ? -1 : b.length);
      if (!head) {
        try (OutputStream out = ex.getResponseBody()) {
          out.write(b);
        }
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
