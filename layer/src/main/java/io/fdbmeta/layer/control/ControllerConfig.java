package io.fdbmeta.layer.control;

import io.fdbmeta.layer.Ids;
import io.fdbmeta.layer.LayerConfig;
import io.fdbmeta.layer.RangeDescriptor;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * Settings of the control loops (see {@link Controller}). Validated on build, so a bad setting
 * fails at start-up with a message naming it. Timing of leases and liveness comes from {@link
 * LayerConfig}; this holds what only the controller uses.
 */
public final class ControllerConfig {
  /** Source of range and op ids; the simulation injects a seeded one so runs replay exactly. */
  public interface IdSource {
    long newRangeId();

    String newOpId();

    IdSource RANDOM =
        new IdSource() {
          @Override
          public long newRangeId() {
            return Ids.newRangeId();
          }

          @Override
          public String newOpId() {
            return Ids.newOpId();
          }
        };
  }

  /**
   * Says whether a range's replicas have their data, so a move's second phase may commit. The
   * default, {@link #STORED}, reads the marks storage nodes write ({@link
   * io.fdbmeta.layer.ReplicaSyncMarks}); the simulation models copy time instead, and tests of the
   * loops without a data path say yes at once.
   */
  public interface ReplicaReadiness {
    boolean isReady(long rangeId, String targetNode, long preparedAt, long now);

    ReplicaReadiness IMMEDIATE = (rangeId, target, preparedAt, now) -> true;

    /** Every replica of the range on a live node has marked its copy complete, in the store. */
    ReplicaReadiness STORED =
        (rangeId, target, preparedAt, now) -> {
          throw new IllegalStateException("the controller answers STORED from its store");
        };
  }

  private final Duration tickInterval;
  private final Duration rebalanceInterval;
  private final Duration splitMergeInterval;
  private final int maxDeadPerCycle;
  private final int maxRecreationsPerCycle;
  private final int replicationFactor;
  private final double rebalanceStart;
  private final double rebalanceStop;
  private final double loadSmoothing;
  private final int maxMovesPerCycle;
  private final int maxMovesPerMinute;
  private final double minFreeDiskFraction;
  private final double maxCpuFraction;
  private final double splitRps;
  private final long splitBytes;
  private final Duration splitWindow;
  private final double mergeRps;
  private final long mergeBytes;
  private final Duration mergeCooldown;
  private final Duration rebalanceCooldown;
  private final Function<RangeDescriptor, Set<String>> regionPins;
  private final IdSource ids;
  private final ReplicaReadiness readiness;

