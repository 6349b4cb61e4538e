package io.fdbmeta.layer;

import com.apple.foundationdb.Range;
import com.apple.foundationdb.TransactionContext;
import com.apple.foundationdb.directory.DirectoryLayer;
import com.apple.foundationdb.subspace.Subspace;
import com.apple.foundationdb.tuple.Tuple;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * The one owner of fdbmeta's key layout. Everything lives in a DirectoryLayer directory per
 * cluster, and every key below it is tuple-encoded:
 *
 * <pre>
 * /fdbmeta/&lt;cluster&gt;/
 *   ("range", endKey)                      -> RangeDescriptor   keyed by END key: the range holding
 *                                                               k is the first entry with endKey &gt; k;
 *                                                               the last range's end is the
 *                                                               sentinel (true,), after every key
 *   ("range_by_id", rangeId)               -> endKey element (bytes, or true for the sentinel)
 *   ("range_by_node", nodeId, rangeId)     -> role              LEASEHOLDER or REPLICA
 *   ("lease", rangeId)                     -> Lease
 *   ("node", nodeId)                       -> NodeRecord
 *   ("liveness", status, expiresAt, nodeId)-> ''                scanned up to "now" to find expired nodes
 *   ("meta_version",)                      -> versionstamp of the last routing change (watched)
 *   ("changelog", versionstamp)            -> ChangeEvent       route deltas, in commit order
 *   ("changelog_floor",)                   -> (format, versionstamp): the newest trimmed entry,
 *                                                               or the end of a bulk import's
 *                                                               commit (it logs no entries);
 *                                                               entries at or before it are gone
 *   ("controller",)                        -> Lease             the active controller
 *   ("config", name)                       -> setting
 *   ("ops", opId)                          -> OpRecord          a split/merge/move and its phases
 *   ("range_load", rangeId)                -> RangeLoad         load a leaseholder reports for a range
 *                                                               outside the normal band (hot, or small
 *                                                               and cold); cleared when back inside
 *   ("ready", rangeId, nodeId)             -> (format, incarnation, generation): that node's process
 *                                                               holds all of the range's data as of
 *                                                               that descriptor generation
 *   ("schema_version",)                    -> active metadata format (SchemaVersion)
 *   ("import",)                            -> ImportMarker      an import (fdbmeta import) under way or
 *                                                               interrupted; cleared by its last step
 *   ("migration", id)                      -> MigrationProgress  an online migration and its phase
 *                                                               (not under ops/: OpLog reads every
 *                                                               op record as a split/merge/move)
 *   ("migration_backup", id, recordKey)    -> (format, before, after): a record's value before and
 *                                                               after the migration rewrote it, so
 *                                                               abort can restore it; cleared when
 *                                                               the migration ends
 * </pre>
 *
 * Values are tuples whose first element is a format version (see the record classes). The user
 * keyspace routed by fdbmeta is every byte string; ranges tile it from the empty key to the
 * sentinel.
 */
public final class Keyspace {
  /** The tuple element that stands for "past every key", used as the last range's end. */
  public static final Object END_SENTINEL = Boolean.TRUE;

  private final String cluster;
  private final Subspace root;
  private final Subspace range;
  private final Subspace rangeById;
  private final Subspace rangeByNode;
  private final Subspace lease;
  private final Subspace node;
  private final Subspace liveness;
  private final byte[] nodePrefix; // raw keys of node and liveness, for the heartbeat's keys
  private final byte[] livenessPrefix;
  private final Subspace changelog;
  private final Subspace config;
  private final Subspace ops;
  private final Subspace rangeLoad;
  private final Subspace replicaSynced;
  private final Subspace migration;
  private final Subspace migrationBackup;

  Keyspace(String cluster, Subspace root) {
    this.cluster = cluster;
    this.root = root;
    this.range = root.get("range");
    this.rangeById = root.get("range_by_id");
    this.rangeByNode = root.get("range_by_node");
    this.lease = root.get("lease");
    this.node = root.get("node");
    this.liveness = root.get("liveness");
    this.nodePrefix = node.getKey();
    this.livenessPrefix = liveness.getKey();
    this.changelog = root.get("changelog");
    this.config = root.get("config");
    this.ops = root.get("ops");
    this.rangeLoad = root.get("range_load");
    this.replicaSynced = root.get("ready");
    this.migration = root.get("migration");
    this.migrationBackup = root.get("migration_backup");
  }

  /**
   * Opens (creating if needed) the directory of {@code cluster}.
   *
   * @throws IllegalArgumentException if the cluster name is empty, too long or not printable
   */
  public static CompletableFuture<Keyspace> openAsync(TransactionContext db, String cluster) {
    validateClusterName(cluster);
    return DirectoryLayer.getDefault()
        .createOrOpen(db, List.of("fdbmeta", cluster))
        .thenApply(dir -> new Keyspace(cluster, dir));
  }

  public static Keyspace open(TransactionContext db, String cluster) {
    return openAsync(db, cluster).join();
  }

  /**
   * A keyspace rooted at a fixed prefix, for tests and tools that manage the directory themselves.
   */
  public static Keyspace atPrefix(String cluster, byte[] prefix) {
    return new Keyspace(cluster, new Subspace(prefix));
  }

