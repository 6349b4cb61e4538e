package io.fdbmeta.tools.sim;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * The simulation's true time, moved only by the simulation between steps, and skewed views of it
 * (each simulated process reads true time plus its own fixed offset). fdb-embedded runs on the true
 * time too, so its 5 s transaction lifetime counts virtual time; no transaction stays open across a
 * step, so none ever outlives it.
 */
public final class VirtualClock extends Clock {
  private volatile long millis;

  public VirtualClock(long startMillis) {
    this.millis = startMillis;
  }

  public void advance(long ms) {
    millis += ms;
  }

  @Override
  public long millis() {
    return millis;
  }

  @Override
  public Instant instant() {
    return Instant.ofEpochMilli(millis);
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    throw new UnsupportedOperationException();
  }

  /** This clock seen by a process whose clock runs {@code skewMillis} ahead (negative: behind). */
  public Clock skewed(long skewMillis) {
    VirtualClock base = this;
    return new Clock() {
      @Override
      public long millis() {
        return base.millis + skewMillis;
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
    };
  }

  /** A clock stopped at {@code millis}, for an action a process took at that moment. */
  public static Clock fixedAt(long millis) {
    return Clock.fixed(Instant.ofEpochMilli(millis), ZoneOffset.UTC);
  }
}
