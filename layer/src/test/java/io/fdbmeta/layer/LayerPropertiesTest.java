package io.fdbmeta.layer;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.KeySelector;
import com.apple.foundationdb.KeyValue;
import com.apple.foundationdb.subspace.Subspace;
import com.apple.foundationdb.tuple.ByteArrayUtil;
import com.apple.foundationdb.tuple.Tuple;
import com.apple.foundationdb.tuple.Versionstamp;
import io.fdbmeta.embedded.EmbeddedFdb;
import io.fdbmeta.embedded.FaultPlan;
import io.fdbmeta.layer.control.Controller;
import io.fdbmeta.layer.route.ChangeFeed;
import io.fdbmeta.layer.route.RouteFollower;
import io.fdbmeta.layer.route.RouteSnapshot;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;
import net.jqwik.api.statistics.Statistics;
import org.jspecify.annotations.Nullable;

/*
 * The simulation. One shared "true time" (a FakeClock) that only the Advance action moves, between
 * operations, so no transaction is ever open while time jumps (fdb-embedded measures its 5 s
 * transaction lifetime on the same clock). Every simulated storage node, and the controller, sees
 * true time plus its own fixed skew in [-maxClockOffset/2, +maxClockOffset/2], so any two clocks
 * differ by at most maxClockOffset. The services acting for a node (registry, catalog, leases) run
 * on a LayerConfig with that node's clock, and so do its LeaseGuards: a lease decision and a serve
 * decision are each made on the clock of whoever makes it, as in production.
 *
 * Nodes keep LeaseGuards the way a storage node would: from the results of their own lease calls
 * (acquire, renew, transfer), from a peer handing them a lease (transfer's target, if told), from
 * the controller moving a dead node's lease to them, from the split they take part in (if told),
 * and otherwise only when they "learn" (Learn: re-read the catalog as their route follower would).
 * A node that has not learned keeps serving what it last knew; the checks must hold anyway. When a
 * node takes in a descriptor it drops its guards of other ranges that overlap it (they were split
 * or merged away): a node must not hand over or release part of a key span it still serves under
 * an older range.
 *
 * Splits, merges, replica changes, the failure detector and the changelog trimmer run as the
 * controller. Range and op ids come from a counter so that a seed replays exactly.
 *
 * After every step:
 *  - the catalog tiles the keyspace (no gap, no overlap, from "" to no end);
 *  - per range id, generation and lease epoch (descriptor and lease record) never decrease, and
 *    the descriptor's leaseholder/epoch agree with its lease record;
 *  - range_by_node holds exactly (replica, range, role) of every descriptor, nothing else, and no
 *    lease record outlives its range;
 *  - every node record has exactly one liveness entry, at its status and expiry;
 *  - the changelog is complete: replaying the commits appended during the step onto the previous
 *    state gives the catalog read now (and nothing is appended twice by a retried commit);
 *  - at most one node would SERVE a request carrying a range's current (id, generation, epoch),
 *    and that node is the range's leaseholder;
 *  - at no instant do two nodes both SERVE the same key, whatever (possibly stale) header each
 *    serves: a guard serves the span its range had at the guard's generation; and no serving
 *    guard believes in a longer lease than the catalog granted at its epoch;
 *  - range leases ride on liveness: a node serves them from its NodeLiveness (taken in from its
 *    own committed registrations and heartbeats; no per-range renewal), and a node serving one
 *    believes in no more liveness than its node record has, at the record's incarnation, and is
 *    not marked DEAD (the failure detector runs on the controller's skewed clock);
 *  - at most one node acts as controller (its term valid on its own clock), under the recorded
 *    term, and controller epochs never decrease.
 * On Sync (and at the end) the route follower must equal the catalog, and every commit it applied
 * must be exactly the next commit of the changelog (as read directly from the keyspace before any
 * trimming), in order, nothing skipped, except across a reload after falling behind the floor.
 */
/**
 * Property-based simulation of the whole layer: random sequences of operations from 4 to 8
 * simulated storage nodes and a controller, with skewed clocks, against fdb-embedded with fault
 * injection (1020, 1021 applied and dropped, 1007), checking the layer's invariants after every
 * step (see the block comment above for the list).
 *
 * <p>A failing run prints jqwik's seed, the generated world, the fault plan (whose seed is part of
 * the generated input) and the trace of the steps that led there. Replay with {@code
 * -Dfdbmeta.props.seed=<jqwik seed>}.
 *
 * <p>The default budget (40 tries of 40 to 80 steps) keeps the normal build fast. For a soak run,
 * raise the tries:
 *
 * <pre>
 * mvn -B -q -pl layer -am verify -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dtest=LayerPropertiesTest -Dfdbmeta.props.tries=2000
 * </pre>
 */
class LayerPropertiesTest {
  static final String TRIES_PROPERTY = "fdbmeta.props.tries";
  static final String SEED_PROPERTY = "fdbmeta.props.seed";
  static final long MAX_OFFSET = 500;
  static final long START = 1_700_000_000_000L;
  static final NodeRecord.Capacity CAPACITY = new NodeRecord.Capacity(1L << 40, 8);

  /** Codes an operation may legitimately fail with when it does not fit the current state. */
  static final Set<MetaException.Code> REFUSALS =
      EnumSet.of(
          MetaException.Code.LEASE_CONFLICT,
          MetaException.Code.NOT_ALLOWED,
          MetaException.Code.STALE_GENERATION,
          MetaException.Code.INVALID_ARGUMENT,
          MetaException.Code.UNKNOWN_RANGE,
          MetaException.Code.UNKNOWN_NODE);

  /** Lets a soak run raise the tries, or a replay fix the seed, from system properties. */
  public static final class SoakSettings implements AroundPropertyHook {
    @Override
    public PropertyExecutionResult aroundProperty(
        PropertyLifecycleContext context, PropertyExecutor property) {
      String tries = System.getProperty(TRIES_PROPERTY);
      if (tries != null && !tries.isBlank())
        context.attributes().setTries(Integer.parseInt(tries.trim()));
      String seed = System.getProperty(SEED_PROPERTY);
      if (seed != null && !seed.isBlank()) context.attributes().setSeed(seed.trim());
      return property.execute();
    }
  }

