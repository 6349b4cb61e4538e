package io.fdbmeta.router;

import io.fdbmeta.layer.NodeRecord;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * Storage node addresses from the node registry, cached. A node is read once; it is read again when
 * the router cannot connect to it or loses its connection (at most once per {@code refreshInterval}
 * per node), since a restarted node may come back at another address.
 */
final class NodeDirectory {
  /** A storage node as the router knows it; the address changes in place when refreshed. */
  static final class Node {
    final String id;
    volatile InetSocketAddress address;
    volatile long refreshedAtNanos;

    Node(String id, InetSocketAddress address, long now) {
      this.id = id;
      this.address = address;
      this.refreshedAtNanos = now;
    }

    @Override
    public String toString() {
      return id + "@" + address;
    }
  }

  private final Function<String, CompletableFuture<Optional<NodeRecord>>> source;
  private final LongSupplier nanoTime;
  private final long refreshIntervalNanos;
  private final ConcurrentHashMap<String, Node> nodes = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, CompletableFuture<Node>> reading =
      new ConcurrentHashMap<>();

  NodeDirectory(
      Function<String, CompletableFuture<Optional<NodeRecord>>> source,
      LongSupplier nanoTime,
      long refreshIntervalNanos) {
    this.source = Objects.requireNonNull(source, "source");
    this.nanoTime = nanoTime;
    this.refreshIntervalNanos = refreshIntervalNanos;
  }

  /** The node if already known; never blocks. */
  @Nullable Node known(String nodeId) {
    return nodes.get(nodeId);
  }

  /**
   * The node with this id, read from the registry if not known yet.
   *
   * @return fails with {@link UnknownNodeException} if the registry has no such node or its address
   *     cannot be parsed, or with the store's error
   */
  CompletableFuture<Node> resolve(String nodeId) {
    Node n = nodes.get(nodeId);
    if (n != null) return CompletableFuture.completedFuture(n);
    return read(nodeId);
  }

  /** Reads the node's address again, unless it was read within the refresh interval. */
  void refresh(Node n) {
    long now = nanoTime.getAsLong();
    if (now - n.refreshedAtNanos < refreshIntervalNanos) return;
    n.refreshedAtNanos = now;
    read(n.id);
  }

  private CompletableFuture<Node> read(String nodeId) {
    CompletableFuture<Node> mine = new CompletableFuture<>();
    CompletableFuture<Node> running = reading.putIfAbsent(nodeId, mine);
    if (running != null) return running;
    CompletableFuture<Optional<NodeRecord>> f;
    try {
      f = source.apply(nodeId);
    } catch (RuntimeException e) {
      f = CompletableFuture.failedFuture(e);
    }
    f.whenComplete(
        (rec, e) -> {
          reading.remove(nodeId, mine);
          if (e != null) {
            mine.completeExceptionally(e);
            return;
          }
          if (rec.isEmpty()) {
            mine.completeExceptionally(
                new UnknownNodeException("node " + nodeId + " is not registered"));
            return;
          }
          InetSocketAddress address;
          try {
            address = parse(rec.get().address());
          } catch (IllegalArgumentException bad) {
            mine.completeExceptionally(
                new UnknownNodeException(
                    "node " + nodeId + " has an unusable address: " + bad.getMessage()));
            return;
          }
          Node n =
              nodes.compute(
                  nodeId,
                  (id, old) -> {
                    if (old == null) return new Node(id, address, nanoTime.getAsLong());
                    old.address = address;
                    return old;
                  });
          mine.complete(n);
        });
    return mine;
  }

  /**
   * Parses "host:port" or "[v6]:port" into an unresolved address (Netty resolves it when
   * connecting).
   */
  static InetSocketAddress parse(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    if (colon <= 0 || colon == hostPort.length() - 1)
      throw new IllegalArgumentException("'" + hostPort + "' is not host:port");
    String host = hostPort.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
    int port;
    try {
      port = Integer.parseInt(hostPort.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + hostPort + "' has no numeric port");
    }
    if (port < 1 || port > 65535)
      throw new IllegalArgumentException("port " + port + " out of range");
    return InetSocketAddress.createUnresolved(host, port);
  }

  /** The registry does not know the node, or its address is unusable. */
  static final class UnknownNodeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UnknownNodeException(String message) {
      super(message, null, false, false);
    }
  }
}