  static void validateClusterName(String cluster) {
    if (cluster.isEmpty() || cluster.length() > 64 || !cluster.matches("[A-Za-z0-9._-]+")) {
      throw new IllegalArgumentException(
          "cluster name must be 1-64 characters of [A-Za-z0-9._-], got '" + cluster + "'");
    }
  }

  public String cluster() {
    return cluster;
  }

  /** Everything this cluster's metadata occupies. */
  public Range all() {
    return root.range();
  }

  // ranges

  /** The tuple element of a range end: the key itself, or the sentinel for "no end". */
  static Object endElement(byte @Nullable [] endKey) {
    return endKey == null ? END_SENTINEL : endKey;
  }

  static byte @Nullable [] endKeyOf(Object element) {
    return element instanceof byte[] ? (byte[]) element : null;
  }

  public byte[] rangeKey(byte @Nullable [] endKey) {
    return range.pack(Tuple.from(endElement(endKey)));
  }

  public Range rangeIndex() {
    return range.range();
  }

  public Subspace rangeSubspace() {
    return range;
  }

  byte[] rangeByIdKey(long rangeId) {
    return rangeById.pack(Tuple.from(rangeId));
  }

  Range rangeByIdIndex() {
    return rangeById.range();
  }

  Subspace rangeByIdSubspace() {
    return rangeById;
  }

  byte[] rangeByNodeKey(String nodeId, long rangeId) {
    return rangeByNode.pack(Tuple.from(nodeId, rangeId));
  }

  Range rangesOfNode(String nodeId) {
    return rangeByNode.range(Tuple.from(nodeId));
  }

  Subspace rangeByNodeSubspace() {
    return rangeByNode;
  }

  // leases, nodes, liveness

  public byte[] leaseKey(long rangeId) {
    return lease.pack(Tuple.from(rangeId));
  }

  Subspace leaseSubspace() {
    return lease;
  }

  byte[] nodeKey(String nodeId) {
    return new TupleBytes.Writer(nodePrefix, nodePrefix.length + TupleBytes.sizeOf(nodeId))
        .string(nodeId)
        .toBytes();
  }

  Range nodes() {
    return node.range();
  }

  Subspace nodeSubspace() {
    return node;
  }

  byte[] livenessKey(NodeStatus status, long expiresAtMillis, String nodeId) {
    int size =
        livenessPrefix.length
            + TupleBytes.sizeOf(status.name())
            + TupleBytes.sizeOf(expiresAtMillis)
            + TupleBytes.sizeOf(nodeId);
    return new TupleBytes.Writer(livenessPrefix, size)
        .string(status.name())
        .integer(expiresAtMillis)
        .string(nodeId)
        .toBytes();
  }

  /** Liveness entries of {@code status} that expired at or before {@code millis}. */
  Range livenessExpiredBy(NodeStatus status, long millis) {
    return new Range(
        liveness.range(Tuple.from(status.name())).begin,
        liveness.pack(Tuple.from(status.name(), millis + 1)));
  }

  Range livenessOf(NodeStatus status) {
    return liveness.range(Tuple.from(status.name()));
  }

  Subspace livenessSubspace() {
    return liveness;
  }

  // routing change feed

  public byte[] metaVersionKey() {
    return root.pack(Tuple.from("meta_version"));
  }

  public Subspace changelogSubspace() {
    return changelog;
  }

  public Range changelogRange() {
    return changelog.range();
  }

  public byte[] changelogFloorKey() {
    return root.pack(Tuple.from("changelog_floor"));
  }

  // control plane

  byte[] controllerKey() {
    return root.pack(Tuple.from("controller"));
  }

  byte[] configKey(String name) {
    return config.pack(Tuple.from(name));
  }

  Range configRange() {
    return config.range();
  }

  Subspace configSubspace() {
    return config;
  }

  byte[] opKey(String opId) {
    return ops.pack(Tuple.from(opId));
  }

  Range opsRange() {
    return ops.range();
  }

  Subspace opsSubspace() {
    return ops;
  }

  byte[] rangeLoadKey(long rangeId) {
    return rangeLoad.pack(Tuple.from(rangeId));
  }

  Range rangeLoads() {
    return rangeLoad.range();
  }

  byte[] replicaSyncedKey(long rangeId, String nodeId) {
    return replicaSynced.pack(Tuple.from(rangeId, nodeId));
  }

  Range replicaSyncedOf(long rangeId) {
    return replicaSynced.range(Tuple.from(rangeId));
  }

  byte[] migrationKey(String id) {
    return migration.pack(Tuple.from(id));
  }

  Range migrations() {
    return migration.range();
  }

  Subspace migrationBackup(String id) {
    return migrationBackup.get(id);
  }

  /** The lease records of every range. */
  Range leases() {
    return lease.range();
  }

  /** The range id of a lease record's key. */
  long rangeIdOfLeaseKey(byte[] key) {
    return lease.unpack(key).getLong(0);
  }

  public byte[] schemaVersionKey() {
    return root.pack(Tuple.from("schema_version"));
  }

  byte[] importMarkerKey() {
    return root.pack(Tuple.from("import"));
  }
}