  // ---------------------------------------------------------------- generated input

  /** The cluster: node count, clock skews (ms), and the timing of leases and liveness. */
  record World(
      List<Integer> skews,
      int controllerSkew,
      long leaseMillis,
      long livenessMillis,
      int retention) {
    int nodes() {
      return skews.size();
    }
  }

  sealed interface Action
      permits Advance,
          Register,
          Heartbeat,
          DetectFailures,
          Drain,
          Decommission,
          Acquire,
          Renew,
          Transfer,
          Release,
          Split,
          Merge,
          AddReplica,
          RemoveReplica,
          Learn,
          Trim,
          Sync,
          Controller {}

  /** True time moves on; nothing is in flight. */
  record Advance(int millis) implements Action {}

  /** The node's process (re)starts with a new process token; its in-memory guards are gone. */
  record Register(int node) implements Action {}

  record Heartbeat(int node) implements Action {}

  /**
   * The controller marks expired nodes DEAD; then, if asked, moves dead nodes' leases to live
   * replicas.
   */
  record DetectFailures(boolean moveLeases) implements Action {}

  record Drain(int node) implements Action {}

  record Decommission(int node) implements Action {}

  /** A replica of the range (or, if {@code outsider}, any node) asks for its lease. */
  record Acquire(int range, int who, boolean outsider) implements Action {}

  /**
   * A node renews a lease it believes it holds ({@code pick} among all such beliefs of all nodes).
   */
  record Renew(int pick) implements Action {}

  /**
   * A node revokes its guard, then hands a lease it believes it holds to another replica; the
   * target may be told.
   */
  record Transfer(int pick, int to, boolean tellTarget) implements Action {}

  /** A node revokes its guard, then releases a lease it believes it holds. */
  record Release(int pick) implements Action {}

  /** What else happens to the parent between a split's two phases. */
  enum Between {
    NOTHING,
    ADD_REPLICA,
    REMOVE_REPLICA,
    ACQUIRE,
    TRANSFER,
    MERGE,
    SPLIT
  }

  /**
   * Two-phase split of the range holding {@code key} at {@code key}; {@code tellHolder}: the
   * leaseholder learns at once.
   */
  record Split(String key, Between between, int arg, boolean tellHolder) implements Action {}

  /**
   * Merges range {@code range} with its right neighbour; {@code align} first adds replicas so their
   * sets match.
   */
  record Merge(int range, boolean align) implements Action {}

  record AddReplica(int range, int node) implements Action {}

  record RemoveReplica(int range, int pick) implements Action {}

  /** The node refreshes its guards from the catalog, as its route follower would tell it. */
  record Learn(int node) implements Action {}

  record Trim() implements Action {}

  enum ControllerCall {
    ACQUIRE,
    RENEW,
    RESIGN
  }

  /** A node runs for controller, renews its term, or steps down (after it stops acting as one). */
  record Controller(int node, ControllerCall call) implements Action {}

  record Sync() implements Action {}

  @Provide
  Arbitrary<World> worlds() {
    Arbitrary<Integer> skew =
        Arbitraries.integers().between((int) -MAX_OFFSET / 2, (int) MAX_OFFSET / 2);
    return Combinators.combine(
            skew.list().ofMinSize(4).ofMaxSize(8),
            skew,
            Arbitraries.of(2_000L, 4_000L, 9_000L),
            Arbitraries.of(2_000L, 4_000L, 9_000L),
            Arbitraries.integers().between(1, 30))
        .as(World::new);
  }

