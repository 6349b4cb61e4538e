package io.fdbmeta.layer.route;

import com.apple.foundationdb.tuple.Versionstamp;
import io.fdbmeta.layer.ChangeEvent;
import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.layer.Versionstamps;
import java.util.Collection;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A local, in-memory route table: many concurrent readers, one writer at a time. Every write builds
 * a new immutable {@link RouteSnapshot} and publishes it with one volatile store, so a reader sees
 * a commit's events all or nothing (never the gap between a split's REMOVE(parent) and its
 * UPSERT(children)), and reads take no lock and allocate nothing.
 *
 * <p>Single reads ({@link #lookup}, {@link #byId}) each see one snapshot; take {@link #snapshot()}
 * when several reads must agree.
 */
public final class RouteTable {
  private volatile RouteSnapshot current = RouteSnapshot.EMPTY;

  /** The current version; it never changes, later writes publish new ones. */
  public RouteSnapshot snapshot() {
    return current;
  }

  /** See {@link RouteSnapshot#lookup}. */
  public @Nullable RangeDescriptor lookup(byte[] key) {
    return current.lookup(key);
  }

  public @Nullable RangeDescriptor byId(long rangeId) {
    return current.byId(rangeId);
  }

  public int size() {
    return current.size();
  }

  /** The changelog position the table reflects ({@link Versionstamps#ORIGIN} before any). */
  public Versionstamp cursor() {
    return current.cursor();
  }

  /**
   * Applies one commit's events, in order, atomically for readers, and moves the cursor to {@code
   * position}. An UPSERT never replaces a strictly newer version of the same range (higher
   * generation, or equal generation and higher lease epoch), so a descriptor learned early (from a
   * later page of a load, or a storage node's redirect) is not regressed by an older event.
   *
   * @throws IllegalArgumentException if {@code position} is before the current cursor
   */
  public synchronized void applyBatch(Versionstamp position, List<ChangeEvent> events) {
    RouteSnapshot s = current;
    if (position.compareTo(s.cursor()) < 0) {
      throw new IllegalArgumentException(
          "batch at " + position + " is before the table's cursor " + s.cursor());
    }
    current = s.apply(events, position);
  }

  /**
   * Applies one event as its own atomic step; the cursor does not move. Prefer {@link #applyBatch}
   * for a commit's events.
   */
  public synchronized void apply(ChangeEvent event) {
    RouteSnapshot s = current;
    current = s.apply(List.of(event), s.cursor());
  }

  /**
   * Replaces the whole table (a reload) at once.
   *
   * @throws IllegalArgumentException if two ranges share an id or an end key
   */
  public synchronized void replaceAll(Collection<RangeDescriptor> ranges, Versionstamp cursor) {
    current = RouteSnapshot.of(ranges, cursor);
  }

  synchronized void replace(RouteSnapshot snapshot) {
    current = snapshot;
  }
}
