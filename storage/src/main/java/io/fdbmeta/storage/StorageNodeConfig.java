package io.fdbmeta.storage;

import io.fdbmeta.layer.LayerConfig;
import io.fdbmeta.layer.NodeRecord;
import io.fdbmeta.wire.ClusterTls;
import io.fdbmeta.wire.NodeCodec;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/** A node's settings; validated when built. */
public final class StorageNodeConfig {
  final String nodeId;
  final String host;
  final int port;
  final int respPort;
  final String region;
  final String zone;
  final String rack;
  final NodeRecord.Capacity capacity;
  final @Nullable Duration heartbeatInterval;
  final @Nullable Duration leaseRenewInterval;
  final Duration replicationTimeout;
  final Duration drainTimeout;
  final Duration routePollInterval;
  final int maxFrameBytes;
  final int ioThreads;
  final int maxConnections;
  final int maxConnectionsPerAddress;
  final Duration idleTimeout;
  final long maxPartialFrameBytes;
  final long respIncompleteBytesPerConnection;
  final long respIncompleteBytesTotal;
  final @Nullable ClusterTls tls;

  private StorageNodeConfig(Builder b) {
    this.nodeId = b.nodeId;
    this.host = b.host;
    this.port = b.port;
    this.respPort = b.respPort;
    this.region = b.region;
    this.zone = b.zone;
    this.rack = b.rack;
    this.capacity = b.capacity;
    this.heartbeatInterval = b.heartbeatInterval;
    this.leaseRenewInterval = b.leaseRenewInterval;
    this.replicationTimeout = b.replicationTimeout;
    this.drainTimeout = b.drainTimeout;
    this.routePollInterval = b.routePollInterval;
    this.maxFrameBytes = b.maxFrameBytes;
    this.ioThreads = b.ioThreads;
    this.maxConnections = b.maxConnections;
    this.maxConnectionsPerAddress = Math.min(b.maxConnectionsPerAddress, b.maxConnections);
    this.idleTimeout = b.idleTimeout;
    this.maxPartialFrameBytes = Math.max(b.maxPartialFrameBytes, b.maxFrameBytes);
    this.respIncompleteBytesPerConnection = b.respIncompleteBytesPerConnection;
    this.respIncompleteBytesTotal = b.respIncompleteBytesTotal;
    this.tls = b.tls;
  }

  /**
   * @throws IllegalArgumentException if the node id is not 1-128 characters of [A-Za-z0-9._:-]
   */
  public static Builder builder(String nodeId) {
    return new Builder(nodeId);
  }

  public String nodeId() {
    return nodeId;
  }

  public String host() {
    return host;
  }

  /** The node protocol port; 0 picks a free one. */
  public int port() {
    return port;
  }

  /** The RESP port; 0 picks a free one, -1 means none. */
  public int respPort() {
    return respPort;
  }

  public NodeRecord.Locality locality() {
    return new NodeRecord.Locality(region, zone, rack);
  }

  public NodeRecord.Capacity capacity() {
    return capacity;
  }

  /** Liveness renewal period: as set, else a third of the layer's liveness duration. */
  public Duration heartbeatInterval(LayerConfig layer) {
    return heartbeatInterval != null
        ? heartbeatInterval
        : Duration.ofMillis(Math.max(10, layer.livenessMillis() / 3));
  }

  /** Lease renewal period: as set, else a third of the layer's lease duration. */
  public Duration leaseRenewInterval(LayerConfig layer) {
    return leaseRenewInterval != null
        ? leaseRenewInterval
        : Duration.ofMillis(Math.max(10, layer.leaseMillis() / 3));
  }

  /**
   * @throws IllegalArgumentException if heartbeats or renewals would come too late for the layer's
   *     liveness and lease durations
   */
  void validateAgainst(LayerConfig layer) {
    long hb = heartbeatInterval(layer).toMillis();
    if (hb >= layer.livenessMillis()) {
      throw new IllegalArgumentException(
          "heartbeatInterval "
              + hb
              + " ms must be shorter than the liveness duration "
              + layer.livenessMillis()
              + " ms");
    }
    long renew = leaseRenewInterval(layer).toMillis();
    long serving = layer.leaseMillis() - layer.maxClockOffsetMillis();
    if (renew >= serving) {
      throw new IllegalArgumentException(
          "leaseRenewInterval "
              + renew
              + " ms must be shorter than the time a lease serves ("
              + serving
              + " ms: lease duration minus max clock offset)");
    }
  }