  @Provide
  Arbitrary<List<Action>> actions() {
    Arbitrary<Integer> i = Arbitraries.integers().between(0, 1_000);
    Arbitrary<Boolean> b = Arbitraries.of(true, false);
    Arbitrary<String> key =
        Arbitraries.strings().withChars("abcdefgh").ofMinLength(1).ofMaxLength(3);
    Arbitrary<Action> action =
        Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(14, Arbitraries.integers().between(0, 3_000).map(Advance::new)),
            net.jqwik.api.Tuple.of(3, i.map(Register::new)),
            net.jqwik.api.Tuple.of(14, i.map(Heartbeat::new)),
            net.jqwik.api.Tuple.of(5, b.map(DetectFailures::new)),
            net.jqwik.api.Tuple.of(1, i.map(Drain::new)),
            net.jqwik.api.Tuple.of(1, i.map(Decommission::new)),
            net.jqwik.api.Tuple.of(
                10,
                Combinators.combine(i, i, Arbitraries.integers().between(0, 9).map(n -> n == 0))
                    .as(Acquire::new)),
            net.jqwik.api.Tuple.of(8, i.map(Renew::new)),
            net.jqwik.api.Tuple.of(5, Combinators.combine(i, i, b).as(Transfer::new)),
            net.jqwik.api.Tuple.of(2, i.map(Release::new)),
            net.jqwik.api.Tuple.of(
                6, Combinators.combine(key, Arbitraries.of(Between.class), i, b).as(Split::new)),
            net.jqwik.api.Tuple.of(4, Combinators.combine(i, b).as(Merge::new)),
            net.jqwik.api.Tuple.of(5, Combinators.combine(i, i).as(AddReplica::new)),
            net.jqwik.api.Tuple.of(3, Combinators.combine(i, i).as(RemoveReplica::new)),
            net.jqwik.api.Tuple.of(8, i.map(Learn::new)),
            net.jqwik.api.Tuple.of(2, Arbitraries.just(new Trim())),
            net.jqwik.api.Tuple.of(4, Arbitraries.just(new Sync())),
            net.jqwik.api.Tuple.of(
                4,
                Combinators.combine(i, Arbitraries.of(ControllerCall.class)).as(Controller::new)));
    return action.list().ofMinSize(40).ofMaxSize(80);
  }

  @Property(tries = 40)
  @AddLifecycleHook(SoakSettings.class)
  void layerInvariantsHoldUnderFaultsAndClockSkew(
      @ForAll("worlds") World world,
      @ForAll("actions") List<Action> actions,
      @ForAll long faultSeed) {
    FaultPlan faults =
        FaultPlan.seeded(faultSeed)
            .notCommitted(0.05)
            .commitUnknownResultApplied(0.05)
            .commitUnknownResultDropped(0.05)
            .transactionTooOld(0.03)
            .build();
    try (Sim sim = new Sim(world, faults)) {
      sim.guarded("set-up", sim::setUp);
      for (Action a : actions) sim.guarded(a.toString(), () -> sim.step(a));
      sim.guarded("final sync", () -> sim.step(new Sync()));
    }
  }

  // ---------------------------------------------------------------- the simulation

  /** True time plus a fixed skew. */
  static final class SkewedClock extends Clock {
    private final FakeClock time;
    private final long skew;

    SkewedClock(FakeClock time, long skew) {
      this.time = time;
      this.skew = skew;
    }

    @Override
    public long millis() {
      return time.millis() + skew;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis());
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      throw new UnsupportedOperationException();
    }
  }

  /** The layer services as one participant (a node or the controller) runs them, on its clock. */
  static final class Actor {
    final String id;
    final SkewedClock clock;
    final LayerConfig config;
    final RangeCatalog catalog;
    final NodeRegistry registry;
    final LeaseManager leases;

    Actor(String id, Keyspace ks, SkewedClock clock, World w) {
      this.id = id;
      this.clock = clock;
      this.config =
          LayerConfig.builder()
              .clock(clock)
              .maxClockOffset(Duration.ofMillis(MAX_OFFSET))
              .leaseDuration(Duration.ofMillis(w.leaseMillis()))
              .livenessDuration(Duration.ofMillis(w.livenessMillis()))
              .changelogRetention(w.retention())
              .build();
      this.catalog = new RangeCatalog(ks, config);
      this.registry = new NodeRegistry(ks, config);
      this.leases = new LeaseManager(catalog);
    }
  }

  /** A simulated storage node: its process incarnation and the guards it keeps in memory. */
  static final class SimNode {
    final Actor actor;
    long incarnation;
    int starts;

    /** By range id, in the order the node learned of them (deterministic picks). */
    final Map<Long, LeaseGuard> guards = new LinkedHashMap<>();

    /** The controller term this node believes it holds, or null. */
    @Nullable Lease controllerTerm;

    /**
     * The process's view of its own liveness, from its committed registrations and heartbeats: what
     * its guards serve liveness leases on.
     */
    NodeLiveness liveness = new NodeLiveness();

    SimNode(Actor actor) {
      this.actor = actor;
    }

    String id() {
      return actor.id;
    }

    List<LeaseGuard> held() {
      List<LeaseGuard> out = new ArrayList<>();
      for (LeaseGuard g : guards.values()) if (g.isHolder()) out.add(g);
      return out;
    }
  }

  /** The key span [start, end) a range had at one generation; end null for "no end". */
  record Span(byte[] start, byte @Nullable [] end) {
    boolean overlaps(Span o) {
      return (o.end == null || ByteArrayUtil.compareUnsigned(start, o.end) < 0)
          && (end == null || ByteArrayUtil.compareUnsigned(o.start, end) < 0);
    }

    @Override
    public String toString() {
      return "["
          + ByteArrayUtil.printable(start)
          + ", "
          + (end == null ? "∞" : ByteArrayUtil.printable(end))
          + ")";
    }
  }

  /** One commit's changelog entries, and the position of its last one. */
  record Commit(Versionstamp position, List<ChangeEvent> events) {}

  /** What the route follower's listener saw: a batch, or a reload at a cursor. */
  record Seen(Versionstamp position, @Nullable List<ChangeEvent> events) {}

  static final class Sim implements AutoCloseable {
    final World world;
    final FaultPlan faults;
    final FakeClock time = new FakeClock(START);
    final Database db;
    final Keyspace ks;
    final Subspace leaseSubspace;
    final Actor controller;
    final List<SimNode> nodes = new ArrayList<>();
    final ChangelogTrimmer trimmer;
    RouteFollower follower;
    final List<Seen> seen = java.util.Collections.synchronizedList(new ArrayList<>());
    final List<String> trace = new ArrayList<>();
    long nextId = 1_001;
    int nextOp = 1;

    // history the checks compare against
    final Map<Long, Long> maxGeneration = new HashMap<>();
    final Map<Long, Long> maxEpoch = new HashMap<>();
    final Map<Long, Long> maxLeaseRecordEpoch = new HashMap<>();
    long maxControllerEpoch;
    final Map<String, Span> spans = new HashMap<>();
    final List<Commit> log = new ArrayList<>();
    Versionstamp logCursor = Versionstamps.ORIGIN;
    Versionstamp floorSeen = Versionstamps.ORIGIN;
    RouteSnapshot replayed = RouteSnapshot.EMPTY;
    int followerNext;

    Sim(World world, FaultPlan faults) {
      this.world = world;
      this.faults = faults;
      this.db = EmbeddedFdb.builder().clock(time).faults(faults).build();
      this.ks = Keyspace.open(db, "sim");
      byte[] root = ks.all().begin;
      this.leaseSubspace = new Subspace(Arrays.copyOf(root, root.length - 1)).get("lease");
      this.controller =
          new Actor("controller", ks, new SkewedClock(time, world.controllerSkew()), world);
      for (int i = 0; i < world.nodes(); i++)
        nodes.add(
            new SimNode(
                new Actor("n" + i, ks, new SkewedClock(time, world.skews().get(i)), world)));
      this.trimmer = new ChangelogTrimmer(ks, controller.config);
    }

    void setUp() {
      controller.catalog.init(db);
      for (SimNode n : nodes) register(n);
      for (int i = 0; i < 3; i++)
        call(controller.catalog.addReplicaAsync(db, Ids.ROOT_RANGE_ID, nodes.get(i).id(), -1));
      check();
      follower =
          new RouteFollower(
              db,
              ks,
              ChangeFeed.Options.builder()
                  .watches(false)
                  .pollInterval(Duration.ofHours(1))
                  .loadPageSize(3)
                  .logPageSize(2)
                  .clock(controller.clock)
                  .build());
      follower.addListener(
          new RouteFollower.Listener() {
            @Override
            public void onChanges(Versionstamp position, List<ChangeEvent> events) {
              seen.add(new Seen(position, List.copyOf(events)));
            }

            @Override
            public void onReload(RouteSnapshot snapshot) {
              seen.add(new Seen(snapshot.cursor(), null));
            }
          });
      follower.start();
      checkFollower();
    }

    /** Runs {@code body}; on any failure, fails with the world, the fault plan and the trace. */
    void guarded(String what, Runnable body) {
      try {
        body.run();
      } catch (Throwable e) {
        StringBuilder sb =
            new StringBuilder("layer property failed at step ")
                .append(trace.size())
                .append(": ")
                .append(what)
                .append('\n');
        sb.append("  world: ").append(world).append('\n');
        sb.append("  faults: ").append(faults).append('\n');
        sb.append("  true time: ").append(time.millis() - START).append(" ms after start\n");
        sb.append("  cause: ").append(e).append('\n');
        sb.append("  trace (newest last):\n");
        for (String t : trace.subList(Math.max(0, trace.size() - 60), trace.size()))
          sb.append("    ").append(t).append('\n');
        throw new AssertionError(sb.toString(), e);
      }
    }

    @Override
    public void close() {
      if (follower != null) follower.close();
      db.close();
    }

    // ---------------------------------------------------------------- steps

    void step(Action a) {
      trace.add("t=" + (time.millis() - START) + " " + a);
      String outcome = attempt(() -> run(a));
      Statistics.label("outcome").collect(a.getClass().getSimpleName() + " " + outcome);
      check();
    }

    /** Runs one layer call; a refusal that fits the state is an outcome, anything else fails. */
    String attempt(Runnable r) {
      try {
        r.run();
        return "ok";
      } catch (MetaException e) {
        if (!REFUSALS.contains(e.code())) throw e;
        trace.add("    refused " + e.code() + ": " + e.getMessage());
        return e.code().name();
      }
    }

    void run(Action a) {
      if (a instanceof Advance adv) {
        time.advanceMillis(adv.millis());
      } else if (a instanceof Register r) {
        register(node(r.node()));
      } else if (a instanceof Heartbeat h) {
        SimNode n = node(h.node());
        NodeRecord rec =
            n.actor.registry.heartbeat(
                db,
                new NodeRegistry.Heartbeat(n.id(), n.incarnation, NodeRecord.Load.NONE, CAPACITY));
        n.liveness.update(rec); // one write keeps every lease of the node alive
        trace.add("    " + rec);
      } else if (a instanceof DetectFailures d) {
        detectFailures(d.moveLeases());
      } else if (a instanceof Drain d) {
        controller.registry.drain(db, node(d.node()).id());
      } else if (a instanceof Decommission d) {
        controller.registry.decommission(db, node(d.node()).id());
      } else if (a instanceof Acquire acq) {
        RangeDescriptor d = pickRange(acq.range());
        SimNode n =
            acq.outsider() || d.replicas().isEmpty()
                ? node(acq.who())
                : byId(d.replicas().get(acq.who() % d.replicas().size()));
        acquire(n, d.rangeId());
      } else if (a instanceof Renew r) {
        Belief h = belief(r.pick());
        Lease lease =
            h.node().actor.leases.renew(db, h.guard().rangeId(), h.node().id(), h.guard().epoch());
        h.guard().update(h.guard().generation(), lease);
        trace.add("    " + h.node().id() + " renewed " + lease + " -> " + h.guard());
      } else if (a instanceof Transfer t) {
        Belief h = belief(t.pick());
        transfer(h.node(), h.guard(), t.to(), t.tellTarget());
      } else if (a instanceof Release r) {
        Belief h = belief(r.pick());
        h.guard().revoke();
        h.node().actor.leases.release(db, h.guard().rangeId(), h.node().id(), h.guard().epoch());
        trace.add("    " + h.node().id() + " released " + h.guard());
      } else if (a instanceof Split s) {
        split(s);
      } else if (a instanceof Merge m) {
        List<RangeDescriptor> ranges = ranges();
        if (ranges.size() < 2)
          throw MetaException.of(MetaException.Code.INVALID_ARGUMENT, "one range only");
        int i = Math.min(m.range() % ranges.size(), ranges.size() - 2);
        merge(ranges.get(i), ranges.get(i + 1), m.align());
      } else if (a instanceof AddReplica r) {
        RangeDescriptor d = pickRange(r.range());
        trace.add(
            "    "
                + call(
                    controller.catalog.addReplicaAsync(
                        db, d.rangeId(), node(r.node()).id(), d.generation())));
      } else if (a instanceof RemoveReplica r) {
        RangeDescriptor d = pickRange(r.range());
        if (d.replicas().isEmpty())
          throw MetaException.of(MetaException.Code.NOT_ALLOWED, "no replicas");
        trace.add(
            "    "
                + call(
                    controller.catalog.removeReplicaAsync(
                        db,
                        d.rangeId(),
                        d.replicas().get(r.pick() % d.replicas().size()),
                        d.generation())));
      } else if (a instanceof Learn l) {
        learn(node(l.node()));
      } else if (a instanceof Trim) {
        trace.add("    trimmed " + call(trimmer.trimBatchAsync(db, 1_000)));
      } else if (a instanceof Controller c) {
        controller(node(c.node()), c.call());
      } else if (a instanceof Sync) {
        follower.sync();
        checkFollower();
      } else {
        throw new IllegalStateException("unknown action " + a);
      }
    }

    /** A lease some node believes it holds. */
    record Belief(SimNode node, LeaseGuard guard) {}

    Belief belief(int pick) {
      List<Belief> all = new ArrayList<>();
      for (SimNode n : nodes) for (LeaseGuard g : n.held()) all.add(new Belief(n, g));
      if (all.isEmpty())
        throw MetaException.of(
            MetaException.Code.LEASE_CONFLICT, "no node believes it holds a lease");
      return all.get(pick % all.size());
    }

    void controller(SimNode n, ControllerCall call) {
      Lease term = n.controllerTerm;
      switch (call) {
        case ACQUIRE -> n.controllerTerm = n.actor.leases.acquireController(db, n.id());
        case RENEW -> {
          if (term == null)
            throw MetaException.of(
                MetaException.Code.LEASE_CONFLICT,
                n.id() + " does not believe it is the controller");
          n.controllerTerm = n.actor.leases.renewController(db, n.id(), term.epoch());
        }
        case RESIGN -> {
          if (term == null)
            throw MetaException.of(
                MetaException.Code.LEASE_CONFLICT,
                n.id() + " does not believe it is the controller");
          n.controllerTerm = null; // stop acting first
          n.actor.leases.resignController(db, n.id(), term.epoch());
        }
      }
      trace.add("    " + n.id() + " controller term " + n.controllerTerm);
    }

    void register(SimNode n) {
      n.guards.clear(); // a new process: whatever the old one believed is gone with it
      n.controllerTerm = null;
      n.liveness = new NodeLiveness();
      n.starts++;
      NodeRecord rec =
          n.actor.registry.register(
              db,
              new NodeRegistry.Registration(
                  n.id(),
                  n.id() + ":7000",
                  new NodeRecord.Locality("r", "z" + n.id(), "k" + n.id()),
                  CAPACITY),
              n.id() + "-process-" + n.starts);
      n.incarnation = rec.incarnation();
      n.liveness.update(rec);
      trace.add("    " + rec);
    }

    void detectFailures(boolean moveLeases) {
      for (NodeRecord expired : controller.registry.expired(db, controller.config.now(), 100)) {
        String outcome =
            attempt(
                () -> controller.registry.markDead(db, expired.nodeId(), expired.incarnation()));
        trace.add("    mark dead " + expired.nodeId() + ": " + outcome);
      }
      if (!moveLeases) return;
      for (SimNode dead : nodes) {
        NodeRecord rec = controller.registry.get(db, dead.id()).orElse(null);
        if (rec == null || rec.status() != NodeStatus.DEAD) continue;
        for (RangeCatalog.Assignment as : controller.catalog.rangesOfNode(db, dead.id())) {
          if (!as.leaseholder()) continue;
          RangeDescriptor d = controller.catalog.get(db, as.rangeId()).orElseThrow();
          for (String replica : d.replicas()) {
            NodeRecord r = controller.registry.get(db, replica).orElseThrow();
            if (r.status() != NodeStatus.LIVE) continue;
            String outcome = attempt(() -> acquire(byId(replica), d.rangeId()));
            trace.add(
                "    move lease of "
                    + d.rangeId()
                    + " from dead "
                    + dead.id()
                    + " to "
                    + replica
                    + ": "
                    + outcome);
            break;
          }
        }
      }
    }

    /**
     * {@code n} asks for the lease and, on success, takes it into its guard at the range's
     * generation.
     */
    void acquire(SimNode n, long rangeId) {
      Lease lease = n.actor.leases.acquire(db, rangeId, n.id());
      RangeDescriptor d = n.actor.catalog.get(db, rangeId).orElseThrow();
      LeaseGuard g = guardFor(n, d);
      g.update(d.generation(), lease);
      trace.add("    " + n.id() + " acquired " + lease + " -> " + g);
    }

    void transfer(SimNode n, LeaseGuard g, int to, boolean tellTarget) {
      RangeDescriptor d = n.actor.catalog.get(db, g.rangeId()).orElse(null);
      List<String> others = new ArrayList<>(d == null ? List.of() : d.replicas());
      others.remove(n.id());
      SimNode target = others.isEmpty() ? node(to) : byId(others.get(to % others.size()));
      if (target == n)
        throw MetaException.of(MetaException.Code.INVALID_ARGUMENT, "no other node to transfer to");
      g.revoke(); // stop serving before handing over, as transfer's contract asks
      Lease lease = n.actor.leases.transfer(db, g.rangeId(), n.id(), g.epoch(), target.id());
      RangeDescriptor after = n.actor.catalog.get(db, g.rangeId()).orElseThrow();
      g.update(after.generation(), lease);
      if (tellTarget) guardFor(target, after).update(after.generation(), lease);
      trace.add(
          "    "
              + n.id()
              + " transferred to "
              + target.id()
              + ": "
              + lease
              + (tellTarget ? " (told)" : ""));
    }

    void split(Split s) {
      byte[] key = s.key().getBytes(StandardCharsets.UTF_8);
      RangeDescriptor parent = controller.catalog.lookup(db, key);
      String opId = "op-" + nextOp++;
      long leftId = nextId++;
      long rightId = nextId++;
      call(
          controller.catalog.prepareSplitAsync(
              db, opId, parent.rangeId(), key, parent.generation(), leftId, rightId));
      trace.add("    prepared " + opId + " of " + parent);
      if (s.between() != Between.NOTHING) {
        String outcome = attempt(() -> between(s.between(), parent, s.arg()));
        trace.add("    between phases " + s.between() + ": " + outcome);
      }
      RangeCatalog.SplitResult result = call(controller.catalog.commitSplitAsync(db, opId));
      trace.add("    split into " + result.left() + " and " + result.right());
      String holder = result.left().leaseholder();
      if (s.tellHolder() && holder != null) {
        // the leaseholder prepared both halves: it swaps the parent's guard for the children's
        SimNode n = byId(holder);
        if (n.guards.remove(parent.rangeId()) != null) {
          Lease lease = rawLease(leftId);
          for (RangeDescriptor child : List.of(result.left(), result.right()))
            guardFor(n, child).update(child.generation(), Objects.requireNonNull(lease));
        }
      }
    }

    void between(Between what, RangeDescriptor parent, int arg) {
      RangeDescriptor d = controller.catalog.get(db, parent.rangeId()).orElseThrow();
      switch (what) {
        case ADD_REPLICA ->
            call(controller.catalog.addReplicaAsync(db, d.rangeId(), node(arg).id(), -1));
        case REMOVE_REPLICA -> {
          if (d.replicas().isEmpty()) return;
          call(
              controller.catalog.removeReplicaAsync(
                  db, d.rangeId(), d.replicas().get(arg % d.replicas().size()), -1));
        }
        case ACQUIRE ->
            acquire(
                d.replicas().isEmpty()
                    ? node(arg)
                    : byId(d.replicas().get(arg % d.replicas().size())),
                d.rangeId());
        case TRANSFER -> {
          Lease lease = rawLease(d.rangeId());
          if (lease == null || LeaseRules.isVacant(lease)) return;
          SimNode holder = byId(lease.holder());
          LeaseGuard g = holder.guards.get(d.rangeId());
          if (g == null || !g.isHolder()) return;
          transfer(holder, g, arg, arg % 2 == 0);
        }
        case MERGE -> {
          List<RangeDescriptor> ranges = ranges();
          int i = indexOf(ranges, d.rangeId());
          if (arg % 2 == 0 && i + 1 < ranges.size()) merge(ranges.get(i), ranges.get(i + 1), true);
          else if (i > 0) merge(ranges.get(i - 1), ranges.get(i), true);
        }
        case SPLIT -> {
          byte[] start = d.startKey();
          byte[] key = ByteArrayUtil.join(start, new byte[] {(byte) ('a' + arg % 8)});
          if (!d.isInterior(key)) return;
          String op = "op-" + nextOp++;
          call(
              controller.catalog.prepareSplitAsync(
                  db, op, d.rangeId(), key, d.generation(), nextId++, nextId++));
          call(controller.catalog.commitSplitAsync(db, op));
        }
        case NOTHING -> {}
      }
    }

    void merge(RangeDescriptor left, RangeDescriptor right, boolean align) {
      if (align) {
        Set<String> all = new LinkedHashSet<>(left.replicas());
        all.addAll(right.replicas());
        for (String n : all) {
          for (RangeDescriptor side : List.of(left, right)) {
            if (!side.replicas().contains(n))
              trace.add(
                  "    align "
                      + side.rangeId()
                      + " +"
                      + n
                      + ": "
                      + attempt(
                          () ->
                              call(controller.catalog.addReplicaAsync(db, side.rangeId(), n, -1))));
          }
        }
      }
      RangeDescriptor merged =
          call(
              controller.catalog.mergeAsync(db, "op-" + nextOp++, left.rangeId(), right.rangeId()));
      trace.add("    merged " + left.rangeId() + " + " + right.rangeId() + " -> " + merged);
    }

    /**
     * The node re-reads the catalog for its ranges: new guards, new generations, leases it holds or
     * lost.
     */
    void learn(SimNode n) {
      Set<Long> mine = new HashSet<>();
      for (RangeDescriptor d : ranges()) {
        if (!d.replicas().contains(n.id())) continue;
        mine.add(d.rangeId());
        Lease lease = rawLease(d.rangeId());
        guardFor(n, d)
            .update(
                d.generation(),
                lease != null ? lease : new Lease(LeaseRules.VACANT, d.leaseEpoch(), 0));
      }
      n.guards.keySet().retainAll(mine);
      trace.add("    " + n.id() + " knows " + n.guards.values());
    }

    /**
     * The node's guard of {@code d}'s range, created if new. A node that learns a descriptor drops
     * its guards of other ranges overlapping it: those were split or merged away, and their
     * replacement is what it now knows (LeaseGuard.forRange: "e.g. for each child after a split").
     */
    LeaseGuard guardFor(SimNode n, RangeDescriptor d) {
      Span span = new Span(d.startKey(), d.endKey());
      spans.put(d.rangeId() + "@" + d.generation(), span);
      n.guards
          .entrySet()
          .removeIf(
              e -> {
                if (e.getKey() == d.rangeId()) return false;
                Span other = spans.get(e.getKey() + "@" + e.getValue().generation());
                return other != null && other.overlaps(span);
              });
      return n.guards.computeIfAbsent(
          d.rangeId(),
          id -> new LeaseGuard(n.id(), id, d.generation(), n.actor.clock, MAX_OFFSET, n.liveness));
    }

    // ---------------------------------------------------------------- checks

    void check() {
      List<RangeDescriptor> ranges = ranges();
      RangeCatalogTest.assertTiles(ranges);
      Map<Long, Lease> leases = new HashMap<>();
      for (KeyValue kv : db.read(tr -> tr.getRange(leaseSubspace.range()).asList().join())) {
        leases.put(leaseSubspace.unpack(kv.getKey()).getLong(0), Lease.decode(kv.getValue()));
      }
      Set<Long> ids = new HashSet<>();
      for (RangeDescriptor d : ranges) {
        ids.add(d.rangeId());
        spans.put(d.rangeId() + "@" + d.generation(), new Span(d.startKey(), d.endKey()));
        monotonic(maxGeneration, d.rangeId(), d.generation(), "generation");
        monotonic(maxEpoch, d.rangeId(), d.leaseEpoch(), "descriptor lease epoch");
        Lease lease = leases.get(d.rangeId());
        if (lease != null) {
          monotonic(maxLeaseRecordEpoch, d.rangeId(), lease.epoch(), "lease record epoch");
          String holder = LeaseRules.isVacant(lease) ? null : lease.holder();
          require(
              Objects.equals(holder, d.leaseholder()) && lease.epoch() == d.leaseEpoch(),
              "descriptor %s disagrees with its lease record %s",
              d,
              lease);
        } else {
          require(
              d.leaseholder() == null,
              "descriptor %s names a leaseholder but has no lease record",
              d);
        }
      }
      require(
          ids.containsAll(leases.keySet()),
          "lease records %s outlive their ranges %s",
          leases.keySet(),
          ids);
      checkRangeByNode(ranges);
      checkLiveness();
      checkChangelog(ranges);
      checkServing(ranges, leases);
      checkController();
    }

    /** At most one node acts as controller at any instant, and only under the recorded term. */
    void checkController() {
      byte[] v = db.read(tr -> tr.get(ks.controllerKey()).join());
      Lease recorded = v == null ? null : Lease.decode(v);
      List<String> acting = new ArrayList<>();
      for (SimNode n : nodes) {
        Lease term = n.controllerTerm;
        if (term == null || !term.isValidForHolder(n.actor.clock.millis(), MAX_OFFSET)) continue;
        acting.add(n.id());
        require(
            recorded != null
                && recorded.holder().equals(n.id())
                && recorded.epoch() == term.epoch()
                && term.expiresAt() <= recorded.expiresAt(),
            "%s acts as controller with %s, the record is %s",
            n.id(),
            term,
            recorded);
      }
      require(acting.size() <= 1, "%s all act as controller at once", acting);
      if (recorded != null) {
        require(
            recorded.epoch() >= maxControllerEpoch,
            "controller epoch went back from %d to %d",
            maxControllerEpoch,
            recorded.epoch());
        maxControllerEpoch = recorded.epoch();
      }
    }

    void checkRangeByNode(List<RangeDescriptor> ranges) {
      Set<String> expected = new HashSet<>();
      for (RangeDescriptor d : ranges) {
        for (String n : d.replicas())
          expected.add(
              n
                  + "/"
                  + d.rangeId()
                  + "/"
                  + (n.equals(d.leaseholder())
                      ? RouteWriter.ROLE_LEASEHOLDER
                      : RouteWriter.ROLE_REPLICA));
      }
      Set<String> indexed = new HashSet<>();
      for (KeyValue kv :
          db.read(tr -> tr.getRange(ks.rangeByNodeSubspace().range()).asList().join())) {
        Tuple t = ks.rangeByNodeSubspace().unpack(kv.getKey());
        indexed.add(
            t.getString(0)
                + "/"
                + t.getLong(1)
                + "/"
                + Tuple.fromBytes(kv.getValue()).getString(0));
      }
      require(
          indexed.equals(expected),
          "range_by_node %s disagrees with descriptors %s",
          new TreeMap<>(Map.of("indexed", indexed)),
          expected);
    }

    void checkLiveness() {
      List<KeyValue> records = db.read(tr -> tr.getRange(ks.nodes()).asList().join());
      List<KeyValue> entries =
          db.read(tr -> tr.getRange(ks.livenessSubspace().range()).asList().join());
      Map<String, Tuple> entryByNode = new HashMap<>();
      for (KeyValue kv : entries) {
        Tuple t = ks.livenessSubspace().unpack(kv.getKey());
        require(
            entryByNode.put(t.getString(2), t) == null,
            "second liveness entry for %s",
            t.getString(2));
      }
      require(
          entryByNode.size() == records.size(),
          "%d liveness entries for %d nodes",
          entryByNode.size(),
          records.size());
      for (KeyValue kv : records) {
        NodeRecord n = NodeRecord.decode(kv.getValue());
        require(
            Tuple.from(n.status().name(), n.livenessExpiresAt(), n.nodeId())
                .equals(entryByNode.get(n.nodeId())),
            "liveness entry %s of %s",
            entryByNode.get(n.nodeId()),
            n);
      }
    }

    /**
     * Captures the commits appended since the last step and replays them onto the previous state.
     */
    void checkChangelog(List<RangeDescriptor> ranges) {
      Subspace logSpace = ks.changelogSubspace();
      byte[] floorValue = db.read(tr -> tr.get(ks.changelogFloorKey()).join());
      Versionstamp floor = Versionstamps.decodePosition(floorValue);
      require(
          floor.compareTo(floorSeen) >= 0,
          "changelog floor went back from %s to %s",
          floorSeen,
          floor);
      require(
          floor.compareTo(logCursor) <= 0,
          "changelog trimmed to %s past entries not yet seen (last seen %s)",
          floor,
          logCursor);
      floorSeen = floor;
      KeySelector begin = KeySelector.firstGreaterThan(Versionstamps.key(logSpace, logCursor));
      List<KeyValue> rows =
          db.read(
              tr ->
                  tr.getRange(begin, KeySelector.firstGreaterOrEqual(logSpace.range().end))
                      .asList()
                      .join());
      List<ChangeEvent.At> entries = new ArrayList<>();
      for (KeyValue kv : rows)
        entries.add(
            new ChangeEvent.At(
                Versionstamps.position(logSpace, kv.getKey()), ChangeEvent.decode(kv.getValue())));
      for (int i = 0; i < entries.size(); ) {
        int j = i;
        List<ChangeEvent> events = new ArrayList<>();
        while (j < entries.size()
            && Versionstamps.sameCommit(entries.get(j).position(), entries.get(i).position()))
          events.add(entries.get(j++).event());
        Commit c = new Commit(entries.get(j - 1).position(), events);
        for (ChangeEvent e : events) {
          // a retried commit that logs again would show up as an upsert of what the table already
          // has
          if (e.kind() == ChangeEvent.Kind.UPSERT) {
            require(
                !e.descriptor().equals(replayed.byId(e.descriptor().rangeId())),
                "changelog repeats an unchanged %s (a retried commit logged twice?)",
                e.descriptor());
          }
        }
        replayed = replayed.apply(events, c.position());
        log.add(c);
        logCursor = c.position();
        i = j;
      }
      require(
          replayed.ranges().equals(ranges),
          "replaying the changelog gives %s, the catalog is %s",
          replayed.ranges(),
          ranges);
    }

    /** At most one node serves any range's current header, and no two nodes serve one key. */
    void checkServing(List<RangeDescriptor> ranges, Map<Long, Lease> leases) {
      for (RangeDescriptor d : ranges) {
        List<String> serving = new ArrayList<>();
        for (SimNode n : nodes) {
          LeaseGuard g = n.guards.get(d.rangeId());
          if (g != null
              && g.check(d.rangeId(), d.generation(), d.leaseEpoch()) == LeaseGuard.Verdict.SERVE)
            serving.add(n.id());
        }
        require(serving.size() <= 1, "%s serve %s at once", serving, d);
        require(
            serving.isEmpty() || serving.get(0).equals(d.leaseholder()),
            "%s serves %s but is not its leaseholder",
            serving,
            d);
      }
      record Server(String node, LeaseGuard guard, Span span) {}
      List<Server> servers = new ArrayList<>();
      for (SimNode n : nodes) {
        for (LeaseGuard g : n.guards.values()) {
          if (g.check(g.rangeId(), g.generation(), g.epoch()) != LeaseGuard.Verdict.SERVE) continue;
          Span span = spans.get(g.rangeId() + "@" + g.generation());
          require(
              span != null,
              "%s serves range %d at generation %d, which never existed",
              n.id(),
              g.rangeId(),
              g.generation());
          servers.add(new Server(n.id(), g, span));
          // a node never believes in more than it was granted
          Lease granted = leases.get(g.rangeId());
          if (granted != null && granted.epoch() == g.epoch()) {
            require(
                granted.holder().equals(n.id()) && g.expiresAt() <= granted.expiresAt(),
                "%s serves with %s, the catalog grants %s",
                n.id(),
                g,
                granted);
          }
          // a lease riding on liveness: the node believes in no more liveness than its record has
          if (g.expiresAt() == Lease.RIDES_ON_LIVENESS) {
            NodeRecord rec = controller.registry.get(db, n.id()).orElse(null);
            require(
                rec != null
                    && rec.incarnation() == n.liveness.incarnation()
                    && n.liveness.expiresAt() <= rec.livenessExpiresAt()
                    && rec.status() != NodeStatus.DEAD
                    && rec.status() != NodeStatus.DECOMMISSIONED,
                "%s serves with %s on liveness %s, its record is %s",
                n.id(),
                g,
                n.liveness,
                rec);
          }
        }
      }
      for (int i = 0; i < servers.size(); i++) {
        for (int j = i + 1; j < servers.size(); j++) {
          Server a = servers.get(i);
          Server b = servers.get(j);
          require(
              a.node().equals(b.node()) || !a.span().overlaps(b.span()),
              "%s serves %s with %s while %s serves %s with %s (true time %d)",
              a.node(),
              a.span(),
              a.guard(),
              b.node(),
              b.span(),
              b.guard(),
              time.millis());
        }
      }
    }

    /**
     * After a sync: the follower equals the catalog and applied exactly the changelog's commits, in
     * order.
     */
    void checkFollower() {
      List<Seen> observed;
      synchronized (seen) {
        observed = new ArrayList<>(seen);
        seen.clear();
      }
      for (Seen s : observed) {
        if (s.events() == null) {
          // a (re)load: the next batch must be the first commit after its cursor
          followerNext = 0;
          while (followerNext < log.size()
              && log.get(followerNext).position().compareTo(s.position()) <= 0) followerNext++;
          trace.add("    follower loaded at " + s.position() + ", next commit #" + followerNext);
          continue;
        }
        require(
            followerNext < log.size(),
            "follower applied %s at %s beyond the changelog",
            s.events(),
            s.position());
        Commit expected = log.get(followerNext);
        require(
            expected.position().equals(s.position())
                && encoded(expected.events()).equals(encoded(s.events())),
            "follower applied commit %s %s, the next commit in the changelog is %s %s",
            s.position(),
            s.events(),
            expected.position(),
            expected.events());
        followerNext++;
      }
      require(
          followerNext == log.size(),
          "follower stopped at commit #%d of %d",
          followerNext,
          log.size());
      if (!log.isEmpty())
        require(
            follower.table().cursor().equals(log.get(log.size() - 1).position()),
            "follower cursor %s",
            follower.table().cursor());
      List<RangeDescriptor> catalog = ranges();
      require(
          follower.table().snapshot().ranges().equals(catalog),
          "follower table %s differs from the catalog %s",
          follower.table().snapshot().ranges(),
          catalog);
      trace.add(
          "    follower in step at commit #" + followerNext + ", " + catalog.size() + " ranges");
    }

    // ---------------------------------------------------------------- helpers

    List<RangeDescriptor> ranges() {
      return CatalogPropertiesTest.listAll(controller.catalog, db);
    }

    RangeDescriptor pickRange(int i) {
      List<RangeDescriptor> ranges = ranges();
      return ranges.get(i % ranges.size());
    }

    SimNode node(int i) {
      return nodes.get(i % nodes.size());
    }

    SimNode byId(String id) {
      for (SimNode n : nodes) if (n.id().equals(id)) return n;
      throw new AssertionError("no simulated node " + id);
    }

    @Nullable Lease rawLease(long rangeId) {
      byte[] v = db.read(tr -> tr.get(ks.leaseKey(rangeId)).join());
      return v == null ? null : Lease.decode(v);
    }

    void monotonic(Map<Long, Long> max, long rangeId, long value, String what) {
      Long before = max.put(rangeId, value);
      require(
          before == null || before <= value,
          "%s of range %d went back from %d to %d",
          what,
          rangeId,
          before,
          value);
    }

    static int indexOf(List<RangeDescriptor> ranges, long rangeId) {
      for (int i = 0; i < ranges.size(); i++) if (ranges.get(i).rangeId() == rangeId) return i;
      return -1;
    }

    static List<String> encoded(List<ChangeEvent> events) {
      List<String> out = new ArrayList<>();
      for (ChangeEvent e : events) out.add(ByteArrayUtil.printable(e.encode()));
      return out;
    }

    static <T> T call(java.util.concurrent.CompletableFuture<T> f) {
      return FdbErrors.join(f);
    }

    static void require(boolean ok, String format, Object... args) {
      if (!ok) throw new AssertionError(String.format(format, args));
    }
  }
}
