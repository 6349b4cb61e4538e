package io.fdbmeta.storage;

import com.apple.foundationdb.Database;
import io.fdbmeta.layer.FdbErrors;
import io.fdbmeta.layer.NodeRecord;
import io.fdbmeta.layer.NodeRegistry;
import io.fdbmeta.wire.ClusterTls;
import io.fdbmeta.wire.NodeOp;
import io.fdbmeta.wire.NodeReply;
import io.fdbmeta.wire.NodeRequest;
import io.fdbmeta.wire.ReplyStatus;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * Connections to the other storage nodes, by node id. Addresses come from the node registry and are
 * cached until a request to the node fails for a reason other than a timeout (the node may have
 * restarted on another port). Each node gets a peer connection, which says HELLO first, and
 * separately a plain one for VOUCH (see {@link PeerAuth}). Thread-safe.
 */
final class PeerClients implements AutoCloseable {
  private static final long HELLO_ID = Long.MIN_VALUE;

  private final String me;
  private final PeerAuth auth;
  private final Database db;
  private final NodeRegistry registry;
  private final EventLoopGroup group;
  private final int maxFrameBytes;
  private final int connectTimeoutMillis;
  private final @Nullable ClusterTls tls;
  private final ConcurrentHashMap<String, CompletableFuture<String>> addresses =
      new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, NodeClient> clients = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, NodeClient> plain = new ConcurrentHashMap<>();
  private final AtomicLong vouchIds = new AtomicLong();
  private volatile boolean closed;

  /** Peers this node cannot reach (a fault hook for partition tests); empty in production. */
  private volatile Set<String> unreachable = Set.of();

  PeerClients(
      String me,
      PeerAuth auth,
      Database db,
      NodeRegistry registry,
      EventLoopGroup group,
      int maxFrameBytes,
      int connectTimeoutMillis,
      @Nullable ClusterTls tls) {
    this.me = me;
    this.tls = tls;
    this.auth = auth;
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
    if (unreachable.contains(nodeId))
      return CompletableFuture.failedFuture(
          new java.net.ConnectException("connection to " + nodeId + " refused (partitioned)"));
    return addressOf(nodeId)
        .thenCompose(address -> client(nodeId, address).send(request, timeoutMillis))
        .whenComplete(
            (r, e) -> {
              if (e != null && !(FdbErrors.cause(e) instanceof TimeoutException)) forget(nodeId);
            });
  }

  /**
   * Asks {@code nodeId}, at its registered address, whether it issued {@code token} on a connection
   * to this node.
   *
   * @return its incarnation if it did, 0 if it did not; fails as {@link #send} does. Either way the
   *     cached address is dropped, in case the node moved
   */
  CompletableFuture<Long> vouch(String nodeId, byte[] token, long timeoutMillis) {
    if (closed)
      return CompletableFuture.failedFuture(new IllegalStateException("peer clients are closed"));
    NodeRequest ask =
        new NodeRequest(
            -vouchIds.incrementAndGet(),
            NodeOp.VOUCH,
            0,
            0,
            0,
            0,
            new byte[][] {token, me.getBytes(StandardCharsets.UTF_8)},
            new byte[0][]);
    return addressOf(nodeId)
        .thenCompose(
            address ->
                plain
                    .computeIfAbsent(
                        address,
                        a ->
                            new NodeClient(
                                group, parse(a), maxFrameBytes, connectTimeoutMillis, tls, null))
                    .send(ask, timeoutMillis))
        .thenApply(reply -> reply.status() == ReplyStatus.OK ? reply.number() : 0L)
        .whenComplete(
            (incarnation, e) -> {
              // the node may have restarted elsewhere: read its address again next time
              if (e != null || incarnation == 0) forget(nodeId);
            });
  }

  /**
   * Fault hook for tests: from now on every request to these peers fails as a refused connection (a
   * network partition between this node and them); an empty set heals it.
   */
  void partitionFrom(Set<String> nodeIds) {
    unreachable = Set.copyOf(nodeIds);
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
      for (ConcurrentHashMap<String, NodeClient> m : List.of(clients, plain)) {
        NodeClient c = m.remove(f.join());
        if (c != null) c.close();
      }
    }
  }

  private NodeClient client(String nodeId, String address) {
    return clients.computeIfAbsent(
        address,
        a ->
            new NodeClient(
                group,
                parse(a),
                maxFrameBytes,
                connectTimeoutMillis,
                tls,
                new NodeClient.Handshake() {
                  @Override
                  public NodeRequest hello() {
                    return new NodeRequest(
                        HELLO_ID,
                        NodeOp.HELLO,
                        0,
                        0,
                        0,
                        0,
                        new byte[][] {me.getBytes(StandardCharsets.UTF_8), auth.issue(nodeId)},
                        new byte[0][]);
                  }

                  @Override
                  public void closed(NodeRequest hello) {
                    auth.withdraw(hello.keys()[1]);
                  }
                }));
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
    for (ConcurrentHashMap<String, NodeClient> m : List.of(clients, plain)) {
      m.values().forEach(NodeClient::close);
      m.clear();
    }
  }
}
