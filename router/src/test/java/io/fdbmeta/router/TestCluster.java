package io.fdbmeta.router;

import com.apple.foundationdb.Database;
import io.fdbmeta.embedded.EmbeddedFdb;
import io.fdbmeta.layer.Keyspace;
import io.fdbmeta.layer.LayerConfig;
import io.fdbmeta.layer.LeaseManager;
import io.fdbmeta.layer.NodeRecord;
import io.fdbmeta.layer.NodeRegistry;
import io.fdbmeta.layer.Page;
import io.fdbmeta.layer.RangeCatalog;
import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.layer.route.ChangeFeed;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;

/** An embedded catalog, fake storage nodes registered in it, and routers started against it. */
final class TestCluster implements AutoCloseable {
  final Database db = EmbeddedFdb.inMemory();
  final Keyspace ks = Keyspace.open(db, "test");
  final LayerConfig layer = LayerConfig.defaults();
  final RangeCatalog catalog = new RangeCatalog(ks, layer);
  final NodeRegistry registry = new NodeRegistry(ks, layer);
  final LeaseManager leases = new LeaseManager(catalog);
  final ConcurrentSkipListMap<byte[], byte[]> data = FakeNode.newData();
  final Map<String, FakeNode> nodes = new LinkedHashMap<>();
  final List<Router> routers = new ArrayList<>();
  final RangeDescriptor root;

  /** A catalog with one root range, replicated on and leased to the first of {@code nodeIds}. */
  TestCluster(String... nodeIds) {
    root = catalog.bootstrapAsync(db).join();
    for (String id : nodeIds) addNode(id);
    for (String id : nodeIds) catalog.addReplicaAsync(db, root.rangeId(), id, -1).join();
    leases.acquire(db, root.rangeId(), nodeIds[0]);
    syncNodes();
  }

  FakeNode addNode(String id) {
    FakeNode n = new FakeNode(id, data);
    nodes.put(id, n);
    registry.register(
        db,
        new NodeRegistry.Registration(
            id,
            n.address(),
            new NodeRecord.Locality("r", "z-" + id, "rack-" + id),
            new NodeRecord.Capacity(1L << 40, 8)),
        UUID.randomUUID().toString());
    return n;
  }

  FakeNode node(String id) {
    return nodes.get(id);
  }

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  List<RangeDescriptor> ranges() {
    List<RangeDescriptor> out = new ArrayList<>();
    byte[] cursor = null;
    do {
      Page<RangeDescriptor> p = catalog.list(db, cursor, 1000);
      out.addAll(p.items());
      cursor = p.nextCursor();
    } while (cursor != null);
    return out;
  }

  RangeDescriptor rangeOf(String key) {
    return catalog.lookup(db, b(key));
  }

  /**
   * Every fake node learns the catalog's current descriptors (as nodes do through their own
   * follower).
   */
  void syncNodes() {
    List<RangeDescriptor> all = ranges();
    for (FakeNode n : nodes.values()) {
      n.held.clear();
      for (RangeDescriptor d : all) n.hold(d);
    }
  }

  RangeCatalog.SplitResult split(String key) {
    return catalog.split(db, rangeOf(key).rangeId(), b(key));
  }

  /** Moves the lease of the range holding {@code key} to {@code to} (already a replica). */
  void moveLease(String key, String to) {
    RangeDescriptor d = rangeOf(key);
    leases.transfer(db, d.rangeId(), d.leaseholder(), d.leaseEpoch(), to);
  }

  Router router(Consumer<RouterConfig.Builder> tune) {
    RouterConfig.Builder b =
        RouterConfig.builder()
            .port(0)
            .adminPort(0)
            .ioThreads(2)
            .feedOptions(ChangeFeed.Options.builder().pollInterval(Duration.ofMillis(50)).build());
    tune.accept(b);
    Router r = Router.start(b.build(), db, ks);
    routers.add(r);
    return r;
  }

  Router router() {
    return router(b -> {});
  }

  static void await(
      String what, Duration timeout, BooleanSupplier condition, Supplier<String> state) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline)
        throw new AssertionError(
            "timed out after " + timeout + " waiting for " + what + ": " + state.get());
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  @Override
  public void close() {
    for (Router r : routers) r.close();
    for (FakeNode n : nodes.values()) n.close();
    db.close();
  }
}
