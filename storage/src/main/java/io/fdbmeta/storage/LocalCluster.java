package io.fdbmeta.storage;

import com.apple.foundationdb.Database;
import io.fdbmeta.layer.FdbErrors;
import io.fdbmeta.layer.Ids;
import io.fdbmeta.layer.Keyspace;
import io.fdbmeta.layer.LayerConfig;
import io.fdbmeta.layer.LeaseManager;
import io.fdbmeta.layer.MetaException;
import io.fdbmeta.layer.Page;
import io.fdbmeta.layer.RangeCatalog;
import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.layer.control.Controller;
import io.fdbmeta.layer.control.ControllerConfig;
import io.fdbmeta.layer.control.ControllerEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * A small cluster of storage nodes in this JVM, for {@code fdbmeta demo} and tests. Nodes are
 * {@code n1..nN} on 127.0.0.1 with free ports, spread over 3 zones and 2 racks ({@code n1} z1/r1,
 * {@code n2} z2/r1, {@code n3} z3/r1, {@code n4} z1/r2, ...). The cluster's ranges (the initial
 * one, or the pre-split ones) get {@code replication} replicas in distinct zones and a leaseholder
 * each, spread round robin over the zones and each zone's nodes; {@link #start} returns once every
 * range is served. With {@link Options.Builder#controller} it also runs the layer's {@link
 * Controller} (failure detection and failover, re-creating lost replicas, rebalancing), so a killed
 * node's ranges fail over and nodes added later take replicas. Without it, leases move only when
 * released (a stopped node, a leaseholder that cannot replicate): leases ride on their holder's
 * liveness and are free only once the holder is marked DEAD, which the controller does, so a killed
 * leaseholder's ranges wait for it to return; a dead replica also stays in its ranges and blocks
 * their writes.
 *
 * <pre>{@code
 * try (LocalCluster c = LocalCluster.start(db, "demo", LayerConfig.defaults(), LocalCluster.Options.builder().build())) {
 *   StorageNode leader = c.leaseholderOf(c.rangeFor(key).rangeId());
 *   c.split(key);
 * }
 * }</pre>
 *
 * Use a cluster name that is new in the store: nodes keep data in memory only. The database is the
 * caller's; {@link #close} leaves it open.
 */
public final class LocalCluster implements AutoCloseable {
  private final Database db;
  private final Keyspace ks;
  private final LayerConfig layer;
  private final RangeCatalog catalog;
  private final Options options;
  private final Map<String, StorageNodeConfig> configs = new LinkedHashMap<>();
  private final Map<String, StorageNode> running = new LinkedHashMap<>();
  private volatile @Nullable Controller controller;

  private LocalCluster(Database db, Keyspace ks, LayerConfig layer, Options options) {
    this.db = db;
    this.ks = ks;
    this.layer = layer;
    this.catalog = new RangeCatalog(ks, layer);
    this.options = options;
  }

  /**
   * Initializes the cluster's catalog, starts the nodes, places and leases the ranges, and waits
   * until each range has a serving leaseholder.
   *
   * @throws IllegalStateException if the cluster's ranges were already placed (nodes keep data in
   *     memory: use a new cluster name), or ranges are not served within the start timeout (the
   *     nodes are stopped); MetaException or the node's start failure otherwise
   */
  public static LocalCluster start(
      Database db, String cluster, LayerConfig layer, Options options) {
    Keyspace ks = Keyspace.open(db, cluster);
    LocalCluster c = new LocalCluster(db, ks, layer, options);
    try {
      c.boot();
      return c;
    } catch (RuntimeException e) {
      c.close();
      throw e;
    }
  }

