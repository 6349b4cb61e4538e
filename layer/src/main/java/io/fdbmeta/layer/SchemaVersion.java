package io.fdbmeta.layer;

import com.apple.foundationdb.ReadTransaction;
import com.apple.foundationdb.ReadTransactionContext;
import com.apple.foundationdb.Transaction;
import com.apple.foundationdb.tuple.Tuple;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * The format of a cluster's metadata ({@code schema_version}), and the gate every process passes
 * before it reads or writes the catalog: a version newer than this binary knows is refused with one
 * clear error, since its records may mean something this code would misread. Older versions are
 * served: every reader accepts the records of each version from {@link #OLDEST} to {@link #LATEST},
 * which is what lets {@link Migrations} rewrite records while everything serves.
 *
 * <p>Versions: 1, range leases may expire on their own (written by binaries before leases rode on
 * node liveness); 2, every held range lease rides on its holder's liveness ({@link
 * LeaseLivenessMigration}). A fresh cluster starts at {@link #LATEST}.
 */
public final class SchemaVersion {
  /** The oldest version this binary serves. */
  public static final long OLDEST = 1;

  /** The newest version this binary knows, and the one {@code init} writes. */
  public static final long LATEST = 2;

  private SchemaVersion() {}

  /** The version in {@code tr}, or 0 if the cluster was never initialised. */
  public static CompletableFuture<Long> readAsync(ReadTransaction tr, Keyspace ks) {
    return tr.get(ks.schemaVersionKey()).thenApply(SchemaVersion::decode);
  }

  static long decode(byte @Nullable [] value) {
    return value == null ? 0 : Tuple.fromBytes(value).getLong(0);
  }

  static void write(Transaction tr, Keyspace ks, long version) {
    tr.set(ks.schemaVersionKey(), Tuple.from(version).pack());
  }

  /**
   * Passes if this binary may use the cluster's metadata: not initialised yet, or a version from
   * {@link #OLDEST} to {@link #LATEST}.
   *
   * @return a future that fails with {@link MetaException} NOT_ALLOWED naming both versions if the
   *     cluster's is newer (or older) than this binary serves
   */
  public static CompletableFuture<Long> checkAsync(ReadTransactionContext db, Keyspace ks) {
    return db.readAsync(tr -> readAsync(tr, ks)).thenApply(v -> check(v, ks));
  }

  public static long check(ReadTransactionContext db, Keyspace ks) {
    return FdbErrors.join(checkAsync(db, ks));
  }

  static long check(long version, Keyspace ks) {
    if (version == 0 || (version >= OLDEST && version <= LATEST)) return version;
    throw MetaException.of(
        MetaException.Code.NOT_ALLOWED,
        "cluster '"
            + ks.cluster()
            + "' has metadata schema version "
            + version
            + (version > LATEST
                ? ", newer than this binary knows (up to " + LATEST + "): upgrade fdbmeta"
                : ", older than this binary serves (from " + OLDEST + ")"));
  }
}
