package io.fdbmeta.layer;

import com.apple.foundationdb.KeyValue;
import com.apple.foundationdb.Range;
import com.apple.foundationdb.Transaction;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/*
 * Schema 1 -> 2: every held range lease rides on its holder's liveness.
 *
 * Binaries from before liveness leases wrote range leases with an expiry of their own. Current
 * binaries accept both and convert a lease when its holder next renews it, but a lease whose holder
 * is gone stays in the old form for ever, and nothing said when a cluster held none any more. This
 * migration rewrites each remaining one, deciding as the lease rules do:
 *
 *   vacant, or already riding on liveness   current
 *   free for others (expired + clock offset) the vacated lease at the same epoch: what a release
 *                                            leaves, so the next grant still takes a higher epoch
 *   still valid, holder's node record at the a liveness lease at the same epoch and incarnation:
 *   lease's incarnation, LIVE or DRAINING    what the holder's own renewal would write; it holds
 *                                            as long as the holder's liveness, never less than the
 *                                            expiry it had, and no one else can be granted it
 *   still valid otherwise (no incarnation   later: it expires within one lease, and the next pass
 *   recorded, or the node restarted)         vacates it
 *
 * Each decision reads the lease and the holder's node record in the transaction that writes it, so
 * a concurrent grant, renewal or heartbeat conflicts with it rather than being overwritten. Abort
 * keeps the leases it made ride on liveness (see revert).
 */
/** The migration to schema version 2: see the comment at the top. */
public final class LeaseLivenessMigration implements Migration {
  private final LayerConfig config;

  public LeaseLivenessMigration(LayerConfig config) {
    this.config = config;
  }

  @Override
  public String id() {
    return "2-lease-rides-on-liveness";
  }

  @Override
  public long from() {
    return 1;
  }

  @Override
  public long to() {
    return 2;
  }

  @Override
  public String description() {
    return "range leases with an expiry of their own (written by binaries before leases rode on"
        + " node liveness) become liveness leases at the same epoch, or vacant if expired";
  }

  @Override
  public Range records(Keyspace ks) {
    return ks.leases();
  }

  @Override
  public List<byte[]> touchedBy(Keyspace ks, ChangeEvent event) {
    long rangeId =
        event.descriptor() != null ? event.descriptor().rangeId() : event.removedRangeId();
    return List.of(ks.leaseKey(rangeId));
  }

  /**
   * Keeps a lease it made ride on liveness: that form is valid under version 1 too, and undoing it
   * would give the lease back its old expiry while the holder serves on its liveness, letting a
   * second holder in. A vacated expired lease is put back (both are free for anyone).
   */
  @Override
  public byte @Nullable [] revert(byte @Nullable [] current, byte[] before, byte[] after) {
    if (Lease.decode(after).ridesOnLiveness()) return null;
    return Migration.super.revert(current, before, after);
  }

  @Override
  public CompletableFuture<List<Outcome>> transform(
      Transaction tr, Keyspace ks, List<KeyValue> records) {
    long now = config.now();
    long offset = config.maxClockOffsetMillis();
    List<Lease> leases = new ArrayList<>();
    Map<String, CompletableFuture<byte @Nullable []>> holders = new HashMap<>();
    for (KeyValue kv : records) {
      Lease l = Lease.decode(kv.getValue());
      leases.add(l);
      if (needsHolder(l, now, offset))
        holders.computeIfAbsent(l.holder(), h -> tr.get(ks.nodeKey(h)));
    }
    return CompletableFuture.allOf(holders.values().toArray(CompletableFuture[]::new))
        .thenApply(
            x -> {
              List<Outcome> out = new ArrayList<>();
              for (Lease l : leases) {
                CompletableFuture<byte @Nullable []> n = holders.get(l.holder());
                byte[] v = n == null ? null : n.join();
                out.add(decide(l, now, offset, v == null ? null : NodeRecord.decode(v)));
              }
              return out;
            });
  }

  /** True if deciding {@code l} needs its holder's node record. */
  private static boolean needsHolder(Lease l, long now, long offset) {
    return !LeaseRules.isVacant(l)
        && !l.ridesOnLiveness()
        && !l.isFreeForOthers(now, offset)
        && l.holderIncarnation() != 0;
  }

  private static Outcome decide(Lease lease, long now, long offset, @Nullable NodeRecord n) {
    if (LeaseRules.isVacant(lease) || lease.ridesOnLiveness()) return Outcome.current();
    if (lease.isFreeForOthers(now, offset))
      return Outcome.rewrite(LeaseRules.vacated(lease).encode());
    if (lease.holderIncarnation() == 0)
      return Outcome.later("held by " + lease.holder() + " with no incarnation recorded");
    if (n == null
        || n.incarnation() != lease.holderIncarnation()
        || (n.status() != NodeStatus.LIVE && n.status() != NodeStatus.DRAINING))
      return Outcome.later(
          "held by "
              + lease.holder()
              + " at incarnation "
              + lease.holderIncarnation()
              + ", which is not that node's live process");
    return Outcome.rewrite(
        Lease.onLiveness(lease.holder(), lease.epoch(), lease.holderIncarnation()).encode());
  }
}