  /** How long a write may take to reach every replica before it is answered as not acknowledged. */
  public Duration replicationTimeout() {
    return replicationTimeout;
  }

  /** How long close() waits for writes and requests in flight. */
  public Duration drainTimeout() {
    return drainTimeout;
  }

  public static final class Builder {
    private final String nodeId;
    private String host = "127.0.0.1";
    private int port;
    private int respPort = -1;
    private String region = "local";
    private String zone = "z1";
    private String rack = "r1";
    private NodeRecord.Capacity capacity =
        new NodeRecord.Capacity(1L << 40, Runtime.getRuntime().availableProcessors());
    private @Nullable Duration heartbeatInterval;
    private @Nullable Duration leaseRenewInterval;
    private Duration replicationTimeout = Duration.ofSeconds(2);
    private Duration drainTimeout = Duration.ofSeconds(5);
    private Duration routePollInterval = Duration.ofSeconds(1);
    private int maxFrameBytes = NodeCodec.DEFAULT_MAX_FRAME_BYTES;
    private int ioThreads = 2;
    private int maxConnections = 1024;
    private int maxConnectionsPerAddress = 256;
    private Duration idleTimeout = Duration.ofMinutes(5);
    private long maxPartialFrameBytes = 256L << 20;
    private long respIncompleteBytesPerConnection = 96L << 20;
    private long respIncompleteBytesTotal = 512L << 20;
    private @Nullable ClusterTls tls;

    private Builder(String nodeId) {
      if (nodeId.isEmpty() || nodeId.length() > 128 || !nodeId.matches("[A-Za-z0-9._:-]+")) {
        throw new IllegalArgumentException(
            "node id must be 1-128 characters of [A-Za-z0-9._:-], got '" + nodeId + "'");
      }
      this.nodeId = nodeId;
    }

    /** The address to bind and to register (peers and routers connect to it); default 127.0.0.1. */
    public Builder host(String host) {
      if (host.isBlank() || host.equals("0.0.0.0") || host.equals("::")) {
        throw new IllegalArgumentException(
            "host must be an address others can connect to (it is registered), got '" + host + "'");
      }
      this.host = host;
      return this;
    }

    /** Node protocol port, 0 (default) for a free one. */
    public Builder port(int port) {
      this.port = checkPort("port", port, false);
      return this;
    }

    /** RESP port, 0 for a free one, -1 (default) for none. */
    public Builder respPort(int port) {
      this.respPort = checkPort("respPort", port, true);
      return this;
    }

    public Builder locality(String region, String zone, String rack) {
      this.region = Objects.requireNonNull(region, "region");
      this.zone = Objects.requireNonNull(zone, "zone");
      this.rack = Objects.requireNonNull(rack, "rack");
      return this;
    }

    public Builder zone(String zone) {
      this.zone = Objects.requireNonNull(zone, "zone");
      return this;
    }

    public Builder rack(String rack) {
      this.rack = Objects.requireNonNull(rack, "rack");
      return this;
    }

    public Builder capacity(long diskBytes, double cpuCores) {
      if (diskBytes < 0 || cpuCores < 0)
        throw new IllegalArgumentException(
            "capacity must be >= 0, got " + diskBytes + " bytes, " + cpuCores + " cores");
      this.capacity = new NodeRecord.Capacity(diskBytes, cpuCores);
      return this;
    }

    public Builder heartbeatInterval(Duration d) {
      this.heartbeatInterval = positive("heartbeatInterval", d);
      return this;
    }

    public Builder leaseRenewInterval(Duration d) {
      this.leaseRenewInterval = positive("leaseRenewInterval", d);
      return this;
    }

    public Builder replicationTimeout(Duration d) {
      this.replicationTimeout = positive("replicationTimeout", d);
      return this;
    }

    public Builder drainTimeout(Duration d) {
      this.drainTimeout = positive("drainTimeout", d);
      return this;
    }

