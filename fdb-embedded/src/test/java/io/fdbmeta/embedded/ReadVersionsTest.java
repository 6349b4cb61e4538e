package io.fdbmeta.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ReadVersionsTest {
  private static final long READABLE = 100;

  private final ReadVersions versions = new ReadVersions();

  @Test
  void theOldestHeldVersionCountsUntilEveryHolderReleases() {
    ReadVersions.Holder a = versions.hold(10);
    ReadVersions.Holder b = versions.hold(10);
    ReadVersions.Holder c = versions.hold(20);
    assertThat(versions.horizon(READABLE, 0)).isEqualTo(10);
    a.release();
    assertThat(versions.horizon(READABLE, 0)).isEqualTo(10);
    b.release();
    assertThat(versions.horizon(READABLE, 0)).isEqualTo(20);
    c.release();
    assertThat(versions.horizon(READABLE, 0)).isEqualTo(READABLE);
    assertThat(versions.size()).isZero();
  }

  @Test
  void aVersionRetiredByTheScanCanBeHeldAgain() {
    versions.hold(10).release();
    assertThat(versions.horizon(READABLE, 0)).isEqualTo(READABLE); // retires the empty holder
    ReadVersions.Holder again = versions.hold(10);
    assertThat(versions.horizon(READABLE, 0)).isEqualTo(10);
    again.release();
  }

  @Test
  void pinsStayUntilTheFloorPassesThem() {
    versions.pin(15);
    versions.hold(30).release();
    assertThat(versions.horizon(READABLE, 0)).isEqualTo(15);
    assertThat(versions.horizon(READABLE, 15)).isEqualTo(15);
    assertThat(versions.horizon(READABLE, 16)).isEqualTo(READABLE);
    assertThat(versions.size()).isZero();
  }

  @Test
  void anAbandonedHolderStopsCountingBelowTheFloor() {
    versions.hold(10); // never released
    ReadVersions.Holder later = versions.hold(40);
    assertThat(versions.horizon(READABLE, 5)).isEqualTo(10);
    assertThat(versions.horizon(READABLE, 11)).isEqualTo(40);
    later.release();
    assertThat(versions.horizon(READABLE, 11)).isEqualTo(READABLE);
  }

  @Test
  void theHorizonIsNeverNewerThanWhatIsReadable() {
    assertThat(versions.horizon(READABLE, 0)).isEqualTo(READABLE);
    versions.hold(500);
    assertThat(versions.horizon(READABLE, 0)).isEqualTo(READABLE);
  }

  @Test
  void theNewestHolderIsSharedUntilRetired() {
    ReadVersions.Holder a = versions.holdNewest(() -> READABLE);
    ReadVersions.Holder b = versions.holdNewest(() -> READABLE);
    assertThat(b).isSameAs(a);
    a.release();
    b.release();
    assertThat(versions.horizon(READABLE, 0)).isEqualTo(READABLE); // retires it
    ReadVersions.Holder c = versions.holdNewest(() -> READABLE);
    assertThat(c).isNotSameAs(a);
    assertThat(versions.horizon(READABLE + 50, 0)).isEqualTo(READABLE);
    c.release();
  }

  /**
   * The race holdNewest guards against: the pruner runs after a new transaction read the readable
   * version but before its hold is visible, and prunes past it. The transaction must notice and
   * take the newer version instead.
   */
  @Test
  void aNewTransactionNeverKeepsAVersionAHorizonPassedBeforeItsHoldWasVisible() {
    long[] readable = {10};
    long[] horizon = {0};
    ReadVersions.Holder h =
        versions.holdNewest(
            () -> {
              long v = readable[0];
              if (v == 10) { // first attempt: commits move on and the pruner runs before the hold
                // lands
                readable[0] = 20;
                horizon[0] = versions.horizon(readable[0], 0);
              }
              return v;
            });
    assertThat(horizon[0]).isEqualTo(20);
    assertThat(h.version).isGreaterThanOrEqualTo(horizon[0]);
    assertThat(versions.horizon(30, 0)).isEqualTo(20); // and it holds that newer version
  }
}
