package io.fdbmeta.embedded;

import java.time.Duration;
import java.util.SplittableRandom;

/**
 * Seeded, reproducible fault injection for an embedded database.
 *
 * <p>Each commit draws once from a random stream seeded by {@link #seed()}: it may fail with 1020
 * {@code not_committed}, 1007 {@code transaction_too_old} or 1031 {@code transaction_timed_out}
 * without applying, fail with 1021 {@code commit_unknown_result} either after applying
 * ("applied-then-error") or without applying ("dropped-then-error"), or be delayed. Watches may
 * fire spuriously, as FoundationDB's may. The same seed and the same sequence of commits give the
 * same faults, and every injected error names the seed so a failure can be replayed.
 */
public final class FaultPlan {
  private static final FaultPlan NONE = new Builder(0).build();

  private final long seed;
  private final double notCommitted;
  private final double tooOld;
  private final double timedOut;
  private final double unknownApplied;
  private final double unknownDropped;
  private final double delay;
  private final Duration maxDelay;
  private final double spuriousWatch;

  private FaultPlan(Builder b) {
    this.seed = b.seed;
    this.notCommitted = b.notCommitted;
    this.tooOld = b.tooOld;
    this.timedOut = b.timedOut;
    this.unknownApplied = b.unknownApplied;
    this.unknownDropped = b.unknownDropped;
    this.delay = b.delay;
    this.maxDelay = b.maxDelay;
    this.spuriousWatch = b.spuriousWatch;
  }

  /** A plan that injects nothing. */
  public static FaultPlan none() {
    return NONE;
  }

  /** Starts a plan whose random choices all derive from {@code seed}. */
  public static Builder seeded(long seed) {
    return new Builder(seed);
  }

  public long seed() {
    return seed;
  }

  /** True if this plan can inject anything at all. */
  public boolean isActive() {
    return notCommitted
            + tooOld
            + timedOut
            + unknownApplied
            + unknownDropped
            + delay
            + spuriousWatch
        > 0;
  }

  /** What a commit suffers; one random draw per commit, in commit order. */
  enum CommitFault {
    NONE,
    NOT_COMMITTED,
    TOO_OLD,
    TIMED_OUT,
    UNKNOWN_RESULT_APPLIED,
    UNKNOWN_RESULT_DROPPED
  }

  SplittableRandom newRandom() {
    return new SplittableRandom(seed);
  }

  CommitFault drawCommitFault(SplittableRandom random) {
    double r = random.nextDouble();
    if ((r -= notCommitted) < 0) return CommitFault.NOT_COMMITTED;
    if ((r -= tooOld) < 0) return CommitFault.TOO_OLD;
    if ((r -= timedOut) < 0) return CommitFault.TIMED_OUT;
    if ((r -= unknownApplied) < 0) return CommitFault.UNKNOWN_RESULT_APPLIED;
    if ((r -= unknownDropped) < 0) return CommitFault.UNKNOWN_RESULT_DROPPED;
    return CommitFault.NONE;
  }

  /** Commit delay in nanoseconds, 0 for none. */
  long drawDelayNanos(SplittableRandom random) {
    if (delay <= 0 || random.nextDouble() >= delay) return 0;
    return (long) (random.nextDouble() * maxDelay.toNanos());
  }

  boolean drawSpuriousWatchFire(SplittableRandom random) {
    return spuriousWatch > 0 && random.nextDouble() < spuriousWatch;
  }

  @Override
  public String toString() {
    if (!isActive()) return "FaultPlan.none()";
    return "FaultPlan.seeded("
        + seed
        + "L)"
        + (notCommitted > 0 ? ".notCommitted(" + notCommitted + ")" : "")
        + (tooOld > 0 ? ".transactionTooOld(" + tooOld + ")" : "")
        + (timedOut > 0 ? ".timedOut(" + timedOut + ")" : "")
        + (unknownApplied > 0 ? ".commitUnknownResultApplied(" + unknownApplied + ")" : "")
        + (unknownDropped > 0 ? ".commitUnknownResultDropped(" + unknownDropped + ")" : "")
        + (delay > 0
            ? ".commitDelay(" + delay + ", Duration.ofNanos(" + maxDelay.toNanos() + "))"
            : "")
        + (spuriousWatch > 0 ? ".spuriousWatchFires(" + spuriousWatch + ")" : "");
  }

  /** Probabilities are per commit (per watch check for spurious fires), each in [0, 1]. */
  public static final class Builder {
    private final long seed;
    private double notCommitted;
    private double tooOld;
    private double timedOut;
    private double unknownApplied;
    private double unknownDropped;
    private double delay;
    private Duration maxDelay = Duration.ZERO;
    private double spuriousWatch;

    private Builder(long seed) {
      this.seed = seed;
    }

    public Builder notCommitted(double p) {
      this.notCommitted = probability("notCommitted", p);
      return this;
    }

    public Builder transactionTooOld(double p) {
      this.tooOld = probability("transactionTooOld", p);
      return this;
    }

    public Builder timedOut(double p) {
      this.timedOut = probability("timedOut", p);
      return this;
    }

    /** 1021 after the commit was applied. */
    public Builder commitUnknownResultApplied(double p) {
      this.unknownApplied = probability("commitUnknownResultApplied", p);
      return this;
    }

    /** 1021 without the commit having been applied. */
    public Builder commitUnknownResultDropped(double p) {
      this.unknownDropped = probability("commitUnknownResultDropped", p);
      return this;
    }

    public Builder commitDelay(double p, Duration max) {
      if (max.isNegative())
        throw new IllegalArgumentException("commitDelay max must be >= 0, got " + max);
      this.delay = probability("commitDelay", p);
      this.maxDelay = max;
      return this;
    }

    public Builder spuriousWatchFires(double p) {
      this.spuriousWatch = probability("spuriousWatchFires", p);
      return this;
    }

    public FaultPlan build() {
      double commitFaults = notCommitted + tooOld + timedOut + unknownApplied + unknownDropped;
      if (commitFaults > 1) {
        throw new IllegalArgumentException(
            "commit fault probabilities add up to " + commitFaults + ", more than 1");
      }
      return new FaultPlan(this);
    }

    private static double probability(String name, double p) {
      if (!(p >= 0 && p <= 1)) {
        throw new IllegalArgumentException(name + " probability must be in [0, 1], got " + p);
      }
      return p;
    }
  }
}
