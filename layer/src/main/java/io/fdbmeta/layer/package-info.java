/**
 * The metadata layer storage services import: the catalog of ranges, the node registry and the
 * leases, all written against the FoundationDB Java API. Two packages build on this one and on
 * nothing else of each other: {@link io.fdbmeta.layer.route} distributes the catalog to routers and
 * nodes, {@link io.fdbmeta.layer.control} runs the control loops.
 *
 * <h2>Keys and records</h2>
 *
 * <ul>
 *   <li>{@link io.fdbmeta.layer.Keyspace}: the one owner of the key layout (its javadoc draws the
 *       tree). Writers of keys are package-private; route/ sees only the read side of the range
 *       index and the changelog.
 *   <li>Records, each a tuple with a format version first: {@link
 *       io.fdbmeta.layer.RangeDescriptor}, {@link io.fdbmeta.layer.NodeRecord}, {@link
 *       io.fdbmeta.layer.Lease}, {@link io.fdbmeta.layer.OpRecord}, {@link
 *       io.fdbmeta.layer.RangeLoad}, {@link io.fdbmeta.layer.ChangeEvent}.
 * </ul>
 *
 * <h2>Services (each takes a {@code TransactionContext}: its own transaction, or the caller's)</h2>
 *
 * <ul>
 *   <li>{@link io.fdbmeta.layer.RangeCatalog}: bootstrap, lookups, two-phase splits, merges,
 *       replica changes. Every routing change goes through the package-private {@code RouteWriter},
 *       which keeps the indexes, the changelog and {@code meta_version} in step.
 *   <li>{@link io.fdbmeta.layer.NodeRegistry} and {@link io.fdbmeta.layer.HeartbeatBatcher}:
 *       registration, heartbeats, liveness, marking nodes dead.
 *   <li>{@link io.fdbmeta.layer.LeaseManager} (range and controller leases, by the pure rules of
 *       {@code LeaseRules}) and {@link io.fdbmeta.layer.LeaseGuard} (a node's in-memory check).
 *   <li>{@link io.fdbmeta.layer.OpLog}: the one reader and writer of op records.
 *   <li>{@link io.fdbmeta.layer.RangeLoads}, {@link io.fdbmeta.layer.ChangelogTrimmer}, {@link
 *       io.fdbmeta.layer.CatalogImport}, {@link io.fdbmeta.layer.ClusterStats}.
 *   <li>Migration: {@link io.fdbmeta.layer.CatalogExport} (a whole cluster as of one read version,
 *       in pages), {@link io.fdbmeta.layer.MetaDump} (the dump file: model, writer, checking
 *       reader), {@link io.fdbmeta.layer.CatalogRestore} (a dump into an empty cluster), {@link
 *       io.fdbmeta.layer.RangeTable} and {@link io.fdbmeta.layer.RangeTableImport} (a SQL range
 *       table, checked, then loaded), {@link io.fdbmeta.layer.ImportMarker} (an import under way or
 *       interrupted).
 * </ul>
 *
 * <h2>Errors, time, ids</h2>
 *
 * {@link io.fdbmeta.layer.MetaException} is the one exception; {@link io.fdbmeta.layer.FdbErrors}
 * classifies FoundationDB error codes, unwraps async failures and translates them (without loading
 * the native client). {@link io.fdbmeta.layer.LayerConfig} holds the timing rules and the injected
 * clock; {@link io.fdbmeta.layer.Ids} chooses ids outside retry loops.
 *
 * <h2>What route/ and control/ use beyond the services</h2>
 *
 * {@link io.fdbmeta.layer.Versionstamps} (changelog positions), the read accessors of {@link
 * io.fdbmeta.layer.Keyspace} for the range index, {@code meta_version} and the changelog, {@link
 * io.fdbmeta.layer.RangeDescriptor#rawEndKey} and {@link io.fdbmeta.layer.RangeDescriptor#decodeId}
 * for the route indexes, and the factories of {@link io.fdbmeta.layer.MetaException}. Nothing else:
 * they write only through the services.
 */
@NullMarked
package io.fdbmeta.layer;

import org.jspecify.annotations.NullMarked;