  private ControllerConfig(Builder b) {
    tickInterval = b.tickInterval;
    rebalanceInterval = b.rebalanceInterval;
    splitMergeInterval = b.splitMergeInterval;
    maxDeadPerCycle = b.maxDeadPerCycle;
    maxRecreationsPerCycle = b.maxRecreationsPerCycle;
    replicationFactor = b.replicationFactor;
    rebalanceStart = b.rebalanceStart;
    rebalanceStop = b.rebalanceStop;
    loadSmoothing = b.loadSmoothing;
    maxMovesPerCycle = b.maxMovesPerCycle;
    maxMovesPerMinute = b.maxMovesPerMinute;
    minFreeDiskFraction = b.minFreeDiskFraction;
    maxCpuFraction = b.maxCpuFraction;
    splitRps = b.splitRps;
    splitBytes = b.splitBytes;
    splitWindow = b.splitWindow;
    mergeRps = b.mergeRps;
    mergeBytes = b.mergeBytes;
    mergeCooldown = b.mergeCooldown;
    rebalanceCooldown = b.rebalanceCooldown;
    regionPins = b.regionPins;
    ids = b.ids;
    readiness = b.readiness;
    positive(tickInterval, "tickInterval");
    positive(rebalanceInterval, "rebalanceInterval");
    positive(splitMergeInterval, "splitMergeInterval");
    if (maxDeadPerCycle < 1)
      throw new IllegalArgumentException("maxDeadPerCycle must be >= 1, got " + maxDeadPerCycle);
    if (maxRecreationsPerCycle < 1)
      throw new IllegalArgumentException(
          "maxRecreationsPerCycle must be >= 1, got " + maxRecreationsPerCycle);
    if (replicationFactor < 1 || replicationFactor > 9)
      throw new IllegalArgumentException(
          "replicationFactor must be in [1, 9], got " + replicationFactor);
    if (!(rebalanceStop > 0 && rebalanceStop < rebalanceStart)) {
      throw new IllegalArgumentException(
          "rebalance thresholds need 0 < stop < start (hysteresis), got start "
              + rebalanceStart
              + " stop "
              + rebalanceStop);
    }
    if (!(loadSmoothing > 0 && loadSmoothing <= 1))
      throw new IllegalArgumentException("loadSmoothing must be in (0, 1], got " + loadSmoothing);
    if (maxMovesPerCycle < 0 || maxMovesPerMinute < 0)
      throw new IllegalArgumentException("move limits must be >= 0");
    if (!(minFreeDiskFraction >= 0 && minFreeDiskFraction < 1))
      throw new IllegalArgumentException(
          "minFreeDiskFraction must be in [0, 1), got " + minFreeDiskFraction);
    if (!(maxCpuFraction > 0 && maxCpuFraction <= 1))
      throw new IllegalArgumentException("maxCpuFraction must be in (0, 1], got " + maxCpuFraction);
    if (!(splitRps > 0) || splitBytes <= 0)
      throw new IllegalArgumentException("split thresholds must be > 0");
    if (!(mergeRps >= 0 && mergeRps < splitRps) || mergeBytes < 0 || mergeBytes >= splitBytes) {
      throw new IllegalArgumentException(
          "merge thresholds must be below the split thresholds, or a merge would be split again");
    }
    positive(splitWindow, "splitWindow");
    if (mergeCooldown.isNegative())
      throw new IllegalArgumentException("mergeCooldown must be >= 0");
    if (rebalanceCooldown.isNegative())
      throw new IllegalArgumentException("rebalanceCooldown must be >= 0");
  }

  private static void positive(Duration d, String name) {
    if (d.isZero() || d.isNegative())
      throw new IllegalArgumentException(name + " must be > 0, got " + d);
  }

  public static ControllerConfig defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** How often the controller runs a cycle: renew its term, then the failure detector. */
  public long tickMillis() {
    return tickInterval.toMillis();
  }

  public long rebalanceMillis() {
    return rebalanceInterval.toMillis();
  }

  public long splitMergeMillis() {
    return splitMergeInterval.toMillis();
  }

  public int maxDeadPerCycle() {
    return maxDeadPerCycle;
  }

  public int maxRecreationsPerCycle() {
    return maxRecreationsPerCycle;
  }

  public int replicationFactor() {
    return replicationFactor;
  }

  public double rebalanceStart() {
    return rebalanceStart;
  }

  public double rebalanceStop() {
    return rebalanceStop;
  }

  public double loadSmoothing() {
    return loadSmoothing;
  }

  public int maxMovesPerCycle() {
    return maxMovesPerCycle;
  }

  public int maxMovesPerMinute() {
    return maxMovesPerMinute;
  }

  public double minFreeDiskFraction() {
    return minFreeDiskFraction;
  }

  public double maxCpuFraction() {
    return maxCpuFraction;
  }

  public double splitRps() {
    return splitRps;
  }

  public long splitBytes() {
    return splitBytes;
  }

  public long splitWindowMillis() {
    return splitWindow.toMillis();
  }

  public double mergeRps() {
    return mergeRps;
  }

  public long mergeBytes() {
    return mergeBytes;
  }

  public long mergeCooldownMillis() {
    return mergeCooldown.toMillis();
  }

  /**
   * How long a moved replica stays where it arrived, and its range stays off the node it left,
   * before the rebalancer may move it again.
   */
  public long rebalanceCooldownMillis() {
    return rebalanceCooldown.toMillis();
  }

  /** The regions a range's replicas must stay in (empty: anywhere). */
  public Set<String> regionsOf(RangeDescriptor range) {
    return regionPins.apply(range);
  }

  public IdSource ids() {
    return ids;
  }

  public ReplicaReadiness readiness() {
    return readiness;
  }

