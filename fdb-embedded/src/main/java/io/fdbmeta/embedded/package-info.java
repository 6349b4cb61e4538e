/**
 * An implementation of the FoundationDB Java API, in process or served to other processes. Entry
 * point: {@link io.fdbmeta.embedded.EmbeddedFdb}.
 *
 * <p>The rooms, split as FoundationDB splits client and cluster:
 *
 * <ul>
 *   <li>Client: {@code EmbeddedDatabase} and {@code EmbeddedTransaction} (read-your-writes in
 *       {@code WriteBuffer}, conflict ranges, options, retry loop, watch slots), reaching the data
 *       only through a {@code Cluster}.
 *   <li>Cluster in this process: {@code LocalCluster} over {@code Store} (MVCC versions, conflict
 *       history, read-version holds, watches, commit log).
 *   <li>Cluster over TCP: {@code RemoteCluster} (client side, GRVs batched in {@code GrvBatcher})
 *       and {@code StoreServer} with one {@code StoreConnection} per client; the wire format is
 *       {@code StoreProtocol}, {@code StoreMessage} and {@code CommitCodec}.
 * </ul>
 */
@NullMarked
package io.fdbmeta.embedded;

import org.jspecify.annotations.NullMarked;