  private void boot() {
    RangeDescriptor root = catalog.init(db).first();
    for (RangeDescriptor d : ranges()) {
      if (!d.replicas().isEmpty()) {
        throw new IllegalStateException(
            "cluster '"
                + ks.cluster()
                + "' already has placed ranges ("
                + d
                + "); its nodes kept their data in memory, "
                + "so start a LocalCluster on a new cluster name or an in-memory store");
      }
    }
    List<CompletableFuture<StorageNode>> starting = new ArrayList<>();
    for (int i = 0; i < options.nodes; i++)
      starting.add(StorageNode.startAsync(db, ks, layer, newConfig()));
    for (CompletableFuture<StorageNode> f : starting) {
      StorageNode n = join(f);
      synchronized (running) {
        running.put(n.nodeId(), n);
      }
    }
    if (!options.splitKeys.isEmpty() && ranges().size() == 1) {
      List<byte[]> keys = new ArrayList<>(options.splitKeys);
      keys.sort(Arrays::compareUnsigned);
      List<Long> ids = new ArrayList<>();
      for (int i = 0; i <= keys.size(); i++) ids.add(Ids.newRangeId());
      join(catalog.splitManyAsync(db, Ids.newOpId(), root.rangeId(), keys, ids));
    }
    placeAndLease();
    awaitServing(options.startTimeout);
    if (options.controller != null) {
      ControllerConfig config = options.controller.apply(ControllerConfig.builder()).build();
      controller =
          Controller.start(
              db, ks, layer, config, "controller-" + ks.cluster(), options.controllerListeners);
    }
  }

  /**
   * The next node's settings: id n(k+1) for the k-th node, zones round robin, racks every 3 nodes.
   */
  private StorageNodeConfig newConfig() {
    synchronized (configs) {
      int i = configs.size();
      String id = "n" + (i + 1);
      StorageNodeConfig.Builder b =
          StorageNodeConfig.builder(id)
              .host("127.0.0.1")
              .locality("local", "z" + (i % 3 + 1), "r" + (i / 3 % 2 + 1));
      if (options.respPorts) b.respPort(0);
      StorageNodeConfig config = options.nodeConfig.apply(b).build();
      configs.put(id, config);
      return config;
    }
  }

  /**
   * Gives every range without replicas its replicas and a leaseholder, one transaction per range.
   */
  private void placeAndLease() {
    LeaseManager leases = new LeaseManager(catalog);
    int i = 0;
    for (RangeDescriptor d : ranges()) {
      if (!d.replicas().isEmpty()) continue;
      List<String> placement = placement(i++);
      join(
          db.runAsync(
              tr -> {
                CompletableFuture<RangeDescriptor> added = CompletableFuture.completedFuture(d);
                for (String n : placement)
                  added = added.thenCompose(x -> catalog.addReplicaAsync(tr, d.rangeId(), n, -1));
                return added.thenCompose(
                    x -> leases.acquireAsync(tr, d.rangeId(), placement.get(0)));
              }));
    }
  }

  /**
   * The replicas of the i-th range, its leaseholder first: one node from each of {@code
   * replication} zones, starting at zone i mod zones and rotating through each zone's nodes, so
   * replicas and leases spread over every node; then other nodes if zones are fewer than replicas.
   */
  private List<String> placement(int i) {
    Map<String, List<String>> byZone = new LinkedHashMap<>();
    for (StorageNodeConfig c : configs.values())
      byZone.computeIfAbsent(c.locality().zone(), z -> new ArrayList<>()).add(c.nodeId());
    List<List<String>> zones = new ArrayList<>(byZone.values());
    List<String> out = new ArrayList<>();
    for (int j = 0; j < zones.size() && out.size() < options.replication; j++) {
      List<String> members = zones.get((i + j) % zones.size());
      out.add(members.get((i / zones.size() + j) % members.size()));
    }
    for (StorageNodeConfig c : configs.values()) {
      if (out.size() < options.replication && !out.contains(c.nodeId())) out.add(c.nodeId());
    }
    return out;
  }

  // ---------------------------------------------------------------- what is there

  public Database database() {
    return db;
  }

