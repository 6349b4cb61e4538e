package io.fdbmeta.router;

import io.fdbmeta.wire.Command;
import io.fdbmeta.wire.ReplyStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * The router's counters, gauges and latency histograms, rendered as Prometheus text (exposition
 * format 0.0.4) on the admin port's {@code /metrics}. Recording is a few {@link LongAdder}
 * increments: no locks, no allocation.
 *
 * <p>Series: {@code fdbmeta_router_requests_total{command}}, {@code
 * fdbmeta_router_errors_total{kind}} (an {@link UpstreamFailure} tag, or {@code protocol}, {@code
 * incomplete_over_limit} for connections whose partial command held too much, {@code
 * unsent_replies_over_limit} for connections whose unread replies held too much, {@code client} for
 * bad commands, {@code rejected} for connections over the cap, {@code rejected_per_address} for
 * connections over their source address's cap), {@code fdbmeta_router_redirects_total{status}},
 * {@code fdbmeta_router_retries_total}, {@code fdbmeta_router_coalesced_gets_total}, {@code
 * fdbmeta_router_request_seconds{command}} (histogram), connection gauges, and the route cache's
 * size, weight and lag behind {@code meta_version}.
 */
public final class RouterMetrics {
  /** Histogram bucket upper bounds, in microseconds. */
  static final long[] BUCKETS_MICROS = {
    25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 1_000_000,
    5_000_000
  };

  /** A latency histogram with fixed buckets. */
  public static final class Histogram {
    private final LongAdder[] buckets = new LongAdder[BUCKETS_MICROS.length + 1];
    private final LongAdder count = new LongAdder();
    private final LongAdder sumNanos = new LongAdder();

    Histogram() {
      for (int i = 0; i < buckets.length; i++) buckets[i] = new LongAdder();
    }

    public void record(long nanos) {
      long micros = nanos / 1_000;
      int i = 0;
      while (i < BUCKETS_MICROS.length && micros > BUCKETS_MICROS[i]) i++;
      buckets[i].increment();
      count.increment();
      sumNanos.add(nanos);
    }

    public long count() {
      return count.sum();
    }

    /**
     * An upper bound of the q-quantile (0 < q <= 1) in microseconds: the bucket bound it falls in
     * (Long.MAX_VALUE past the last).
     */
    public long quantileMicrosUpperBound(double q) {
      long total = count.sum();
      if (total == 0) return 0;
      long want = (long) Math.ceil(q * total);
      long seen = 0;
      for (int i = 0; i < buckets.length; i++) {
        seen += buckets[i].sum();
        if (seen >= want) return i < BUCKETS_MICROS.length ? BUCKETS_MICROS[i] : Long.MAX_VALUE;
      }
      return Long.MAX_VALUE;
    }
  }

  private record Gauge(String name, String help, LongSupplier value) {}

  private final LongAdder[] requests = adders(Command.values().length);
  private final Histogram[] latency = new Histogram[Command.values().length];
  private final LongAdder[] failures = adders(UpstreamFailure.values().length);
  private final LongAdder protocolErrors = new LongAdder();
  private final LongAdder incompleteRejections = new LongAdder();
  private final LongAdder unsentReplyRejections = new LongAdder();
  private final LongAdder clientErrors = new LongAdder();
  private final LongAdder rejectedConnections = new LongAdder();
  private final LongAdder rejectedPerAddress = new LongAdder();
  private final LongAdder[] redirects = adders(ReplyStatus.values().length);
  private final LongAdder retries = new LongAdder();
  private final LongAdder coalescedGets = new LongAdder();
  private final LongAdder acceptedConnections = new LongAdder();
  private final LongAdder deadlineCloses = new LongAdder();
  private final LongAdder idleCloses = new LongAdder();
  private final LongAdder[] security = adders(Security.values().length);

  /** What the security checks refused; the tag of fdbmeta_router_security_rejections_total. */
  public enum Security {
    /** AUTH or HELLO AUTH with an unknown user or a wrong password. */
    AUTH_FAILED,
    /** A command before authentication (-NOAUTH). */
    NOAUTH,
    /** A command the user may not run (-NOPERM). */
    NOPERM,
    /** A TLS handshake that failed (a plaintext client, an untrusted client certificate). */
    TLS_HANDSHAKE,
    /** A connection closed for being idle before it authenticated. */
    UNAUTHENTICATED_IDLE;

    final String tag = name().toLowerCase(Locale.ROOT);
  }

  private final List<Gauge> gauges = new ArrayList<>();

  public RouterMetrics() {
    for (int i = 0; i < latency.length; i++) latency[i] = new Histogram();
  }

  private static LongAdder[] adders(int n) {
    LongAdder[] a = new LongAdder[n];
    for (int i = 0; i < n; i++) a[i] = new LongAdder();
    return a;
  }

  /** Adds a gauge read at every scrape; {@code name} gets the {@code fdbmeta_router_} prefix. */
  public synchronized void gauge(String name, String help, LongSupplier value) {
    gauges.add(new Gauge("fdbmeta_router_" + name, help, value));
  }

  void request(Command c, long nanos) {
    requests[c.ordinal()].increment();
    latency[c.ordinal()].record(nanos);
  }

  void failure(UpstreamFailure f) {
    failures[f.ordinal()].increment();
  }

  void protocolError() {
    protocolErrors.increment();
  }

  /** A connection closed because its incomplete command held more than the limits allow. */
  void incompleteCommandRejected() {
    incompleteRejections.increment();
  }

  /** A connection closed because replies it did not read held more than the limits allow. */
  void unsentRepliesRejected() {
    unsentReplyRejections.increment();
  }

  public long unsentReplyRejections() {
    return unsentReplyRejections.sum();
  }

  void clientError() {
    clientErrors.increment();
  }

  void rejected() {
    rejectedConnections.increment();
  }

  /** A connection refused for its source address's cap. */
  void rejectedPerAddress() {
    rejectedPerAddress.increment();
  }

  public long rejectedConnectionsPerAddress() {
    return rejectedPerAddress.sum();
  }

  void accepted() {
    acceptedConnections.increment();
  }

  void redirect(ReplyStatus s) {
    redirects[s.ordinal()].increment();
  }

  void retry() {
    retries.increment();
  }

  /** {@code calls} GETs left in one node request. */
  void coalesced(int calls) {
    coalescedGets.add(calls);
  }

  void deadlineClose() {
    deadlineCloses.increment();
  }

  void idleClose() {
    idleCloses.increment();
  }

  void reject(Security s) {
    security[s.ordinal()].increment();
  }

  public long security(Security s) {
    return security[s.ordinal()].sum();
  }

  public long requests(Command c) {
    return requests[c.ordinal()].sum();
  }

  public long requests() {
    long n = 0;
    for (LongAdder a : requests) n += a.sum();
    return n;
  }

  public long failures(UpstreamFailure f) {
    return failures[f.ordinal()].sum();
  }

  /** Every failed request: upstream failures of any kind. */
  public long failures() {
    long n = 0;
    for (LongAdder a : failures) n += a.sum();
    return n;
  }

  public long protocolErrors() {
    return protocolErrors.sum();
  }

  public long incompleteCommandRejections() {
    return incompleteRejections.sum();
  }

  public long clientErrors() {
    return clientErrors.sum();
  }

  public long rejectedConnections() {
    return rejectedConnections.sum();
  }

  public long redirects(ReplyStatus s) {
    return redirects[s.ordinal()].sum();
  }

  public long redirects() {
    long n = 0;
    for (LongAdder a : redirects) n += a.sum();
    return n;
  }

  public long retries() {
    return retries.sum();
  }

  /** GETs that shared a node request with others. */
  public long coalescedGets() {
    return coalescedGets.sum();
  }

  public long deadlineCloses() {
    return deadlineCloses.sum();
  }

  public long idleCloses() {
    return idleCloses.sum();
  }

  public Histogram latency(Command c) {
    return latency[c.ordinal()];
  }

  /** Everything, as Prometheus text. */
  public String prometheus() {
    StringBuilder sb = new StringBuilder(8192);
    header(sb, "fdbmeta_router_requests_total", "counter", "Commands answered, by command.");
    for (Command c : Command.values())
      sample(sb, "fdbmeta_router_requests_total", "command", c.tag, requests[c.ordinal()].sum());
    header(
        sb, "fdbmeta_router_errors_total", "counter", "Failed commands and connections, by kind.");
    for (UpstreamFailure f : UpstreamFailure.values())
      sample(sb, "fdbmeta_router_errors_total", "kind", f.tag, failures[f.ordinal()].sum());
    sample(sb, "fdbmeta_router_errors_total", "kind", "protocol", protocolErrors.sum());
    sample(
        sb,
        "fdbmeta_router_errors_total",
        "kind",
        "incomplete_over_limit",
        incompleteRejections.sum());
    sample(
        sb,
        "fdbmeta_router_errors_total",
        "kind",
        "unsent_replies_over_limit",
        unsentReplyRejections.sum());
    sample(sb, "fdbmeta_router_errors_total", "kind", "client", clientErrors.sum());
    sample(sb, "fdbmeta_router_errors_total", "kind", "rejected", rejectedConnections.sum());
    sample(
        sb,
        "fdbmeta_router_errors_total",
        "kind",
        "rejected_per_address",
        rejectedPerAddress.sum());
    sample(sb, "fdbmeta_router_errors_total", "kind", "deadline", deadlineCloses.sum());
    header(
        sb,
        "fdbmeta_router_redirects_total",
        "counter",
        "Redirect replies from storage nodes, by status.");
    for (ReplyStatus s : ReplyStatus.values()) {
      if (s.redirect)
        sample(
            sb,
            "fdbmeta_router_redirects_total",
            "status",
            s.name().toLowerCase(Locale.ROOT),
            redirects[s.ordinal()].sum());
    }
    header(
        sb,
        "fdbmeta_router_retries_total",
        "counter",
        "Requests sent again after a redirect, overload or lost route.");
    sb.append("fdbmeta_router_retries_total ").append(retries.sum()).append('\n');
    header(
        sb,
        "fdbmeta_router_coalesced_gets_total",
        "counter",
        "GETs sent in one node request with other GETs of the same range.");
    sb.append("fdbmeta_router_coalesced_gets_total ").append(coalescedGets.sum()).append('\n');
    header(
        sb, "fdbmeta_router_connections_accepted_total", "counter", "Client connections accepted.");
    sb.append("fdbmeta_router_connections_accepted_total ")
        .append(acceptedConnections.sum())
        .append('\n');
    header(
        sb,
        "fdbmeta_router_idle_closes_total",
        "counter",
        "Client connections closed for being idle.");
    sb.append("fdbmeta_router_idle_closes_total ").append(idleCloses.sum()).append('\n');
    header(
        sb,
        "fdbmeta_router_security_rejections_total",
        "counter",
        "Failed AUTHs, commands refused before AUTH or for want of permission, failed TLS"
            + " handshakes, connections idle before AUTH.");
    for (Security x : Security.values())
      sample(
          sb,
          "fdbmeta_router_security_rejections_total",
          "kind",
          x.tag,
          security[x.ordinal()].sum());
    header(
        sb,
        "fdbmeta_router_request_seconds",
        "histogram",
        "Command latency in the router, from decoded command to reply written.");
    for (Command c : Command.values()) {
      Histogram h = latency[c.ordinal()];
      if (h.count() == 0) continue;
      long cumulative = 0;
      for (int i = 0; i <= BUCKETS_MICROS.length; i++) {
        cumulative += h.buckets[i].sum();
        String le = i < BUCKETS_MICROS.length ? seconds(BUCKETS_MICROS[i] * 1_000) : "+Inf";
        sb.append("fdbmeta_router_request_seconds_bucket{command=\"")
            .append(c.tag)
            .append("\",le=\"")
            .append(le)
            .append("\"} ")
            .append(cumulative)
            .append('\n');
      }
      sb.append("fdbmeta_router_request_seconds_sum{command=\"")
          .append(c.tag)
          .append("\"} ")
          .append(seconds(h.sumNanos.sum()))
          .append('\n');
      sb.append("fdbmeta_router_request_seconds_count{command=\"")
          .append(c.tag)
          .append("\"} ")
          .append(h.count())
          .append('\n');
    }
    List<Gauge> gs;
    synchronized (this) {
      gs = new ArrayList<>(gauges);
    }
    for (Gauge g : gs) {
      header(sb, g.name(), "gauge", g.help());
      long v;
      try {
        v = g.value().getAsLong();
      } catch (RuntimeException e) {
        continue;
      }
      sb.append(g.name()).append(' ').append(v).append('\n');
    }
    return sb.toString();
  }

  private static void header(StringBuilder sb, String name, String type, String help) {
    sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
    sb.append("# TYPE ").append(name).append(' ').append(type).append('\n');
  }

  private static void sample(StringBuilder sb, String name, String label, String value, long n) {
    sb.append(name)
        .append('{')
        .append(label)
        .append("=\"")
        .append(value)
        .append("\"} ")
        .append(n)
        .append('\n');
  }

  private static String seconds(long nanos) {
    return java.math.BigDecimal.valueOf(nanos, 9).stripTrailingZeros().toPlainString();
  }
}
