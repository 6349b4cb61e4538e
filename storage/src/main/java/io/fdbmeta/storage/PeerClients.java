package io.fdbmeta.storage;

import com.apple.foundationdb.Database;
import io.fdbmeta.layer.FdbErrors;
import io.fdbmeta.layer.NodeRecord;
import io.fdbmeta.layer.NodeRegistry;
import io.fdbmeta.wire.NodeReply;
import io.fdbmeta.wire.NodeRequest;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;

/**
 * Connections to the other storage nodes, by node id. Addresses come from the node registry and are
 * cached until a request to the node fails for a reason other than a timeout (the node may have
 * restarted on another port). Thread-safe.
 */
final class PeerClients implements AutoCloseable {
  private final Database db;
  private final NodeRegistry registry;
  private final EventLoopGroup group;
  private final int maxFrameBytes;
  private final int connectTimeoutMillis;
  private final ConcurrentHashMap<String, CompletableFuture<String>> addresses =
      new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, NodeClient> clients = new ConcurrentHashMap<>();
  private volatile boolean closed;

  PeerClients(
      Database db,
      NodeRegistry registry,
      EventLoopGroup group,
      int maxFrameBytes,
      int connectTimeoutMillis) {
    this.db = db;
    this.registry = registry;
    this.group = group;
    this.maxFrameBytes = maxFrameBytes;
    this.connectTimeoutMillis = connectTimeoutMillis;
  }

  /**
   * Sends {@code request} to {@code nodeId}.
   *
   * @return the reply; fails as {@link NodeClient#send} does, or with IllegalStateException if the
   *     node is not registered
   */
  CompletableFuture<NodeReply> send(String nodeId, NodeRequest request, long timeoutMillis) {
    if (closed)
      return CompletableFuture.failedFuture(new IllegalStateException("peer clients are closed"));
    return addressOf(nodeId)
        .thenCompose(address -> client(address).send(request, timeoutMillis))
        .whenComplete(
            (r, e) -> {
              if (e != null && !(FdbErrors.cause(e) instanceof TimeoutException)) forget(nodeId);
            });
  }

  /** The node's registered address ("host:port"), cached. */
  CompletableFuture<String> addressOf(String nodeId) {
    CompletableFuture<String> f =
        addresses.computeIfAbsent(
            nodeId,
            id ->
                registry
                    .getAsync(db, id)
                    .thenApply(
                        rec ->
                            rec.map(NodeRecord::address)
                                .orElseThrow(
                                    () ->
                                        new IllegalStateException(
                                            "node " + id + " is not registered"))));
    if (f.isCompletedExceptionally()) addresses.remove(nodeId, f);
    return f;
  }

  /** The cached address if known, for messages; never blocks. */
  String knownAddress(String nodeId) {
    CompletableFuture<String> f = addresses.get(nodeId);
    return f != null && f.isDone() && !f.isCompletedExceptionally() ? f.join() : "?";
  }

  void forget(String nodeId) {
    CompletableFuture<String> f = addresses.remove(nodeId);
    if (f != null && f.isDone() && !f.isCompletedExceptionally()) {
      NodeClient c = clients.remove(f.join());
      if (c != null) c.close();
    }
  }

  private NodeClient client(String address) {
    return clients.computeIfAbsent(
        address, a -> new NodeClient(group, parse(a), maxFrameBytes, connectTimeoutMillis));
  }

  static InetSocketAddress parse(String address) {
    int colon = address.lastIndexOf(':');
    if (colon <= 0 || colon == address.length() - 1)
      throw new IllegalArgumentException("address must be host:port, got '" + address + "'");
    try {
      return new InetSocketAddress(
          address.substring(0, colon), Integer.parseInt(address.substring(colon + 1)));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("address must be host:port, got '" + address + "'");
    }
  }

  @Override
  public void close() {
    closed = true;
    clients.values().forEach(NodeClient::close);
    clients.clear();
  }
}