  public Keyspace keyspace() {
    return ks;
  }

  public LayerConfig layerConfig() {
    return layer;
  }

  public RangeCatalog catalog() {
    return catalog;
  }

  /** The controller this cluster runs, if its options asked for one. */
  public Optional<Controller> controller() {
    return Optional.ofNullable(controller);
  }

  /** The running nodes, in id order. */
  public List<StorageNode> nodes() {
    synchronized (running) {
      return List.copyOf(running.values());
    }
  }

  /**
   * @throws IllegalArgumentException if no node by that id is running
   */
  public StorageNode node(String nodeId) {
    synchronized (running) {
      StorageNode n = running.get(nodeId);
      if (n == null)
        throw new IllegalArgumentException(
            "no running node " + nodeId + " (running: " + running.keySet() + ")");
      return n;
    }
  }

  /** Every range, from the catalog, in key order. */
  public List<RangeDescriptor> ranges() {
    List<RangeDescriptor> out = new ArrayList<>();
    byte[] cursor = null;
    do {
      Page<RangeDescriptor> p = catalog.list(db, cursor, 1000);
      out.addAll(p.items());
      cursor = p.nextCursor();
    } while (cursor != null);
    return out;
  }

  /** The range holding {@code key}, from the catalog. */
  public RangeDescriptor rangeFor(byte[] key) {
    return catalog.lookup(db, key);
  }

  /** The running node the catalog names leaseholder of the range. */
  public StorageNode leaseholderOf(long rangeId) {
    RangeDescriptor d =
        catalog
            .get(db, rangeId)
            .orElseThrow(() -> new IllegalArgumentException("no range " + rangeId));
    if (d.leaseholder() == null)
      throw new IllegalStateException("range " + rangeId + " has no leaseholder");
    return node(d.leaseholder());
  }

  /** True if every replica on a running node holds its range's data. */
  public boolean runningReplicasSynced() {
    for (RangeDescriptor d : ranges()) {
      for (String n : d.replicas()) {
        StorageNode node = runningNode(n);
        if (node != null && !node.isSynced(d.rangeId())) return false;
      }
    }
    return true;
  }

  /** True if every replica of every range is on a running node and holds its data. */
  public boolean allReplicasSynced() {
    for (RangeDescriptor d : ranges()) {
      for (String n : d.replicas()) {
        StorageNode node = runningNode(n);
        if (node == null || !node.isSynced(d.rangeId())) return false;
      }
    }
    return true;
  }

  /**
   * The running node that leads the most ranges, among those whose zone has another running node
   * (so placement can re-create its replicas if it dies); ties go to the lowest id. Empty if no
   * node shares its zone.
   */
  public Optional<String> busiestReplaceableNode() {
    List<StorageNode> nodes = nodes();
    List<RangeDescriptor> ranges = ranges();
    return nodes.stream()
        .filter(
            n ->
                nodes.stream()
                    .anyMatch(
                        m ->
                            m != n
                                && m.config()
                                    .locality()
                                    .zone()
                                    .equals(n.config().locality().zone())))
        .max(
            Comparator.<StorageNode>comparingLong(
                    n -> ranges.stream().filter(d -> n.nodeId().equals(d.leaseholder())).count())
                .thenComparing(StorageNode::nodeId, Comparator.reverseOrder()))
        .map(StorageNode::nodeId);
  }

  // ---------------------------------------------------------------- doing things

  /**
   * Splits the range holding {@code key} at {@code key}, run by its leaseholder (two-phase, while
   * serving).
   */
  public CompletableFuture<RangeCatalog.SplitResult> splitAsync(byte[] key) {
    RangeDescriptor d = rangeFor(key);
    return leaseholderOf(d.rangeId()).splitAsync(d.rangeId(), key);
  }

  public RangeCatalog.SplitResult split(byte[] key) {
    return join(splitAsync(key));
  }

