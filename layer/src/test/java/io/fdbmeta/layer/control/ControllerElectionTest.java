package io.fdbmeta.layer.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.apple.foundationdb.tuple.Tuple;
import io.fdbmeta.layer.Fixture;
import io.fdbmeta.layer.KeysForTests;
import io.fdbmeta.layer.Lease;
import io.fdbmeta.layer.MetaException;
import io.fdbmeta.layer.NodeStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class ControllerElectionTest {
  @Test
  void aStandbyTakesOverOnceTheTermIsFreeForOthersAndTheOldOneIsDeposed() {
    try (Fixture f = new Fixture()) {
      ControllerConfig cc = ControllerConfig.defaults();
      Controller a = Controller.create(f.db, f.ks, f.config, cc, "a");
      Controller b = Controller.create(f.db, f.ks, f.config, cc, "b");
      List<ControllerEvent> events = new ArrayList<>();
      a.addListener(events::add);
      b.addListener(events::add);
      a.tick();
      b.tick();
      assertThat(a.isActive()).isTrue();
      assertThat(b.isActive()).isFalse();
      f.clock.advanceMillis(
          9_500); // a's term ends at +9 s and is free for others only after +9.5 s
      b.tick();
      assertThat(b.isActive()).isFalse();
      f.clock.advanceMillis(1);
      b.tick();
      assertThat(b.isActive()).isTrue();
      assertThat(b.epoch()).isEqualTo(a.epoch() + 1);
      a.tick();
      assertThat(a.isActive()).isFalse();
      assertThat(events)
          .extracting(ControllerEvent::kind)
          .containsExactly(
              ControllerEvent.Kind.TOOK_OVER,
              ControllerEvent.Kind.TOOK_OVER,
              ControllerEvent.Kind.DEPOSED);
      assertThat(a.stats().deposed()).isEqualTo(1);
      b.stop(); // resigns: a takes over at once
      a.tick();
      assertThat(a.isActive()).isTrue();
    }
  }

  @Test
  void aDeposedControllerCannotCommitEvenBeforeItKnows() {
    try (Fixture f = new Fixture()) {
      ControllerElection a = new ControllerElection(f.leases, f.config, "a");
      assertThat(a.tick(f.db)).isEqualTo(ControllerElection.Change.TOOK_OVER);
      byte[] marker = KeysForTests.configKey(f.ks, "marker");
      AtomicBoolean injected = new AtomicBoolean();
      // a believes it holds the term; while its action runs, another controller takes over
      assertThatThrownBy(
              () ->
                  a.fencedJoin(
                      f.db,
                      tr -> {
                        if (injected.compareAndSet(false, true)) {
                          f.db.run(
                              other -> {
                                other.set(
                                    KeysForTests.controllerKey(f.ks),
                                    new Lease("b", a.epoch() + 1, f.clock.millis() + 9_000)
                                        .encode());
                                return null;
                              });
                        }
                        tr.set(marker, Tuple.from("written by a").pack());
                        return CompletableFuture.completedFuture(null);
                      }))
          .isInstanceOf(MetaException.class)
          .hasMessageContaining("deposed")
          .hasMessageContaining("b at epoch " + (a.epoch() + 1));
      assertThat((Object) f.db.read(tr -> tr.get(marker).join())).isNull();
    }
  }

  @Test
  void anExpiredTermFencesActionsOnTheHoldersClock() {
    try (Fixture f = new Fixture()) {
      ControllerElection a = new ControllerElection(f.leases, f.config, "a");
      a.tick(f.db);
      f.clock.advanceMillis(8_600); // valid for the holder only until expiresAt - maxClockOffset
      assertThatThrownBy(() -> a.fencedJoin(f.db, tr -> CompletableFuture.completedFuture(null)))
          .isInstanceOf(MetaException.class)
          .hasMessageContaining("expired");
    }
  }

  @Test
  void aDeposedControllerStopsItsCycleAtTheFirstFencedAction() {
    try (ControlFixture c = new ControlFixture(6)) {
      Controller a = c.controller("a");
      a.tick();
      // n0 stops; the others keep heartbeating and renewing until n0 can be marked dead
      for (int s = 0; s < 10; s++) {
        c.f.clock.advanceMillis(1_000);
        c.heartbeatAllBut("n0");
        c.renewLeasesBut("n0");
      }
      // another controller takes the term behind a's back: a still believes it is active
      c.f.db.run(
          tr -> {
            tr.set(
                KeysForTests.controllerKey(c.f.ks),
                new Lease("b", a.epoch() + 1, c.f.clock.millis() + 9_000).encode());
            return null;
          });
      a.forgetTermForTest();
      a.tick(); // a tries to acquire, fails: not active, acts on nothing
      assertThat(a.isActive()).isFalse();
      assertThat(c.f.registry.get(c.f.db, "n0").orElseThrow().status()).isEqualTo(NodeStatus.LIVE);
    }
  }
}
