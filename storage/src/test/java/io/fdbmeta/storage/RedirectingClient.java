package io.fdbmeta.storage;

import com.apple.foundationdb.tuple.ByteArrayUtil;
import io.fdbmeta.layer.ChangeEvent;
import io.fdbmeta.layer.NodeRecord;
import io.fdbmeta.layer.NodeRegistry;
import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.layer.Versionstamps;
import io.fdbmeta.layer.route.RouteTable;
import io.fdbmeta.wire.NodeCodec;
import io.fdbmeta.wire.NodeOp;
import io.fdbmeta.wire.NodeReply;
import io.fdbmeta.wire.NodeRequest;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The smallest client that routes like a router should: a local route table loaded once, a request
 * addressed with (rangeId, generation, epoch) to the table's leaseholder, and on a redirect the
 * node's descriptor applied before retrying; OVERLOADED and connection failures retry with backoff.
 * Everything else, and an exhausted budget, is a failed request.
 */
final class RedirectingClient implements AutoCloseable {
  private final LocalCluster cluster;
  private final NodeRegistry registry;
  private final EventLoopGroup group =
      new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final RouteTable table = new RouteTable();
  private final ConcurrentHashMap<String, NodeClient> clients = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, String> addresses = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong();
  final AtomicLong redirects = new AtomicLong();
  final AtomicLong retries = new AtomicLong();

  RedirectingClient(LocalCluster cluster) {
    this.cluster = cluster;
    this.registry = new NodeRegistry(cluster.keyspace(), cluster.layerConfig());
    table.replaceAll(cluster.ranges(), Versionstamps.ORIGIN);
  }

  /** One attempt, no retries: what the node answers to the table's current header. */
  NodeReply once(NodeOp op, byte[][] keys, byte[][] values) throws Exception {
    RangeDescriptor d = table.lookup(keys[0]);
    return client(d.leaseholder()).send(request(op, d, keys, values), 5000).get();
  }

  /** A request routed to the leaseholder with redirects and retries; throws if it fails. */
  NodeReply call(NodeOp op, byte[][] keys, byte[][] values) throws Exception {
    String last = "no attempt";
    for (int attempt = 0; attempt < 200; attempt++) {
      RangeDescriptor d = table.lookup(keys[0]);
      if (d == null || d.leaseholder() == null) {
        last = "no leaseholder known for the key";
        refresh(keys[0]);
        pause(attempt);
        continue;
      }
      NodeReply r;
      try {
        r = client(d.leaseholder()).send(request(op, d, keys, values), 5000).get();
      } catch (ExecutionException e) {
        last = Async.describe(e);
        retries.incrementAndGet();
        addresses.remove(d.leaseholder());
        refresh(keys[0]);
        pause(attempt);
        continue;
      }
      switch (r.status()) {
        case OK:
        case NOT_FOUND:
          return r;
        case WRONG_RANGE:
        case STALE_EPOCH:
        case NOT_LEASEHOLDER:
          redirects.incrementAndGet();
          last = r.status() + ": " + r.message();
          RangeDescriptor theirs =
              r.descriptor() == null ? null : RangeDescriptor.decode(r.descriptor());
          if (theirs != null) table.apply(ChangeEvent.upsert(theirs));
          if (theirs == null
              || theirs.equals(d)
              || theirs.leaseholder() == null
              || attempt % 10 == 9) {
            refresh(keys[0]);
            pause(attempt);
          }
          break;
        case OVERLOADED:
          retries.incrementAndGet();
          last = "OVERLOADED: " + r.message();
          pause(attempt);
          break;
        default:
          throw new IllegalStateException(op + " failed: " + r.status() + ": " + r.message());
      }
    }
    throw new IllegalStateException(
        op
            + " of "
            + ByteArrayUtil.printable(keys[0])
            + " failed after 200 attempts; last: "
            + last);
  }

  private NodeRequest request(NodeOp op, RangeDescriptor d, byte[][] keys, byte[][] values) {
    return new NodeRequest(
        ids.incrementAndGet(), op, d.rangeId(), d.generation(), d.leaseEpoch(), 0, keys, values);
  }

  private void refresh(byte[] key) {
    try {
      table.apply(ChangeEvent.upsert(cluster.rangeFor(key)));
    } catch (RuntimeException e) {
      // the catalog will answer next time
    }
  }

  private static void pause(int attempt) throws InterruptedException {
    Thread.sleep(Math.min(50, 1L << Math.min(attempt, 6)));
  }

  private NodeClient client(String nodeId) {
    String address =
        addresses.computeIfAbsent(
            nodeId,
            id -> registry.get(cluster.database(), id).map(NodeRecord::address).orElseThrow());
    return clients.computeIfAbsent(
        address,
        a -> new NodeClient(group, PeerClients.parse(a), NodeCodec.DEFAULT_MAX_FRAME_BYTES, 1000));
  }

  @Override
  public void close() {
    clients.values().forEach(NodeClient::close);
    group.shutdownGracefully(0, 100, TimeUnit.MILLISECONDS).awaitUninterruptibly(2000);
  }
}
