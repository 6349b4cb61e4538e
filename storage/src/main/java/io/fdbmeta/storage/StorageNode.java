package io.fdbmeta.storage;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.tuple.Versionstamp;
import io.fdbmeta.layer.ChangeEvent;
import io.fdbmeta.layer.FdbErrors;
import io.fdbmeta.layer.Keyspace;
import io.fdbmeta.layer.LayerConfig;
import io.fdbmeta.layer.Lease;
import io.fdbmeta.layer.LeaseManager;
import io.fdbmeta.layer.NodeLiveness;
import io.fdbmeta.layer.NodeRecord;
import io.fdbmeta.layer.NodeRegistry;
import io.fdbmeta.layer.RangeCatalog;
import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.layer.ReplicaSyncMarks;
import io.fdbmeta.layer.SchemaVersion;
import io.fdbmeta.layer.route.ChangeFeed;
import io.fdbmeta.layer.route.RouteFollower;
import io.fdbmeta.layer.route.RouteSnapshot;
import io.fdbmeta.layer.route.RouteTable;
import io.fdbmeta.wire.ClusterTls;
import io.fdbmeta.wire.RespDecoder;
import io.fdbmeta.wire.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/*
 * A storage node assembled from small parts, each named for what it does:
 *
 *   NodePortInitializer                the node protocol port's pipeline and limits
 *   NodeRequestHandler / RespHandler   Netty ends of the node protocol and RESP ports
 *   RequestProcessor                   header check (LeaseGuard + key bounds) and the ops
 *   DataStore                          one unsigned-ordered map with per-key write versions
 *   ReplicaSet / Replica               the ranges this node replicates, from the change feed
 *   Replicator                         leaseholder -> other replicas, before acknowledging
 *   RangeFetcher                       a joining replica copies its range with FETCH
 *   SyncReporter                       tells the store which replicas hold all their data
 *   LeaseKeeper                        acquires leases, gives up unreplicable ones (policy in its header)
 *   Heartbeats                         liveness with load
 *   RangeSplitter / LeaseHandover      two-phase split, lease transfer and release
 *   PeerClients / NodeClient           connections to the other nodes
 *   PeerAuth                           which peer a node protocol connection is (HELLO, VOUCH)
 *
 * Threads: Netty's event loops run requests (nothing there blocks: data is in memory, replication
 * and catalog calls are asynchronous); one timer thread runs ticks, retries and backoffs; the
 * RouteFollower's thread applies catalog changes; database callbacks run on the database's
 * executor. Time comes from the LayerConfig's clock; timeouts use System.nanoTime.
 */
/**
 * The reference storage node: keeps data in memory per range, serves it under the layer's leases
 * over the node protocol (and optionally RESP), and replicates every write to the range's other
 * replicas before acknowledging it. Built only on the public {@code io.fdbmeta.layer} API.
 *
 * <pre>{@code
 * StorageNode n = StorageNode.start(db, keyspace, layerConfig, StorageNodeConfig.builder("n1").zone("z1").build());
 * n.address();                 // "127.0.0.1:41234", as registered
 * n.splitAsync(rangeId, key);  // on the leaseholder
 * n.close();                   // drain, release leases, stop
 * }</pre>
 */
