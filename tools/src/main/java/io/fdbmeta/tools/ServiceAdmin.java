package io.fdbmeta.tools;

import io.fdbmeta.router.AdminServer;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Model.CommandSpec;

/*
 * The admin port every fdbmeta service process has (`--admin HOST:PORT`):
 *   GET /healthz   200 "ok" while the process runs (a liveness probe: restart it if this fails)
 *   GET /readyz    200 "ready: <detail>" once the service says so, else 503 "not ready: <why>"
 *   GET /metrics   Prometheus text 0.0.4 of what the service's collectors write at the scrape
 *
 * It is served by the router module's AdminServer (Netty), not the JDK's HttpServer: a health
 * checker must get an answer while hostile or stuck clients are connected, and AdminServer bounds
 * request time, size and connections for exactly that (its header says why the JDK server it
 * replaced failed at it). The port is bound before the service opens its store, so /healthz
 * answers during start-up and /readyz says what the service is waiting for.
 */
/**
 * A service's {@code /healthz}, {@code /readyz} and {@code /metrics}; see the comment at the top.
 */
final class ServiceAdmin implements AutoCloseable {
  /** What {@code /readyz} answers: ready or not, and a few words why. */
  record Readiness(boolean ready, String detail) {
    Readiness {
      Objects.requireNonNull(detail, "detail");
    }

    static Readiness ready(String detail) {
      return new Readiness(true, detail);
    }

    static Readiness notReady(String why) {
      return new Readiness(false, why);
    }
  }

  private final List<Consumer<PrometheusText>> collectors = new CopyOnWriteArrayList<>();
  private volatile Supplier<Readiness> readiness = () -> Readiness.notReady("starting");
  private @Nullable AdminServer server; // set once, by start

  private ServiceAdmin() {}

  /**
   * Binds {@code where} (port 0: a free one) for {@code service} (e.g. "controller"), not ready
   * until {@link #readiness} says otherwise; with a {@code token}, every request must carry it as a
   * bearer token.
   *
   * @throws CliException exit code 1, naming the address, if it cannot be bound (taken, or not an
   *     address of this machine)
   */
  static ServiceAdmin start(String service, HostPort where, @Nullable String token) {
    ServiceAdmin admin = new ServiceAdmin();
    Map<String, Supplier<AdminServer.Reply>> routes =
        Map.of(
            "/healthz", () -> AdminServer.Reply.text(200, "ok\n"),
            "/readyz", admin::readyz,
            "/metrics", admin::metricsReply);
    try {
      admin.server =
          AdminServer.start(where.host(), where.port(), routes, AdminServer.Limits.DEFAULT, token);
    } catch (RuntimeException e) {
      throw new CliException(
          ErrorHandlers.FAILURE,
          "cannot open the "
              + service
              + "'s admin port "
              + where
              + " (--admin): "
              + BindFailures.describe(e),
          e);
    }
    return admin;
  }

  /**
   * Opens the store the global options name, saying so on /readyz meanwhile; closes this admin port
   * if the store cannot be opened.
   */
  MetaSession openStore(CommandSpec spec) {
    readiness(() -> Readiness.notReady("opening the store"));
    try {
      return MetaSession.open(spec);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /** Where the admin port is bound. */
  InetSocketAddress address() {
    return Objects.requireNonNull(server).address();
  }

  /** What {@code /readyz} asks from now on, at every request (keep it quick; any thread). */
  void readiness(Supplier<Readiness> r) {
    readiness = Objects.requireNonNull(r);
  }

  /**
   * Adds a collector that writes its metrics at every scrape, on the admin server's thread (keep it
   * quick: take one snapshot and write it).
   */
  void metrics(Consumer<PrometheusText> collector) {
    collectors.add(Objects.requireNonNull(collector));
  }

  /** The text {@code /metrics} answers now. */
  String metricsText() {
    PrometheusText text = new PrometheusText();
    for (Consumer<PrometheusText> c : collectors) c.accept(text);
    return text.toString();
  }

  private AdminServer.Reply readyz() {
    Readiness r;
    try {
      r = readiness.get();
    } catch (RuntimeException e) {
      r = Readiness.notReady("readiness check failed: " + ErrorHandlers.describe(e));
    }
    return r.ready()
        ? AdminServer.Reply.text(200, "ready: " + r.detail() + "\n")
        : AdminServer.Reply.text(503, "not ready: " + r.detail() + "\n");
  }

  private AdminServer.Reply metricsReply() {
    try {
      return new AdminServer.Reply(200, PrometheusText.CONTENT_TYPE, metricsText());
    } catch (RuntimeException e) {
      return AdminServer.Reply.text(500, "metrics failed: " + ErrorHandlers.describe(e) + "\n");
    }
  }

  @Override
  public void close() {
    Objects.requireNonNull(server).close();
  }
}