  public static final class Builder {
    private Duration tickInterval = Duration.ofSeconds(1);
    private Duration rebalanceInterval = Duration.ofSeconds(10);
    private Duration splitMergeInterval = Duration.ofSeconds(30);
    private int maxDeadPerCycle = 100;
    private int maxRecreationsPerCycle = 2_000;
    private int replicationFactor = 3;
    private double rebalanceStart = 0.20;
    private double rebalanceStop = 0.15;
    private double loadSmoothing = 0.1;
    private int maxMovesPerCycle = 20;
    private int maxMovesPerMinute = 120;
    private double minFreeDiskFraction = 0.10;
    private double maxCpuFraction = 0.85;
    private double splitRps = 2_000;
    private long splitBytes = 512L << 20;
    private Duration splitWindow = Duration.ofSeconds(60);
    private double mergeRps = 10;
    private long mergeBytes = 64L << 20;
    private Duration mergeCooldown = Duration.ofMinutes(10);
    private Duration rebalanceCooldown = Duration.ofMinutes(10);
    private Function<RangeDescriptor, Set<String>> regionPins = d -> Set.of();
    private IdSource ids = IdSource.RANDOM;
    private ReplicaReadiness readiness = ReplicaReadiness.STORED;

    private Builder() {}

    public Builder tickInterval(Duration d) {
      tickInterval = Objects.requireNonNull(d);
      return this;
    }

    public Builder rebalanceInterval(Duration d) {
      rebalanceInterval = Objects.requireNonNull(d);
      return this;
    }

    public Builder splitMergeInterval(Duration d) {
      splitMergeInterval = Objects.requireNonNull(d);
      return this;
    }

    public Builder maxDeadPerCycle(int n) {
      maxDeadPerCycle = n;
      return this;
    }

    public Builder maxRecreationsPerCycle(int n) {
      maxRecreationsPerCycle = n;
      return this;
    }

    public Builder replicationFactor(int n) {
      replicationFactor = n;
      return this;
    }

    /**
     * Hysteresis: a node starts rebalancing above {@code start} deviation from the mean, stops
     * below {@code stop}.
     */
    public Builder rebalanceThresholds(double start, double stop) {
      rebalanceStart = start;
      rebalanceStop = stop;
      return this;
    }

    /** Weight of a new load report in the controller's moving average (1: no smoothing). */
    public Builder loadSmoothing(double alpha) {
      loadSmoothing = alpha;
      return this;
    }

    /**
     * Rate limit of rebalance moves: per cycle, and per minute across cycles (0 stops rebalancing).
     */
    public Builder moveLimits(int perCycle, int perMinute) {
      maxMovesPerCycle = perCycle;
      maxMovesPerMinute = perMinute;
      return this;
    }

    /**
     * Placement headroom: a target keeps this fraction of its disk free and its CPU use under this
     * fraction.
     */
    public Builder headroom(double minFreeDisk, double maxCpu) {
      minFreeDiskFraction = minFreeDisk;
      maxCpuFraction = maxCpu;
      return this;
    }

    /**
     * A range is split when its request rate or bytes stay at or above these for {@code window}.
     */
    public Builder splitThresholds(double rps, long bytes, Duration window) {
      splitRps = rps;
      splitBytes = bytes;
      splitWindow = Objects.requireNonNull(window);
      return this;
    }

    /**
     * Two neighbours merge when both are below these, and neither was split within {@code
     * cooldown}.
     */
    public Builder mergeThresholds(double rps, long bytes, Duration cooldown) {
      mergeRps = rps;
      mergeBytes = bytes;
      mergeCooldown = Objects.requireNonNull(cooldown);
      return this;
    }

    /** See {@link ControllerConfig#rebalanceCooldownMillis()}; 0 turns the cool-down off. */
    public Builder rebalanceCooldown(Duration cooldown) {
      rebalanceCooldown = Objects.requireNonNull(cooldown);
      return this;
    }

    public Builder regionPins(Function<RangeDescriptor, Set<String>> pins) {
      regionPins = Objects.requireNonNull(pins);
      return this;
    }

    public Builder ids(IdSource source) {
      ids = Objects.requireNonNull(source);
      return this;
    }

    public Builder readiness(ReplicaReadiness r) {
      readiness = Objects.requireNonNull(r);
      return this;
    }

    public ControllerConfig build() {
      return new ControllerConfig(this);
    }
  }
}
