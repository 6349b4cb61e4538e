package io.fdbmeta.layer;

import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * Timing rules shared by every layer service. Validated on construction so a bad setting fails at
 * start-up with a message naming it, not later as a confusing lease conflict.
 */
public final class LayerConfig {
  public static final Duration DEFAULT_LEASE = Duration.ofSeconds(9);
  public static final Duration DEFAULT_MAX_CLOCK_OFFSET = Duration.ofMillis(500);
  public static final Duration DEFAULT_LIVENESS = Duration.ofSeconds(9);
  public static final int DEFAULT_CHANGELOG_RETENTION = 100_000;

  private final Clock clock;
  private final Duration leaseDuration;
  private final Duration maxClockOffset;
  private final Duration livenessDuration;
  private final int changelogRetention;

  private LayerConfig(Builder b) {
    this.clock = b.clock;
    this.leaseDuration = b.leaseDuration;
    this.maxClockOffset = b.maxClockOffset;
    this.livenessDuration = b.livenessDuration;
    this.changelogRetention = b.changelogRetention;
    if (maxClockOffset.isNegative())
      throw new IllegalArgumentException("maxClockOffset must be >= 0, got " + maxClockOffset);
    if (leaseDuration.compareTo(maxClockOffset.multipliedBy(4)) < 0) {
      throw new IllegalArgumentException(
          "leaseDuration "
              + leaseDuration
              + " must be at least 4 x maxClockOffset "
              + maxClockOffset);
    }
    if (livenessDuration.compareTo(maxClockOffset.multipliedBy(4)) < 0) {
      throw new IllegalArgumentException(
          "livenessDuration "
              + livenessDuration
              + " must be at least 4 x maxClockOffset "
              + maxClockOffset);
    }
    if (changelogRetention < 1)
      throw new IllegalArgumentException(
          "changelogRetention must be >= 1, got " + changelogRetention);
  }

  public static LayerConfig defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public Clock clock() {
    return clock;
  }

  public long now() {
    return clock.millis();
  }

  public long leaseMillis() {
    return leaseDuration.toMillis();
  }

  public long maxClockOffsetMillis() {
    return maxClockOffset.toMillis();
  }

  public long livenessMillis() {
    return livenessDuration.toMillis();
  }

  /** Changelog entries kept; a follower further behind reloads the whole table. */
  public int changelogRetention() {
    return changelogRetention;
  }

  public static final class Builder {
    private Clock clock = Clock.systemUTC();
    private Duration leaseDuration = DEFAULT_LEASE;
    private Duration maxClockOffset = DEFAULT_MAX_CLOCK_OFFSET;
    private Duration livenessDuration = DEFAULT_LIVENESS;
    private int changelogRetention = DEFAULT_CHANGELOG_RETENTION;

    private Builder() {}

    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    public Builder leaseDuration(Duration d) {
      this.leaseDuration = Objects.requireNonNull(d, "leaseDuration");
      return this;
    }

    public Builder maxClockOffset(Duration d) {
      this.maxClockOffset = Objects.requireNonNull(d, "maxClockOffset");
      return this;
    }

    public Builder livenessDuration(Duration d) {
      this.livenessDuration = Objects.requireNonNull(d, "livenessDuration");
      return this;
    }

    public Builder changelogRetention(int entries) {
      this.changelogRetention = entries;
      return this;
    }

    public LayerConfig build() {
      return new LayerConfig(this);
    }
  }
}