    /** The route follower's safety-net poll, beside its watch. */
    public Builder routePollInterval(Duration d) {
      this.routePollInterval = positive("routePollInterval", d);
      return this;
    }

    /**
     * The largest node protocol frame this node accepts, in payload bytes (the 4-byte length prefix
     * not counted), and the largest reply it builds: a reply that would be larger fails its request
     * with ERROR.
     */
    public Builder maxFrameBytes(int bytes) {
      if (bytes < 1024)
        throw new IllegalArgumentException("maxFrameBytes must be >= 1024, got " + bytes);
      this.maxFrameBytes = bytes;
      return this;
    }

    /**
     * Node protocol connections open at once (routers, peers); one more is closed as it is
     * accepted. Default 1024.
     */
    public Builder maxConnections(int n) {
      if (n < 1) throw new IllegalArgumentException("maxConnections must be >= 1, got " + n);
      this.maxConnections = n;
      return this;
    }

    /**
     * Node protocol connections open at once from one source IP address; one more gets OVERLOADED
     * and is closed as it is accepted. Default 256, a quarter of the default total: a router opens
     * one connection per I/O thread to each node, a peer node a few, so even a host running several
     * routers and nodes stays far below it, while one address (a leaking or hostile client) can
     * take at most a quarter of the port. At most maxConnections.
     */
    public Builder maxConnectionsPerAddress(int n) {
      if (n < 1)
        throw new IllegalArgumentException("maxConnectionsPerAddress must be >= 1, got " + n);
      this.maxConnectionsPerAddress = n;
      return this;
    }

    /**
     * A node protocol connection on which no whole frame arrived and no reply left for this long is
     * closed (a partial frame trickling in does not count). Default 5 minutes.
     */
    public Builder idleTimeout(Duration d) {
      this.idleTimeout = positive("idleTimeout", d);
      return this;
    }

    /**
     * Bytes that incomplete frames of all node protocol connections may hold together (a frame
     * reserves its announced length); a connection whose frame does not fit is closed. At least
     * maxFrameBytes; default 256 MiB.
     */
    public Builder maxPartialFrameBytes(long bytes) {
      if (bytes < 1024)
        throw new IllegalArgumentException("maxPartialFrameBytes must be >= 1024, got " + bytes);
      this.maxPartialFrameBytes = bytes;
      return this;
    }

    /**
     * Memory that commands still arriving on the RESP port may hold: per connection, and all
     * connections together (as the router's incompleteCommandBytes, and the same defaults: 96 MiB
     * and 512 MiB). A connection over either gets {@code -ERR} and is closed.
     */
    public Builder respIncompleteCommandBytes(long perConnection, long total) {
      if (perConnection < 1 || total < perConnection)
        throw new IllegalArgumentException(
            "RESP incomplete command bytes need 1 <= per connection <= total, got "
                + perConnection
                + ", "
                + total);
      this.respIncompleteBytesPerConnection = perConnection;
      this.respIncompleteBytesTotal = total;
      return this;
    }

    /**
     * Mutual TLS on the node protocol (and the node's RESP port): connections only from
     * certificates of the cluster's CA, peer operations only from node certificates, and this
     * node's own connections to peers with its certificate. Default none (plaintext).
     */
    public Builder tls(@Nullable ClusterTls tls) {
      this.tls = tls;
      return this;
    }

    public Builder ioThreads(int n) {
      if (n < 1 || n > 64)
        throw new IllegalArgumentException("ioThreads must be in [1, 64], got " + n);
      this.ioThreads = n;
      return this;
    }

    public StorageNodeConfig build() {
      return new StorageNodeConfig(this);
    }

    private static int checkPort(String what, int port, boolean allowNone) {
      if (port < (allowNone ? -1 : 0) || port > 65535)
        throw new IllegalArgumentException(
            what + " must be in [" + (allowNone ? -1 : 0) + ", 65535], got " + port);
      return port;
    }

    private static Duration positive(String what, Duration d) {
      Objects.requireNonNull(d, what);
      if (d.isNegative() || d.isZero())
        throw new IllegalArgumentException(what + " must be positive, got " + d);
      return d;
    }
  }
}
