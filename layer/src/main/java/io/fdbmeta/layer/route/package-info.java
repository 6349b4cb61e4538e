/**
 * Route distribution: how the catalog reaches routers and storage nodes without their asking the
 * database on a request's path. A follower loads the range index once in pages, then watches {@code
 * meta_version} and reads the changelog after its cursor; a follower behind the log's floor
 * reloads.
 *
 * <h2>Followers</h2>
 *
 * <ul>
 *   <li>{@link io.fdbmeta.layer.route.ChangeFeed}: the one follower loop. It hands each commit's
 *       {@link io.fdbmeta.layer.ChangeEvent}s to a listener that keeps its own bounded view (the
 *       router's cache); its {@link io.fdbmeta.layer.route.ChangeFeed.Options} tune both kinds.
 *   <li>{@link io.fdbmeta.layer.route.RouteFollower}: a ChangeFeed that keeps a full local {@link
 *       io.fdbmeta.layer.route.RouteTable} (storage nodes, tools): {@code RouteLoader} does the
 *       paged load (its header has the consistency argument), the feed's commits are applied to the
 *       table.
 *   <li>The feed runs on a {@code FollowerThread}, keeps one watch through {@code MetaVersionWatch}
 *       and reads the log through {@code ChangelogTail}, which never splits a commit. {@link
 *       io.fdbmeta.layer.route.ChangelogReader} reads raw entries for audits.
 * </ul>
 *
 * <h2>The table and its indexes</h2>
 *
 * <ul>
 *   <li>{@link io.fdbmeta.layer.route.RouteTable}: one writer publishes immutable {@link
 *       io.fdbmeta.layer.route.RouteSnapshot}s; readers take no lock and allocate nothing.
 *   <li>A snapshot is a sorted array of {@code RouteChunk}s (end keys and routes, decoded lazily;
 *       {@code UnindexedChunk} defers indexing a loaded chunk to its first lookup) and an {@code
 *       IdIndex} from range id to route.
 *   <li>{@link io.fdbmeta.layer.route.EndKeyIndex}: the allocation-free upper-bound search over end
 *       keys, shared with the router's route cache; {@code RangeRow} reads index rows by hand.
 *   <li>{@link io.fdbmeta.layer.route.ChunkedEndIndex}: the chunk sizes and the copy-on-write
 *       editor of a chunked end-key index, shared by the snapshot and the router's route cache.
 * </ul>
 *
 * Depends on the core package only; never on {@link io.fdbmeta.layer.control}.
 */
@NullMarked
package io.fdbmeta.layer.route;

import org.jspecify.annotations.NullMarked;