  /**
   * Waits until every range has a leaseholder that is running here and serves it, and every running
   * node's route table knows each range at least as recent as the catalog read.
   *
   * @throws IllegalStateException naming the ranges not served (or not known everywhere) in time
   */
  public void awaitServing(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<RangeDescriptor> unserved;
    do {
      unserved = new ArrayList<>();
      List<StorageNode> nodes = nodes();
      for (RangeDescriptor d : ranges()) {
        StorageNode n = d.leaseholder() == null ? null : runningNode(d.leaseholder());
        if (n == null || !n.isServing(d.rangeId()) || !nodes.stream().allMatch(m -> knows(m, d)))
          unserved.add(d);
      }
      if (unserved.isEmpty()) return;
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for ranges to be served", e);
      }
    } while (System.nanoTime() - deadline < 0);
    throw new IllegalStateException("ranges not served within " + timeout + ": " + unserved);
  }

  private static boolean knows(StorageNode n, RangeDescriptor d) {
    RangeDescriptor known = n.routes().byId(d.rangeId());
    return known != null
        && known.generation() >= d.generation()
        && known.leaseEpoch() >= d.leaseEpoch();
  }

  private @Nullable StorageNode runningNode(String nodeId) {
    synchronized (running) {
      return running.get(nodeId);
    }
  }

  /** Stops a node gracefully (it releases its leases). */
  public void stop(String nodeId) {
    node(nodeId).close();
    synchronized (running) {
      running.remove(nodeId);
    }
  }

  /**
   * Stops a node abruptly, as a crash would: its leases end when the controller marks it DEAD (none
   * runs without {@link Options.Builder#controller}).
   */
  public void kill(String nodeId) {
    node(nodeId).kill();
    synchronized (running) {
      running.remove(nodeId);
    }
  }

  /**
   * Starts one more node, the next in the locality pattern (n7 after six: zone z1, rack r1). It
   * joins empty; the controller's rebalancer, if running, moves replicas onto it.
   */
  public StorageNode addNode() {
    StorageNode n = StorageNode.start(db, ks, layer, newConfig());
    synchronized (running) {
      running.put(n.nodeId(), n);
    }
    return n;
  }

  /**
   * Starts a stopped or killed node again with the same settings: a new process (incarnation) on a
   * new port, which copies its ranges' data before serving.
   */
  public StorageNode restart(String nodeId) {
    StorageNodeConfig config;
    synchronized (configs) {
      config = configs.get(nodeId);
    }
    if (config == null)
      throw new IllegalArgumentException("no node " + nodeId + " in this cluster");
    synchronized (running) {
      if (running.containsKey(nodeId))
        throw new IllegalStateException("node " + nodeId + " is running");
    }
    StorageNode n = StorageNode.start(db, ks, layer, config);
    synchronized (running) {
      running.put(nodeId, n);
    }
    return n;
  }

  /**
   * Stops the controller (it resigns), then every node gracefully, in parallel. The database stays
   * open.
   */
  @Override
  public void close() {
    Controller c = controller;
    controller = null;
    if (c != null) c.stop();
    List<StorageNode> all;
    synchronized (running) {
      all = List.copyOf(running.values());
      running.clear();
    }
    List<CompletableFuture<Void>> closing = new ArrayList<>();
    for (StorageNode n : all) closing.add(CompletableFuture.runAsync(n::close));
    CompletableFuture.allOf(closing.toArray(new CompletableFuture<?>[0])).join();
  }

  private static <T> T join(CompletableFuture<T> f) {
    try {
      return f.join();
    } catch (CompletionException e) {
      Throwable c = FdbErrors.cause(e);
      if (c instanceof MetaException || c instanceof RuntimeException) throw (RuntimeException) c;
      throw e;
    }
  }

  // ---------------------------------------------------------------- options

  /** How to build the cluster; validated when built. */
  public static final class Options {
    private final int nodes;
    private final int replication;
    private final List<byte[]> splitKeys;
    private final boolean respPorts;
    private final UnaryOperator<StorageNodeConfig.Builder> nodeConfig;
    private final Duration startTimeout;
    private final @Nullable UnaryOperator<ControllerConfig.Builder> controller;
    private final List<Consumer<ControllerEvent>> controllerListeners;

    private Options(Builder b) {
      this.nodes = b.nodes;
      this.replication = Math.min(b.replication, b.nodes);
      this.splitKeys = List.copyOf(b.splitKeys);
      this.respPorts = b.respPorts;
      this.nodeConfig = b.nodeConfig;
      this.startTimeout = b.startTimeout;
      this.controller = b.controller;
      this.controllerListeners = List.copyOf(b.controllerListeners);
    }

    public static Builder builder() {
      return new Builder();
    }

    public static final class Builder {
      private int nodes = 6;
      private int replication = 3;
      private List<byte[]> splitKeys = List.of();
      private boolean respPorts;
      private UnaryOperator<StorageNodeConfig.Builder> nodeConfig = b -> b;
      private Duration startTimeout = Duration.ofSeconds(20);
      private @Nullable UnaryOperator<ControllerConfig.Builder> controller;
      private final List<Consumer<ControllerEvent>> controllerListeners = new ArrayList<>();

      private Builder() {}

      /** Nodes to start (default 6: 3 zones x 2 racks). */
      public Builder nodes(int n) {
        if (n < 1 || n > 64)
          throw new IllegalArgumentException("nodes must be in [1, 64], got " + n);
        this.nodes = n;
        return this;
      }

      /** Replicas per range (default 3, at most the node count). */
      public Builder replication(int n) {
        if (n < 1) throw new IllegalArgumentException("replication must be >= 1, got " + n);
        this.replication = n;
        return this;
      }

      /** Keys to pre-split the initial range at, before it carries traffic. */
      public Builder splitKeys(List<byte[]> keys) {
        for (byte[] k : keys) Objects.requireNonNull(k, "split key");
        if (keys.size() > RangeCatalog.MAX_SPLIT_KEYS)
          throw new IllegalArgumentException(
              "at most " + RangeCatalog.MAX_SPLIT_KEYS + " split keys, got " + keys.size());
        this.splitKeys = List.copyOf(keys);
        return this;
      }

      /** Whether every node also opens a RESP port (ephemeral). */
      public Builder respPorts(boolean on) {
        this.respPorts = on;
        return this;
      }

      /**
       * Adjusts each node's config (timeouts, intervals, TLS) after the cluster set id, host and
       * locality; a second call adjusts after the first.
       */
      public Builder nodeConfig(UnaryOperator<StorageNodeConfig.Builder> adjust) {
        Objects.requireNonNull(adjust, "nodeConfig");
        UnaryOperator<StorageNodeConfig.Builder> before = this.nodeConfig;
        this.nodeConfig = b -> adjust.apply(before.apply(b));
        return this;
      }

      public Builder startTimeout(Duration d) {
        if (d.isNegative() || d.isZero())
          throw new IllegalArgumentException("startTimeout must be positive, got " + d);
        this.startTimeout = d;
        return this;
      }

      /**
       * Runs a controller once the ranges are served (default: none), with these settings. It
       * commits a replica move once the range's replicas have marked their copies complete in the
       * store (ReplicaSyncMarks), as a controller in another process would.
       */
      public Builder controller(UnaryOperator<ControllerConfig.Builder> settings) {
        this.controller = Objects.requireNonNull(settings, "controller");
        return this;
      }

      /** Receives every event of the controller from its first tick on. */
      public Builder controllerListener(Consumer<ControllerEvent> listener) {
        controllerListeners.add(Objects.requireNonNull(listener, "listener"));
        return this;
      }

      public Options build() {
        return new Options(this);
      }
    }
  }
}
