package io.fdbmeta.layer;

import com.apple.foundationdb.tuple.Tuple;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A multi-step catalog operation (split, merge, replica move) and the phase it reached. The op
 * record makes each step idempotent: a step retried after commit_unknown_result finds its phase
 * already recorded and returns the recorded result instead of applying twice.
 */
public record OpRecord(
    String opId,
    Kind kind,
    Phase phase,
    List<Long> rangeIds,
    List<Long> expectedGenerations,
    byte @Nullable [] key,
    List<Long> resultIds,
    long createdAt,
    long updatedAt,
    String detail) {
  static final int FORMAT = 1;

  public enum Kind {
    SPLIT,
    MERGE,
    ADD_REPLICA,
    REMOVE_REPLICA,
    TRANSFER_LEASE,
    /**
     * A replica moved from one node to another (rebalance, or re-creating a dead node's replica):
     * see Moves.
     */
    MOVE
  }

  public enum Phase {
    PREPARED,
    COMMITTED,
    ABORTED
  }

  public OpRecord {
    rangeIds = List.copyOf(rangeIds);
    expectedGenerations = List.copyOf(expectedGenerations);
    resultIds = List.copyOf(resultIds);
  }

  OpRecord advance(Phase next, List<Long> results, long now, String why) {
    return new OpRecord(
        opId, kind, next, rangeIds, expectedGenerations, key, results, createdAt, now, why);
  }

  public byte[] encode() {
    return Tuple.from(
            FORMAT,
            opId,
            kind.name(),
            phase.name(),
            Tuple.fromList(new ArrayList<Object>(rangeIds)),
            Tuple.fromList(new ArrayList<Object>(expectedGenerations)),
            key,
            Tuple.fromList(new ArrayList<Object>(resultIds)),
            createdAt,
            updatedAt,
            detail)
        .pack();
  }

  public static OpRecord decode(byte[] value) {
    String what = "op record";
    Tuple t = Records.unpack(value, what, FORMAT);
    try {
      return new OpRecord(
          t.getString(1),
          Kind.valueOf(t.getString(2)),
          Phase.valueOf(t.getString(3)),
          longs(t.getNestedTuple(4)),
          longs(t.getNestedTuple(5)),
          (byte[]) t.get(6),
          longs(t.getNestedTuple(7)),
          t.getLong(8),
          t.getLong(9),
          t.getString(10));
    } catch (RuntimeException e) {
      throw MetaException.of(MetaException.Code.CORRUPT_RECORD, "cannot decode " + what + ": " + e);
    }
  }

  private static List<Long> longs(Tuple t) {
    List<Long> out = new ArrayList<>(t.size());
    for (int i = 0; i < t.size(); i++) out.add(t.getLong(i));
    return out;
  }
}
