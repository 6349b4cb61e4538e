package io.fdbmeta.layer.control;

import com.apple.foundationdb.Transaction;
import com.apple.foundationdb.TransactionContext;
import io.fdbmeta.layer.FdbErrors;
import io.fdbmeta.layer.LayerConfig;
import io.fdbmeta.layer.Lease;
import io.fdbmeta.layer.LeaseManager;
import io.fdbmeta.layer.MetaException;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/*
 * Who is the active controller, through the `controller` lease (LeaseManager's controller lease,
 * LeaseRules' rules). Every candidate calls tick() each cycle: a standby tries to acquire the lease,
 * which succeeds once the previous term is free for others (expiresAt + maxClockOffset has passed,
 * or it resigned); the active one renews. So a standby takes over at most lease + maxClockOffset +
 * one tick after the active one last renewed.
 *
 * Acting is separate from believing: the term this process holds is only a belief, and the
 * deposed controller may not know yet that it lost it (a pause, a partition). So every action is
 * fenced: fenced() runs the action's transaction after reading the controller key in that same
 * transaction, and aborts unless this process still holds the lease at its epoch and the lease is
 * valid on its clock. The read adds a read conflict on the key, so a takeover that commits after
 * the action's read version makes the action's commit fail and retry, and the retry sees the new
 * epoch and aborts. A deposed controller therefore cannot commit anything.
 */
/** Elects the active controller through the controller lease and fences its actions by epoch. */
public final class ControllerElection {
  private final LeaseManager leases;
  private final LayerConfig config;
  private final String holderId;
  private @Nullable Lease term;

  public ControllerElection(LeaseManager leases, LayerConfig config, String holderId) {
    this.leases = leases;
    this.config = config;
    this.holderId = holderId;
  }

  /** What a tick did to this candidate's role. */
  public enum Change {
    NONE,
    /** This candidate became the active controller (a new epoch). */
    TOOK_OVER,
    /** This candidate was active and learned it no longer is. */
    DEPOSED
  }

  /** Acquires or renews the term; never throws for a lost race, only for store errors. */
  public Change tick(TransactionContext db) {
    boolean wasActive = term != null;
    try {
      term =
          term == null
              ? leases.acquireController(db, holderId)
              : leases.renewController(db, holderId, term.epoch());
    } catch (MetaException e) {
      if (e.code() != MetaException.Code.LEASE_CONFLICT) throw e;
      term = null;
    }
    if (term != null && !wasActive) return Change.TOOK_OVER;
    if (term == null && wasActive) return Change.DEPOSED;
    return Change.NONE;
  }

  /** True while this candidate believes it holds a term that is still valid on its clock. */
  public boolean isActive() {
    return term != null && term.isValidForHolder(config.now(), config.maxClockOffsetMillis());
  }

  /** The epoch of the believed term, or 0. */
  public long epoch() {
    return term == null ? 0 : term.epoch();
  }

  public String holderId() {
    return holderId;
  }

  /** Forgets the term without resigning (a deposed controller, or a test of fencing). */
  void forget() {
    term = null;
  }

  /** Steps down so a standby can take over at once. */
  public void resign(TransactionContext db) {
    Lease t = term;
    term = null;
    if (t != null) leases.resignController(db, holderId, t.epoch());
  }

  /**
   * Runs {@code body} in one transaction that also checks this controller's term: the body's writes
   * commit only if the term is still this controller's, at the epoch it believes.
   *
   * @throws MetaException (through the future) LEASE_CONFLICT with "deposed" if the term is gone,
   *     and whatever the body fails with
   */
  public <T> CompletableFuture<T> fenced(
      TransactionContext db, Function<Transaction, CompletableFuture<T>> body) {
    Lease believed = term;
    if (believed == null)
      return CompletableFuture.failedFuture(deposed("this process holds no controller term"));
    return db.runAsync(
        tr ->
            leases
                .controllerAsync(tr)
                .thenCompose(
                    current -> {
                      long now = config.now();
                      if (current.isEmpty()
                          || !current.get().holder().equals(holderId)
                          || current.get().epoch() != believed.epoch()) {
                        throw deposed(
                            "controller "
                                + holderId
                                + " acted at epoch "
                                + believed.epoch()
                                + " but the term is now "
                                + current
                                    .map(l -> l.holder() + " at epoch " + l.epoch())
                                    .orElse("vacant"));
                      }
                      if (!current.get().isValidForHolder(now, config.maxClockOffsetMillis())) {
                        throw deposed(
                            "controller term at epoch "
                                + believed.epoch()
                                + " expired at "
                                + Instant.ofEpochMilli(current.get().expiresAt())
                                + ", now is "
                                + Instant.ofEpochMilli(now));
                      }
                      return body.apply(tr);
                    }));
  }

  /** Blocking {@link #fenced}, translating errors. */
  public <T> T fencedJoin(TransactionContext db, Function<Transaction, CompletableFuture<T>> body) {
    return FdbErrors.join(fenced(db, body));
  }

  static boolean isDeposed(Throwable t) {
    return FdbErrors.cause(t) instanceof MetaException m
        && m.code() == MetaException.Code.LEASE_CONFLICT
        && m.getMessage().startsWith("deposed");
  }

  private static MetaException deposed(String why) {
    return MetaException.of(MetaException.Code.LEASE_CONFLICT, "deposed: " + why);
  }
}
