/**
 * The router: a Netty proxy that speaks RESP (the Redis protocol) to clients and the binary node
 * protocol to storage nodes, routing every key by a local, bounded route cache.
 *
 * <h2>Commands</h2>
 *
 * Keys and values are binary safe. Commands are case-insensitive; replies on one connection come in
 * the order of the commands, also when pipelined. Pipelined commands run in parallel, except that,
 * as in Redis, a command that writes a key an earlier command of the same connection touches, or
 * touches a key an earlier one writes ({@code RANGE} touches its interval), runs after that one is
 * answered: {@code SET k v} then {@code GET k} reads {@code v}, and of two pipelined writes of a
 * key the later one wins, whatever retries either of them needed.
 *
 * <ul>
 *   <li>{@code GET key}, {@code SET key value} (no options), {@code DEL key...}, {@code EXISTS
 *       key...}: as in Redis.
 *   <li>{@code MGET key...}, {@code MSET key value...}: keys are grouped by range and each group is
 *       one request to that range's leaseholder, all in parallel; the reply lists values in the
 *       order of the keys. MSET is atomic per range, not across ranges: if one group fails the
 *       command answers an error and other groups may have been written.
 *   <li>{@code RANGE start end [LIMIT n]}: the pairs with {@code start <= key < end} in key order,
 *       as a flat array {@code key1 value1 key2 value2 ...}, at most {@code n} pairs (default 100,
 *       at most 10,000: see {@link io.fdbmeta.router.RouterConfig.Builder#rangeLimits}). An empty
 *       {@code end} means "to the end of the keyspace". The walk goes range by range; to read
 *       further, call again with {@code start} set to the last key returned followed by a zero
 *       byte. Each range's part is read at that range's leaseholder; the whole is not one snapshot.
 *   <li>{@code PING [message]}, {@code ECHO message}, {@code QUIT}, {@code SELECT 0}, {@code
 *       COMMAND} (an empty list, for clients that ask on connect).
 *   <li>{@code INFO}: router statistics as {@code name:value} lines (requests, errors, redirects,
 *       route cache size and lag).
 * </ul>
 *
 * Errors: unknown commands and wrong arguments get {@code -ERR ...} and the connection stays open.
 * Malformed RESP gets {@code -ERR Protocol error: ...} after the replies of the commands before it,
 * then the connection closes. Routing failures get the error of an {@link
 * io.fdbmeta.router.UpstreamFailure} ({@code -TRYAGAIN}, {@code -TIMEOUT}, {@code -BUSY}, ...).
 *
 * <h2>Pieces</h2>
 *
 * <ul>
 *   <li>{@link io.fdbmeta.router.Router}: start with a {@link io.fdbmeta.router.RouterConfig}, a
 *       database and a keyspace; close drains.
 *   <li>{@link io.fdbmeta.router.RouteCache}: the weight-bounded route table with allocation-free
 *       lookups, fed by the layer's {@link io.fdbmeta.layer.route.ChangeFeed} and by redirects.
 *   <li>{@link io.fdbmeta.router.RouterMetrics}: counters and histograms, Prometheus text on the
 *       admin port's {@code /metrics}; {@code /healthz} says the process answers, {@code /readyz}
 *       (and {@code /health}) whether the router serves. The port is an {@link
 *       io.fdbmeta.router.AdminServer}, on 127.0.0.1 unless configured otherwise.
 * </ul>
 */
@NullMarked
package io.fdbmeta.router;

import org.jspecify.annotations.NullMarked;
