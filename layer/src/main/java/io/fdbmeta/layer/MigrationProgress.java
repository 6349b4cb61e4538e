package io.fdbmeta.layer;

import com.apple.foundationdb.tuple.Tuple;
import com.apple.foundationdb.tuple.Versionstamp;

/**
 * Where an online migration stands ({@code migration/<id>}), written in the transaction of each
 * step, so a migration killed at any point resumes from its last committed step.
 *
 * @param cursor the next record key the backfill reads (the records' range end once a pass is
 *     through)
 * @param pass the backfill pass, from 1: a pass that met records it could not rewrite yet is
 *     followed by another
 * @param captured the newest changelog entry already replayed: routing changes after it are the
 *     catch-up's to re-read
 * @param scanned records read in this pass
 * @param rewritten records rewritten, over all passes and the catch-up
 * @param later records of this pass left for the next one
 */
public record MigrationProgress(
    String id,
    State state,
    byte[] cursor,
    int pass,
    Versionstamp captured,
    long scanned,
    long rewritten,
    long later,
    long startedAt,
    long updatedAt,
    String detail) {
  static final int FORMAT = 1;

  public enum State {
    /** Rewriting records in batches, pass after pass. */
    BACKFILL,
    /** Replaying the routing changes committed since the migration started. */
    CATCHUP,
    /** Swapped: {@code schema_version} names the new version. */
    DONE,
    /** Putting back the records it rewrote. */
    ABORTING,
    /** Stopped; the cluster stays at the old version. */
    ABORTED
  }

  /** True once nothing more will happen to it. */
  public boolean ended() {
    return state == State.DONE || state == State.ABORTED;
  }

  MigrationProgress with(State s, String why, long now) {
    return new MigrationProgress(
        id, s, cursor, pass, captured, scanned, rewritten, later, startedAt, now, why);
  }

  /** The backfill moved on to {@code next}, having read {@code read} more records. */
  MigrationProgress advanced(byte[] next, long read, long rewrote, long notYet, long now) {
    return new MigrationProgress(
        id,
        state,
        next,
        pass,
        captured,
        scanned + read,
        rewritten + rewrote,
        later + notYet,
        startedAt,
        now,
        detail);
  }

  /** Another full pass from {@code begin}, replaying the changelog after {@code from} later. */
  MigrationProgress nextPass(byte[] begin, Versionstamp from, long rewrote, long now, String why) {
    return new MigrationProgress(
        id,
        State.BACKFILL,
        begin,
        pass + 1,
        from,
        0,
        rewritten + rewrote,
        0,
        startedAt,
        now,
        why + "; pass " + (pass + 1));
  }

  /** The catch-up replayed the changelog up to {@code last}. */
  MigrationProgress replayed(Versionstamp last, long rewrote, long now, String why) {
    return new MigrationProgress(
        id,
        State.CATCHUP,
        cursor,
        pass,
        last,
        scanned,
        rewritten + rewrote,
        0,
        startedAt,
        now,
        why);
  }

  byte[] encode() {
    return Tuple.from(
            FORMAT,
            id,
            state.name(),
            cursor,
            (long) pass,
            captured,
            scanned,
            rewritten,
            later,
            startedAt,
            updatedAt,
            detail)
        .pack();
  }

  static MigrationProgress decode(byte[] value) {
    String what = "migration progress";
    Tuple t = Records.unpack(value, what, FORMAT);
    State state;
    try {
      state = State.valueOf(Records.field(t, 2, String.class, what));
    } catch (IllegalArgumentException e) {
      throw MetaException.of(MetaException.Code.CORRUPT_RECORD, what + " has an unknown state");
    }
    return new MigrationProgress(
        Records.field(t, 1, String.class, what),
        state,
        Records.field(t, 3, byte[].class, what),
        Records.field(t, 4, Long.class, what).intValue(),
        Records.field(t, 5, Versionstamp.class, what),
        Records.field(t, 6, Long.class, what),
        Records.field(t, 7, Long.class, what),
        Records.field(t, 8, Long.class, what),
        Records.field(t, 9, Long.class, what),
        Records.field(t, 10, Long.class, what),
        Records.field(t, 11, String.class, what));
  }
}