public final class StorageNode implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(StorageNode.class.getName());

  /** Leases per transaction when the node hands over or releases many (transferLeasesAsync). */
  public static final int LEASE_BATCH = LeaseHandover.BATCH;

  /** What close() allows each batch of lease releases, beyond the drain timeout. */
  private static final long RELEASE_BATCH_MILLIS = 1000;

  /**
   * Replies written during one read (or one loop turn, for replies completed later) leave in one
   * flush, up to this many.
   */
  static final int FLUSH_BATCH = 256;

  /**
   * Unsent reply bytes at which a RESP connection stops being served and read (high), and resumes
   * (low): the router's defaults.
   */
  static final WriteBufferWaterMark RESP_WATER_MARK = new WriteBufferWaterMark(64 << 10, 256 << 10);

  private enum State {
    STARTING,
    RUNNING,
    CLOSING,
    CLOSED
  }

  private final StorageNodeConfig config;
  private final LayerConfig layer;
  private final Database db;
  private final NodeRegistry registry;
  private final RangeCatalog catalog;
  private final EventLoopGroup group;
  private final ScheduledThreadPoolExecutor timer;
  private final ChannelGroup channels =
      new DefaultChannelGroup("storage-node", GlobalEventExecutor.INSTANCE);
  private final List<Channel> listeners = new ArrayList<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final RespDecoder.Budget respIncomplete; // what the RESP port's partial commands hold
  private final LongAdder respIncompleteRejections = new LongAdder();
  private final AtomicLong fetchIds = new AtomicLong();
  private final AtomicBoolean catchUpRunning = new AtomicBoolean();
  private final AtomicReference<State> state = new AtomicReference<>(State.STARTING);

  private final DataStore store = new DataStore();
  private final ReplicaSet replicas;
  private final RouteFollower follower;
  private final RequestProcessor processor;
  private final PeerClients peers;
  private final Replicator replicator;
  private final LeaseKeeper keeper;
  private final RangeFetcher fetcher;
  private final RangeSplitter splitter;
  private final LeaseHandover handover;
  private final Heartbeats heartbeats;
  private final SyncReporter syncReporter;

  private volatile @Nullable InetSocketAddress nodeAddress;
  private volatile @Nullable InetSocketAddress respAddress;
  private volatile @Nullable NodePortInitializer port;
  private volatile long incarnation;

  /** This process's liveness as of its last committed registration or heartbeat. */
  private final NodeLiveness liveness = new NodeLiveness();

  private StorageNode(Database db, Keyspace ks, LayerConfig layer, StorageNodeConfig config) {
    this.config = config;
    this.respIncomplete = new RespDecoder.Budget(config.respIncompleteBytesTotal);
    this.layer = layer;
    this.db = db;
    String me = config.nodeId;
    this.registry = new NodeRegistry(ks, layer);
    this.catalog = new RangeCatalog(ks, layer);
    LeaseManager leases = new LeaseManager(catalog);
    this.group =
        new MultiThreadIoEventLoopGroup(
            config.ioThreads,
            new DefaultThreadFactory("storage-" + me + "-io"),
            Transport.preferred().ioHandlerFactory());
    this.timer =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "storage-" + me + "-timer");
              t.setDaemon(true);
              return t;
            });
    timer.setRemoveOnCancelPolicy(true);
    this.replicas =
        new ReplicaSet(
            me,
            layer,
            new ReplicaSet.Hooks() {
              @Override
              public void syncNeeded(Replica r) {
                fetcher.start(r);
              }

              @Override
              public void leaseNeeded(Replica r) {
                keeper.attend(r);
              }

              @Override
              public void dropped(Span span) {
                store.clear(span.start(), span.end());
              }
            },
            liveness);
    this.follower =
        new RouteFollower(
            db,
            ks,
            ChangeFeed.Options.builder()
                .clock(layer.clock())
                .pollInterval(config.routePollInterval)
                .build());
    PeerAuth auth = new PeerAuth();
    this.peers =
        new PeerClients(
            me,
            auth,
            db,
            registry,
            group,
            config.maxFrameBytes,
            (int) Math.min(Integer.MAX_VALUE, config.replicationTimeout.toMillis()),
            config.tls);
    this.replicator =
        new Replicator(
            me,
            replicas,
            peers,
            timer,
            config.replicationTimeout.toMillis(),
            this::catchUp,
            layer::now);
    this.processor =
        new RequestProcessor(
            me,
            auth,
            config.maxFrameBytes,
            replicas,
            store,
            new RequestProcessor.Environment() {
              @Override
              public void catchUp() {
                StorageNode.this.catchUp();
              }

              @Override
              public @Nullable RangeDescriptor routeOf(byte[] key) {
                return follower.table().lookup(key);
              }

              @Override
              public CompletableFuture<Void> replicate(
                  ReplicatedWrite write, List<String> targets) {
                return replicator.replicate(write, targets);
              }

              @Override
              public void leaseAttention(Replica r) {
                keeper.attend(r);
              }

              @Override
              public CompletableFuture<Long> vouch(String node, byte[] token) {
                return peers.vouch(node, token, config.replicationTimeout.toMillis());
              }
            },
            layer.clock());
    this.keeper = new LeaseKeeper(me, db, leases, replicas, liveness, registry, layer, timer);
    this.syncReporter =
        new SyncReporter(me, db, new ReplicaSyncMarks(ks), replicas, timer, () -> incarnation);
    this.fetcher =
        new RangeFetcher(
            me,
            store,
            peers,
            timer,
            config.replicationTimeout.toMillis(),
            this::catchUp,
            r -> {
              keeper.attend(r);
              syncReporter.nudge();
            },
            () -> -fetchIds.incrementAndGet());
    this.splitter = new RangeSplitter(me, db, catalog, replicas, layer);
    this.handover =
        new LeaseHandover(
            me, db, leases, registry, replicas, timer, config.drainTimeout.toMillis());
    this.heartbeats =
        new Heartbeats(
            db,
            registry,
            me,
            config.capacity,
            new Heartbeats.Source() {
              @Override
              public long incarnation() {
                return incarnation;
              }

              @Override
              public void alive(NodeRecord committed) {
                liveness.update(committed);
              }

              @Override
              public long requests() {
                return processor.requests();
              }

              @Override
              public long bytes() {
                return store.bytes();
              }

              @Override
              public int ranges() {
                return replicas.size();
              }

              @Override
              public void reRegister() {
                register()
                    .whenComplete(
                        (rec, e) -> {
                          if (e != null)
                            LOG.log(
                                System.Logger.Level.WARNING,
                                "node " + me + " could not register again: " + Async.describe(e));
                        });
              }
            },
            timer,
            System::nanoTime);
  }

  // ---------------------------------------------------------------- start

  /**
   * Starts a node: binds its ports, registers it (a fresh process token; the registered address is
   * the node protocol's bound host:port), loads the route table, and from then on heartbeats,
   * follows the change feed and looks after its leases.
   *
   * @return completes with the running node; fails with the bind, registration or load error (the
   *     node is then stopped)
   */
  public static CompletableFuture<StorageNode> startAsync(
      Database db, Keyspace ks, LayerConfig layer, StorageNodeConfig config) {
    Objects.requireNonNull(db, "db");
    Objects.requireNonNull(ks, "ks");
    Objects.requireNonNull(layer, "layer");
    Objects.requireNonNull(config, "config");
    config.validateAgainst(layer);
    SchemaVersion.check(db, ks); // before anything registers: a newer format is refused
    StorageNode n = new StorageNode(db, ks, layer, config);
    CompletableFuture<Void> started;
    try {
      started = n.begin();
    } catch (RuntimeException e) {
      started = CompletableFuture.failedFuture(e);
    }
    return started.handle(
        (x, e) -> {
          if (e != null) {
            n.kill();
            throw new CompletionException(
                "storage node " + config.nodeId + " failed to start: " + Async.describe(e),
                FdbErrors.cause(e));
          }
          return n;
        });
  }

  /** Blocking {@link #startAsync}. */
  public static StorageNode start(
      Database db, Keyspace ks, LayerConfig layer, StorageNodeConfig config) {
    try {
      return startAsync(db, ks, layer, config).join();
    } catch (CompletionException e) {
      Throwable c = e.getCause();
      throw c instanceof RuntimeException ? (RuntimeException) c : e;
    }
  }

  private CompletableFuture<Void> begin() {
    follower.addListener(
        new RouteFollower.Listener() {
          @Override
          public void onChanges(Versionstamp position, List<ChangeEvent> events) {
            replicas.apply(events);
            syncReporter.nudge();
          }

          @Override
          public void onReload(RouteSnapshot snapshot) {
            replicas.reload(snapshot.ranges());
            syncReporter.nudge();
          }
        });
    port = new NodePortInitializer(config, processor, inFlight, channels);
    return bind(config.port, port)
        .thenCompose(
            node -> {
              nodeAddress = node;
              if (config.respPort < 0) return CompletableFuture.completedFuture(null);
              RespCommands commands =
                  new RespCommands(config.nodeId, replicas, processor, peers::addressOf);
              return bind(
                      config.respPort,
                      new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                          channels.add(ch);
                          if (config.tls != null)
                            config.tls.serve(ch.pipeline(), ClusterTls.MEMBERS, r -> {});
                          ch.pipeline()
                              .addLast("flush", new FlushConsolidationHandler(FLUSH_BATCH, true));
                          ch.config().setWriteBufferWaterMark(RESP_WATER_MARK);
                          ch.pipeline()
                              .addLast(
                                  "resp-decoder",
                                  new RespDecoder(
                                      RespDecoder.Limits.DEFAULT,
                                      config.respIncompleteBytesPerConnection,
                                      respIncomplete));
                          ch.pipeline()
                              .addLast(
                                  "idle",
                                  new IdleStateHandler(
                                      config.idleTimeout.toMillis(), 0, 0, TimeUnit.MILLISECONDS));
                          ch.pipeline()
                              .addLast(
                                  "commands",
                                  new RespHandler(commands, inFlight, respIncompleteRejections));
                        }
                      })
                  .thenAccept(resp -> respAddress = resp);
            })
        .thenCompose(x -> register())
        .thenCompose(rec -> follower.startAsync())
        .thenRun(
            () -> {
              processor.open(new WriteSequence(incarnation));
              heartbeats.start(config.heartbeatInterval(layer).toMillis());
              syncReporter.start(config.heartbeatInterval(layer).toMillis());
              keeper.start(config.leaseRenewInterval(layer).toMillis());
              timer.scheduleWithFixedDelay(
                  () -> store.sweepTombstones(layer.now()), 10, 10, TimeUnit.SECONDS);
              if (!state.compareAndSet(State.STARTING, State.RUNNING))
                throw new IllegalStateException("node was stopped while starting");
              keeper.tick();
            });
  }

  private CompletableFuture<InetSocketAddress> bind(
      int port, ChannelInitializer<SocketChannel> init) {
    CompletableFuture<InetSocketAddress> out = new CompletableFuture<>();
    ServerBootstrap b =
        new ServerBootstrap()
            .group(group)
            .channel(Transport.of(group).serverSocketChannel())
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(init);
    b.bind(config.host, port)
        .addListener(
            f -> {
              ChannelFuture cf = (ChannelFuture) f;
              if (!f.isSuccess()) {
                out.completeExceptionally(
                    new IllegalStateException(
                        "cannot bind " + config.host + ":" + port + ": " + f.cause(), f.cause()));
                return;
              }
              synchronized (listeners) {
                listeners.add(cf.channel());
              }
              channels.add(cf.channel());
              out.complete((InetSocketAddress) cf.channel().localAddress());
            });
    return out;
  }

  private CompletableFuture<NodeRecord> register() {
    NodeRegistry.Registration reg =
        new NodeRegistry.Registration(
            config.nodeId,
            address(),
            new NodeRecord.Locality(config.region, config.zone, config.rack),
            config.capacity);
    return registry
        .registerAsync(db, reg, UUID.randomUUID().toString())
        .thenApply(
            rec -> {
              incarnation = rec.incarnation();
              liveness.update(rec);
              return rec;
            });
  }

  /** Asks the route follower to catch up now; at most one such request at a time. */
  private void catchUp() {
    if (state.get() != State.RUNNING || !catchUpRunning.compareAndSet(false, true)) return;
    follower.syncAsync().whenComplete((x, e) -> catchUpRunning.set(false));
  }

  // ---------------------------------------------------------------- what it is

  public String nodeId() {
    return config.nodeId;
  }

  /** The node protocol address as registered: the bound host and port, "host:port". */
  public String address() {
    InetSocketAddress a = nodeAddress;
    if (a == null) throw new IllegalStateException("node " + config.nodeId + " is not bound yet");
    return config.host + ":" + a.getPort();
  }

  /** The node protocol's bound socket address. */
  public InetSocketAddress nodeSocketAddress() {
    InetSocketAddress a = nodeAddress;
    if (a == null) throw new IllegalStateException("node " + config.nodeId + " is not bound yet");
    return a;
  }

  /** The RESP port's bound address, if the config asked for one. */
  public Optional<InetSocketAddress> respSocketAddress() {
    return Optional.ofNullable(respAddress);
  }

  /**
   * Fault hook for tests: cuts this node's requests to {@code peers} (REPLICATE, FETCH, handover)
   * as a network partition would, while it keeps heartbeating; an empty set heals it.
   */
  void partitionFrom(java.util.Set<String> peers) {
    this.peers.partitionFrom(peers);
  }

  /** The incarnation this process registered as. */
  public long incarnation() {
    return incarnation;
  }

  public StorageNodeConfig config() {
    return config;
  }

  /** The node's route table, as its RouteFollower keeps it. */
  public RouteTable routes() {
    return follower.table();
  }

  /**
   * True if this node serves clients for the range now: leaseholder, lease valid, data complete.
   */
  public boolean isServing(long rangeId) {
    Replica r = replicas.byId(rangeId);
    return r != null && r.isServing();
  }

  /** Ranges this node serves now. */
  public List<Long> servingRanges() {
    List<Long> out = new ArrayList<>();
    for (Replica r : replicas.all()) {
      if (r.isServing()) out.add(r.rangeId);
    }
    return out;
  }

  /** The descriptors of the ranges this node replicates, as it knows them. */
  public List<RangeDescriptor> replicaRanges() {
    List<RangeDescriptor> out = new ArrayList<>();
    for (Replica r : replicas.all()) out.add(r.descriptor());
    return out;
  }

  /** True if this node replicates the range and has all its data (it finished any FETCH). */
  public boolean isSynced(long rangeId) {
    Replica r = replicas.byId(rangeId);
    return r != null && r.synced();
  }

  /**
   * The value this node stores for {@code key}, whatever its role: for tests and tools, not a read
   * path.
   */
  public byte @Nullable [] localValue(byte[] key) {
    return store.get(key);
  }

  /**
   * Node protocol connections the port refused or closed, by why: over the connection cap, over the
   * cap of their source address, a partial frame the port's budget could not take, a frame that
   * could not be decoded (these two overlap: a refused partial frame is also malformed).
   */
  public record PortRejections(
      long overCap, long overAddressCap, long partialFrameBudget, long malformedFrames) {}

  /** RESP connections closed so far because their incomplete command held too much. */
  public long respIncompleteRejections() {
    return respIncompleteRejections.sum();
  }

  /** What the node protocol port refused so far. */
  public PortRejections portRejections() {
    NodePortInitializer p = port;
    return p == null ? new PortRejections(0, 0, 0, 0) : p.rejections();
  }

  /** Counters for tests, benchmarks and the demo. */
  public record Stats(
      long requests, long bytes, int keys, int replicas, int serving, int inFlight) {}

  public Stats stats() {
    return new Stats(
        processor.requests(),
        store.bytes(),
        store.entries(),
        replicas.size(),
        servingRanges().size(),
        inFlight.get());
  }

  // ---------------------------------------------------------------- range operations

  /**
   * Splits a range this node leads at {@code splitKey}, in two phases while it keeps serving (see
   * {@link RangeCatalog#prepareSplitAsync} and {@link RangeCatalog#commitSplitAsync}); both
   * children stay led by this node under the same lease.
   *
   * @return the children; fails with IllegalStateException if this node does not serve the range
   *     now or it is already splitting or handing over, IllegalArgumentException if the key is not
   *     strictly inside it, MetaException STALE_GENERATION if the range changed meanwhile
   */
  public CompletableFuture<RangeCatalog.SplitResult> splitAsync(long rangeId, byte[] splitKey) {
    return splitter.split(rangeId, splitKey.clone());
  }

  /**
   * Hands the lease of a range this node leads to another replica: stops accepting writes for it,
   * waits for those in flight to be replicated, stops serving, and transfers the lease. The new
   * holder serves once it learns the new epoch.
   *
   * @return the new holder's lease; fails with IllegalStateException if this node does not serve
   *     the range, the target is not LIVE or writes did not drain in time, IllegalArgumentException
   *     if the target is not another replica, MetaException from the transfer (this node then takes
   *     the lease again under a new epoch)
   */
  public CompletableFuture<Lease> transferLeaseAsync(long rangeId, String toNode) {
    return handover.transfer(rangeId, toNode);
  }

  /**
   * Hands each range's lease to the replica named, a few hundred per transaction, as a node that
   * stops hands over all it leads: each range stops serving only while its own batch drains and
   * commits. A range this node does not serve, that is splitting or handing over, whose target is
   * not a LIVE replica or whose writes do not drain within the drain timeout is left out and keeps
   * serving; one the store refuses is taken back at a new epoch.
   *
   * @return the leases handed over, by range id
   */
  public CompletableFuture<Map<Long, Lease>> transferLeasesAsync(Map<Long, String> toNodes) {
    return handover.transferEach(toNodes);
  }

  // ---------------------------------------------------------------- stopping

  /**
   * Stops gracefully: stops accepting connections, blocks writes of its ranges and waits for those
   * in flight, releases its leases (others may take them at once), refuses what arrives later,
   * waits for requests in flight up to the drain timeout, then stops heartbeats, the route follower
   * and its threads. Idempotent.
   */
  @Override
  public void close() {
    if (!state.compareAndSet(State.RUNNING, State.CLOSING)
        && !state.compareAndSet(State.STARTING, State.CLOSING)) return;
    long drain = config.drainTimeout.toMillis();
    keeper.stop();
    fetcher.stop();
    synchronized (listeners) {
      for (Channel c : listeners) c.close().awaitUninterruptibly(1000);
    }
    Async.until(timer, () -> !keeper.busy(), drain).join();
    List<Replica> held = new ArrayList<>();
    for (Replica r : replicas.all()) if (r.lease() != null && r.guard.isHolder()) held.add(r);
    long batches = (held.size() + LEASE_BATCH - 1) / LEASE_BATCH;
    try {
      handover
          .releaseEach(held)
          .get(drain + 2000 + batches * RELEASE_BATCH_MILLIS, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      LOG.log(
          System.Logger.Level.WARNING,
          "node " + config.nodeId + ": releasing leases did not finish: " + Async.describe(e));
    }
    processor.refuse("node " + config.nodeId + " is shutting down");
    Async.until(timer, () -> inFlight.get() == 0, drain).join();
    stopEverything();
  }

  /**
   * Stops abruptly, as a crash would: closes every socket at once, releases nothing, stops
   * heartbeats (its leases, riding on its liveness, end when the controller marks it DEAD). For
   * failure tests. Idempotent.
   */
  public void kill() {
    if (state.getAndSet(State.CLOSING) == State.CLOSED) {
      state.set(State.CLOSED);
      return;
    }
    keeper.stop();
    fetcher.stop();
    processor.refuse("node " + config.nodeId + " is stopped");
    stopEverything();
  }

  private void stopEverything() {
    heartbeats.stop();
    syncReporter.stop();
    keeper.stop();
    fetcher.stop();
    follower.close();
    channels.close().awaitUninterruptibly(1000);
    peers.close();
    timer.shutdownNow();
    group.shutdownGracefully(0, 200, TimeUnit.MILLISECONDS).awaitUninterruptibly(2000);
    state.set(State.CLOSED);
  }

  @Override
  public String toString() {
    InetSocketAddress a = nodeAddress;
    return "StorageNode{"
        + config.nodeId
        + (a == null ? "" : " " + config.host + ":" + a.getPort())
        + " "
        + state.get()
        + "}";
  }
}
