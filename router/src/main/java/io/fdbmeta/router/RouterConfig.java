package io.fdbmeta.router;

import io.fdbmeta.layer.route.ChangeFeed;
import io.fdbmeta.wire.ClusterTls;
import io.fdbmeta.wire.NodeCodec;
import io.fdbmeta.wire.RespDecoder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * How a router runs. Built with {@link #builder()}; every setting is validated when set, with a
 * message naming it. Defaults suit a local demo: RESP on 127.0.0.1:6380, admin HTTP on an ephemeral
 * port of 127.0.0.1.
 */
public final class RouterConfig {
  private final String host;
  private final int port;
  private final String adminHost;
  private final int adminPort;
  private final String cluster;
  private final long routeCacheBytes;
  private final double fillFraction;
  private final int loadPageSize;
  private final ChangeFeed.Options feedOptions;
  private final int ioThreads;
  private final int maxConnections;
  private final int maxConnectionsPerAddress;
  private final int maxInFlightPerConnection;
  private final Duration requestTimeout;
  private final Duration idleTimeout;
  private final Duration unauthenticatedIdleTimeout;
  private final Duration connectTimeout;
  private final int maxAttempts;
  private final Duration backoffBase;
  private final Duration backoffMax;
  private final Duration drainTimeout;
  private final int writeLowWaterMark;
  private final int writeHighWaterMark;
  private final RespDecoder.Limits respLimits;
  private final long incompleteBytesPerConnection;
  private final long incompleteBytesTotal;
  private final long unsentReplyBytesPerConnection;
  private final long unsentReplyBytesTotal;
  private final int nodeMaxFrameBytes;
  private final int rangeDefaultLimit;
  private final int rangeMaxLimit;
  private final @Nullable Users users;
  private final @Nullable Tls tls;
  private final @Nullable ClusterTls clusterTls;

  /**
   * TLS on the RESP port: the server's certificate chain and private key (PEM, the key PKCS#8
   * unencrypted), and optionally the CA (PEM) whose certificates clients must present.
   */
  public record Tls(Path cert, Path key, @Nullable Path clientCa, boolean requireClientCert) {}

  private RouterConfig(Builder b) {
    this.host = b.host;
    this.port = b.port;
    this.adminHost = b.adminHost;
    this.adminPort = b.adminPort;
    this.cluster = b.cluster;
    this.routeCacheBytes = b.routeCacheBytes;
    this.fillFraction = b.fillFraction;
    this.loadPageSize = b.loadPageSize;
    this.feedOptions = b.feedOptions;
    this.ioThreads = b.ioThreads;
    this.maxConnections = b.maxConnections;
    this.maxConnectionsPerAddress = b.maxConnectionsPerAddress;
    this.maxInFlightPerConnection = b.maxInFlightPerConnection;
    this.requestTimeout = b.requestTimeout;
    this.idleTimeout = b.idleTimeout;
    this.unauthenticatedIdleTimeout = b.unauthenticatedIdleTimeout;
    this.connectTimeout = b.connectTimeout;
    this.maxAttempts = b.maxAttempts;
    this.backoffBase = b.backoffBase;
    this.backoffMax = b.backoffMax;
    this.drainTimeout = b.drainTimeout;
    this.writeLowWaterMark = b.writeLowWaterMark;
    this.writeHighWaterMark = b.writeHighWaterMark;
    this.respLimits = b.respLimits;
    this.incompleteBytesPerConnection = b.incompleteBytesPerConnection;
    this.incompleteBytesTotal = b.incompleteBytesTotal;
    this.unsentReplyBytesPerConnection = b.unsentReplyBytesPerConnection;
    this.unsentReplyBytesTotal = b.unsentReplyBytesTotal;
    this.nodeMaxFrameBytes = b.nodeMaxFrameBytes;
    this.rangeDefaultLimit = b.rangeDefaultLimit;
    this.rangeMaxLimit = b.rangeMaxLimit;
    this.users = b.users;
    this.tls = b.tls;
    this.clusterTls = b.clusterTls;
    if (backoffMax.compareTo(backoffBase) < 0)
      throw new IllegalArgumentException(
          "backoffMax " + backoffMax + " must be >= backoffBase " + backoffBase);
    if (writeLowWaterMark > writeHighWaterMark) {
      throw new IllegalArgumentException(
          "writeLowWaterMark "
              + writeLowWaterMark
              + " must be <= writeHighWaterMark "
              + writeHighWaterMark);
    }
    if (incompleteBytesPerConnection < respLimits.maxCommandBytes())
      throw new IllegalArgumentException(
          "incomplete command bytes per connection "
              + incompleteBytesPerConnection
              + " must be >= the RESP limit of "
              + respLimits.maxCommandBytes()
              + " command bytes, or legal commands are refused");
    if (rangeDefaultLimit > rangeMaxLimit)
      throw new IllegalArgumentException(
          "rangeDefaultLimit " + rangeDefaultLimit + " must be <= rangeMaxLimit " + rangeMaxLimit);
  }

  public static RouterConfig defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public String host() {
    return host;
  }

  /** RESP port; 0 picks a free one (see {@link Router#address()}). */
  public int port() {
    return port;
  }

  /** The admin HTTP port's address (127.0.0.1 unless set: metrics and health are not public). */
  public String adminHost() {
    return adminHost;
  }

  /** Admin HTTP port; 0 picks a free one, -1 disables it. */
  public int adminPort() {
    return adminPort;
  }

  /** The fdbmeta cluster whose catalog routes requests. */
  public String cluster() {
    return cluster;
  }

  public long routeCacheBytes() {
    return routeCacheBytes;
  }

  public double fillFraction() {
    return fillFraction;
  }

  public int loadPageSize() {
    return loadPageSize;
  }

  public ChangeFeed.Options feedOptions() {
    return feedOptions;
  }

  public int ioThreads() {
    return ioThreads;
  }

  public int maxConnections() {
    return maxConnections;
  }

  /** Most client connections open at once from one source IP address. */
  public int maxConnectionsPerAddress() {
    return maxConnectionsPerAddress;
  }

  public int maxInFlightPerConnection() {
    return maxInFlightPerConnection;
  }

  public Duration requestTimeout() {
    return requestTimeout;
  }

  public Duration idleTimeout() {
    return idleTimeout;
  }

  /** With users on, how long a connection that has not authenticated may stay idle. */
  public Duration unauthenticatedIdleTimeout() {
    return unauthenticatedIdleTimeout;
  }

  public Duration connectTimeout() {
    return connectTimeout;
  }

  public int maxAttempts() {
    return maxAttempts;
  }

  public Duration backoffBase() {
    return backoffBase;
  }

  public Duration backoffMax() {
    return backoffMax;
  }

  public Duration drainTimeout() {
    return drainTimeout;
  }

  public int writeLowWaterMark() {
    return writeLowWaterMark;
  }

  public int writeHighWaterMark() {
    return writeHighWaterMark;
  }

  public RespDecoder.Limits respLimits() {
    return respLimits;
  }

  /** Most bytes one connection's incomplete command may hold (see {@link RespDecoder}). */
  public long incompleteBytesPerConnection() {
    return incompleteBytesPerConnection;
  }

  /** Most bytes the incomplete commands of all connections may hold together. */
  public long incompleteBytesTotal() {
    return incompleteBytesTotal;
  }

  /**
   * Most reply bytes one connection may have written beyond its write high-water mark (replies of
   * commands that started while it was writable and were answered after it stopped being so).
   */
  public long unsentReplyBytesPerConnection() {
    return unsentReplyBytesPerConnection;
  }

  /** Most reply bytes all connections together may have written beyond their high-water marks. */
  public long unsentReplyBytesTotal() {
    return unsentReplyBytesTotal;
  }

  public int nodeMaxFrameBytes() {
    return nodeMaxFrameBytes;
  }

  public int rangeDefaultLimit() {
    return rangeDefaultLimit;
  }

  public int rangeMaxLimit() {
    return rangeMaxLimit;
  }

  /** The users a client must authenticate as (AUTH, HELLO AUTH), or null: auth off. */
  public @Nullable Users users() {
    return users;
  }

  /** TLS on the RESP port, or null: plaintext. */
  public @Nullable Tls tls() {
    return tls;
  }

  /** Mutual TLS toward the storage nodes, with the router's certificate, or null: plaintext. */
  public @Nullable ClusterTls clusterTls() {
    return clusterTls;
  }

  /** Builder; each setter validates its argument. */
  public static final class Builder {
    private String host = "127.0.0.1";
    private int port = 6380;
    private String adminHost = "127.0.0.1";
    private int adminPort = 0;
    private String cluster = "default";
    private long routeCacheBytes = 256L << 20;
    private double fillFraction = 0.9;
    private int loadPageSize = 10_000;
    private ChangeFeed.Options feedOptions = ChangeFeed.Options.defaults();
    private int ioThreads = Math.max(1, Runtime.getRuntime().availableProcessors());
    private int maxConnections = 10_000;
    private int maxConnectionsPerAddress = 1_000;
    private int maxInFlightPerConnection = 1_024;
    private Duration requestTimeout = Duration.ofSeconds(5);
    private Duration idleTimeout = Duration.ofMinutes(5);
    private Duration unauthenticatedIdleTimeout = Duration.ofSeconds(10);
    private Duration connectTimeout = Duration.ofSeconds(2);
    private int maxAttempts = 8;
    private Duration backoffBase = Duration.ofMillis(1);
    private Duration backoffMax = Duration.ofMillis(100);
    private Duration drainTimeout = Duration.ofSeconds(10);
    private int writeLowWaterMark = 64 << 10;
    private int writeHighWaterMark = 256 << 10;
    private RespDecoder.Limits respLimits = RespDecoder.Limits.DEFAULT;
    private long incompleteBytesPerConnection = 96L << 20;
    private long incompleteBytesTotal = 512L << 20;
    private long unsentReplyBytesPerConnection = 96L << 20;
    private long unsentReplyBytesTotal = 512L << 20;
    private int nodeMaxFrameBytes = NodeCodec.DEFAULT_MAX_FRAME_BYTES;
    private int rangeDefaultLimit = 100;
    private int rangeMaxLimit = 10_000;
    private @Nullable Users users;
    private @Nullable Tls tls;
    private @Nullable ClusterTls clusterTls;

    private Builder() {}

    /** Turns authentication on with these users; null turns it off (the default). */
    public Builder users(@Nullable Users u) {
      this.users = u;
      return this;
    }

    /**
     * Turns TLS on for the RESP port (null: off, the default). The files must be readable; a client
     * certificate can only be required with a CA to check it against.
     */
    public Builder tls(@Nullable Tls t) {
      if (t != null) {
        readable(t.cert(), "TLS certificate");
        readable(t.key(), "TLS key");
        if (t.clientCa() != null) readable(t.clientCa(), "TLS client CA");
        else if (t.requireClientCert())
          throw new IllegalArgumentException(
              "requiring a client certificate needs a CA file to check it against");
      }
      this.tls = t;
      return this;
    }

    /**
     * Connects to storage nodes over mutual TLS with this material (a certificate with OU=router;
     * see ClusterTls), or plaintext if null, the default. Nodes of a cluster with TLS refuse
     * plaintext connections.
     */
    public Builder clusterTls(@Nullable ClusterTls t) {
      this.clusterTls = t;
      return this;
    }

    private static void readable(Path p, String what) {
      if (!Files.isReadable(p))
        throw new IllegalArgumentException(what + " file " + p + " is missing or unreadable");
    }

    public Builder host(String h) {
      this.host = Objects.requireNonNull(h, "host");
      return this;
    }

    public Builder port(int p) {
      if (p < 0 || p > 65535)
        throw new IllegalArgumentException("port must be in [0, 65535], got " + p);
      this.port = p;
      return this;
    }

    public Builder adminHost(String h) {
      this.adminHost = Objects.requireNonNull(h, "adminHost");
      return this;
    }

    public Builder adminPort(int p) {
      if (p < -1 || p > 65535)
        throw new IllegalArgumentException("adminPort must be in [-1, 65535] (-1: off), got " + p);
      this.adminPort = p;
      return this;
    }

    public Builder cluster(String c) {
      if (Objects.requireNonNull(c, "cluster").isEmpty())
        throw new IllegalArgumentException("cluster must not be empty");
      this.cluster = c;
      return this;
    }

    /** Estimated bytes of descriptors the route cache may hold (at least 1 KiB). */
    public Builder routeCacheBytes(long n) {
      if (n < 1024) throw new IllegalArgumentException("routeCacheBytes must be >= 1024, got " + n);
      this.routeCacheBytes = n;
      return this;
    }

    /** How full the start-up load fills the route cache, in (0, 1]. */
    public Builder fillFraction(double f) {
      if (!(f > 0 && f <= 1))
        throw new IllegalArgumentException("fillFraction must be in (0, 1], got " + f);
      this.fillFraction = f;
      return this;
    }

    /** Descriptors per catalog read when filling the cache. */
    public Builder loadPageSize(int n) {
      if (n < 1 || n > 100_000)
        throw new IllegalArgumentException("loadPageSize must be in [1, 100000], got " + n);
      this.loadPageSize = n;
      return this;
    }

    public Builder feedOptions(ChangeFeed.Options o) {
      this.feedOptions = Objects.requireNonNull(o, "feedOptions");
      return this;
    }

    public Builder ioThreads(int n) {
      if (n < 1 || n > 1024)
        throw new IllegalArgumentException("ioThreads must be in [1, 1024], got " + n);
      this.ioThreads = n;
      return this;
    }

    public Builder maxConnections(int n) {
      if (n < 1) throw new IllegalArgumentException("maxConnections must be >= 1, got " + n);
      this.maxConnections = n;
      return this;
    }

    /**
     * Client connections open at once from one source IP address; one more is told {@code -ERR max
     * number of clients reached for this address} and closed. Default 1,000, a tenth of the default
     * total (Redis's maxclients, 10,000): an application host's connection pools rarely hold more
     * than a few hundred, and one host that leaks connections, or one attacker's address, then
     * takes at most a tenth of the router. Behind a TCP load balancer (without the PROXY protocol)
     * every client has the balancer's address: set this to maxConnections there.
     */
    public Builder maxConnectionsPerAddress(int n) {
      if (n < 1)
        throw new IllegalArgumentException("maxConnectionsPerAddress must be >= 1, got " + n);
      this.maxConnectionsPerAddress = n;
      return this;
    }

    /**
     * Commands one client connection may have in flight before the router stops reading from it.
     */
    public Builder maxInFlightPerConnection(int n) {
      if (n < 1 || n > 1_000_000)
        throw new IllegalArgumentException(
            "maxInFlightPerConnection must be in [1, 1000000], got " + n);
      this.maxInFlightPerConnection = n;
      return this;
    }

    /** Longest a command may take, from its first byte to its reply, retries included. */
    public Builder requestTimeout(Duration d) {
      this.requestTimeout = positive(d, "requestTimeout");
      return this;
    }

    /**
     * A connection that sent no command for this long and has none in flight is closed (checked
     * once per idle timeout).
     */
    public Builder idleTimeout(Duration d) {
      this.idleTimeout = positive(d, "idleTimeout");
      return this;
    }

    /**
     * With users on, a connection that has not authenticated (or was RESET) and sent no command for
     * this long is closed, and counted as {@code
     * fdbmeta_router_security_rejections_total{kind="unauthenticated_idle"}}. Default 10 s: a
     * client authenticates right after it connects, and an idle unauthenticated connection is only
     * a slot taken from the connection caps. An authenticated connection's idle time is counted in
     * steps of this timeout (so checked up to this much late). At most the idle timeout.
     */
    public Builder unauthenticatedIdleTimeout(Duration d) {
      this.unauthenticatedIdleTimeout = positive(d, "unauthenticatedIdleTimeout");
      return this;
    }

    public Builder connectTimeout(Duration d) {
      this.connectTimeout = positive(d, "connectTimeout");
      return this;
    }

    /**
     * Sends of one command part to storage nodes, first one included, while redirects and lost
     * connections retry; OVERLOADED replies retry until the request timeout whatever this says.
     */
    public Builder maxAttempts(int n) {
      if (n < 1 || n > 100)
        throw new IllegalArgumentException("maxAttempts must be in [1, 100], got " + n);
      this.maxAttempts = n;
      return this;
    }

    public Builder backoffBase(Duration d) {
      this.backoffBase = positive(d, "backoffBase");
      return this;
    }

    public Builder backoffMax(Duration d) {
      this.backoffMax = positive(d, "backoffMax");
      return this;
    }

    /** How long {@link Router#close()} waits for commands in flight. */
    public Builder drainTimeout(Duration d) {
      this.drainTimeout = positive(d, "drainTimeout");
      return this;
    }

    /**
     * Bytes of unsent replies at which a client connection stops being read (high) and resumes
     * (low).
     */
    public Builder writeWaterMarks(int low, int high) {
      if (low < 1 || high < low)
        throw new IllegalArgumentException(
            "write water marks need 1 <= low <= high, got " + low + ", " + high);
      this.writeLowWaterMark = low;
      this.writeHighWaterMark = high;
      return this;
    }

    public Builder respLimits(RespDecoder.Limits l) {
      this.respLimits = Objects.requireNonNull(l, "respLimits");
      return this;
    }

    /**
     * Memory that commands still arriving may hold: per connection (at least the RESP limits'
     * command bytes), and all connections together. A connection over either gets {@code -ERR} and
     * is closed; others are not affected.
     */
    public Builder incompleteCommandBytes(long perConnection, long total) {
      if (perConnection < 1 || total < perConnection)
        throw new IllegalArgumentException(
            "incomplete command bytes need 1 <= per connection <= total, got "
                + perConnection
                + ", "
                + total);
      this.incompleteBytesPerConnection = perConnection;
      this.incompleteBytesTotal = total;
      return this;
    }

    /**
     * Memory that replies past a connection's write high-water mark may hold: per connection, and
     * all connections together. A command starts only while its connection is writable, but its
     * reply may come after the connection stopped being so (a client that pipelines GETs of large
     * values and does not read); those bytes count here until the connection drains below its low
     * mark. A connection whose reply would go over either bound is closed without that reply (its
     * client is not reading anyway); others are not affected. Defaults 96 MiB (a reply of the
     * largest value fits) and 512 MiB, as the incomplete-command bounds.
     */
    public Builder unsentReplyBytes(long perConnection, long total) {
      if (perConnection < 1 || total < perConnection)
        throw new IllegalArgumentException(
            "unsent reply bytes need 1 <= per connection <= total, got "
                + perConnection
                + ", "
                + total);
      this.unsentReplyBytesPerConnection = perConnection;
      this.unsentReplyBytesTotal = total;
      return this;
    }

    public Builder nodeMaxFrameBytes(int n) {
      if (n < 1024)
        throw new IllegalArgumentException("nodeMaxFrameBytes must be >= 1024, got " + n);
      this.nodeMaxFrameBytes = n;
      return this;
    }

    /** Pairs a RANGE command returns without LIMIT, and the most it may ask for. */
    public Builder rangeLimits(int defaultLimit, int maxLimit) {
      if (defaultLimit < 1 || maxLimit < defaultLimit)
        throw new IllegalArgumentException(
            "range limits need 1 <= default <= max, got " + defaultLimit + ", " + maxLimit);
      this.rangeDefaultLimit = defaultLimit;
      this.rangeMaxLimit = maxLimit;
      return this;
    }

    private static Duration positive(Duration d, String name) {
      Objects.requireNonNull(d, name);
      if (d.isNegative() || d.isZero())
        throw new IllegalArgumentException(name + " must be positive, got " + d);
      return d;
    }

    public RouterConfig build() {
      return new RouterConfig(this);
    }
  }
}
