package io.fdbmeta.layer;

import com.apple.foundationdb.KeyValue;
import com.apple.foundationdb.Range;
import com.apple.foundationdb.Transaction;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * One change of fdbmeta's own record format, from schema version {@link #from} to {@link #to},
 * applied online by {@link Migrations}: it names the records it rewrites and decides, record by
 * record, what each becomes. Every reader of version {@code from} must already accept both forms,
 * since records are rewritten while everything serves and the version changes only once all are.
 */
public interface Migration {
  /** A short stable name, e.g. {@code "2-lease-rides-on-liveness"}; keys its progress record. */
  String id();

  long from();

  long to();

  /** One line for {@code migrate plan}: what changes and why. */
  String description();

  /** The records it rewrites: one key range of the cluster's keyspace. */
  Range records(Keyspace ks);

  /**
   * Keys of records that the routing change {@code event} may have written: the catch-up re-reads
   * them, as a ghost-table migration replays the binlog.
   */
  List<byte[]> touchedBy(Keyspace ks, ChangeEvent event);

  /**
   * What each of {@code records} becomes (one outcome per record, in order), decided in {@code tr},
   * which may read other records, adding them to its conflicts. A batch at a time, so a migration
   * reads what its records share (a node record, say) once.
   */
  CompletableFuture<List<Outcome>> transform(Transaction tr, Keyspace ks, List<KeyValue> records);

  /**
   * What abort writes back to {@code key}, which holds {@code current} (null: deleted) and which
   * the migration rewrote from {@code before} to {@code after}; null keeps {@code current}. By
   * default the record is put back if nobody changed it since.
   */
  default byte @Nullable [] revert(byte @Nullable [] current, byte[] before, byte[] after) {
    return Arrays.equals(current, after) ? before : null;
  }

  /** The decision for one record. */
  record Outcome(Kind kind, byte @Nullable [] value, String why) {
    public enum Kind {
      /** Already in the new form (or valid in both): nothing to write. */
      CURRENT,
      /** Write {@link #value} in its place. */
      REWRITE,
      /** Cannot be rewritten yet ({@link #why}); a later pass tries again. */
      LATER
    }

    public static Outcome current() {
      return new Outcome(Kind.CURRENT, null, "");
    }

    public static Outcome rewrite(byte[] value) {
      return new Outcome(Kind.REWRITE, value, "");
    }

    public static Outcome later(String why) {
      return new Outcome(Kind.LATER, null, why);
    }
  }
}
