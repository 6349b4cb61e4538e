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
 *   <li>{@code GET key}, {@code SET key value}, {@code DEL key...}, {@code EXISTS key...}: as in
 *       Redis. SET with options goes as a single-key command (below).
 *   <li>{@code MGET key...}, {@code MSET key value...}: keys are grouped by range and each group is
 *       one request to that range's leaseholder (a group of more than 1,000 keys goes as several
 *       requests, and one command has at most 4 requests in flight, so that one huge command leaves
 *       room for other clients); the reply lists values in the order of the keys. MSET is atomic
 *       per range for up to 1,000 keys of that range, not across ranges: if one group fails the
 *       command answers an error and other groups may have been written.
 *   <li>{@code RANGE start end [LIMIT n]}: the pairs with {@code start <= key < end} in key order,
 *       as a flat array {@code key1 value1 key2 value2 ...}, at most {@code n} pairs (default 100,
 *       at most 10,000: see {@link io.fdbmeta.router.RouterConfig.Builder#rangeLimits}). An empty
 *       {@code end} means "to the end of the keyspace". The walk goes range by range; to read
 *       further, call again with {@code start} set to the last key returned followed by a zero
 *       byte, or add {@code WITHCURSOR} to get {@code [next start or null, [pairs]]}. Each range's
 *       part is read at that range's leaseholder; the whole is not one snapshot.
 *   <li>{@code SCAN cursor [MATCH p] [COUNT n] [TYPE t]}, {@code KEYS pattern}, {@code DBSIZE}:
 *       walks over the ranges in key order ({@code ScanOp}); SCAN's cursor is a key (valid across
 *       splits, merges and moves), KEYS is bounded, DBSIZE sums the leaseholders' counts.
 *   <li>Connection commands, answered by the router ({@code ConnectionCommands}): {@code HELLO
 *       [2|3] [AUTH user pass] [SETNAME name]} (RESP3 replies once negotiated), {@code CLIENT
 *       ID|GETNAME|SETNAME|SETINFO|INFO}, {@code COMMAND [COUNT|INFO|DOCS]} from the command table,
 *       {@code AUTH [user] password} (users of {@code Users}; with users, -NOAUTH before AUTH and
 *       -NOPERM for a read-only user's writes, checked in {@code Commands}), {@code PING}, {@code
 *       ECHO}, {@code QUIT}, {@code SELECT 0}, {@code RESET}, {@code INFO [section...]} (server,
 *       clients, stats, keyspace, router, routes). TLS on the port: {@code RouterTls}, the {@code
 *       tls} step of {@code RouterChannelInitializer}.
 *   <li>Other commands of the command table ({@code CommandTable}) by their key positions: a
 *       single-key command is passed on as it is to its key's leaseholder, which serves it (the
 *       string and expiry commands) or answers Redis's unknown-command error; an atomic multi-key
 *       one (MSETNX, RENAME) only if all its keys lie in one range, else {@code -CROSSRANGE}.
 * </ul>
 *
 * Errors: unknown commands and wrong arguments get Redis 7's {@code -ERR ...} texts ({@code
 * RouterParser} checks the command table first) and the connection stays open. Malformed RESP gets
 * {@code -ERR Protocol error: ...} after the replies of the commands before it, then the connection
 * closes; so does a command still arriving that holds more memory than its connection or all
 * connections together may hold ({@link
 * io.fdbmeta.router.RouterConfig.Builder#incompleteCommandBytes}). Routing failures get the error
 * of an {@link io.fdbmeta.router.UpstreamFailure} ({@code -TRYAGAIN}, {@code -TIMEOUT}, {@code
 * -BUSY}, ...).
 *
 * <p>Backpressure and closing: a client that does not read its replies stops being served and read
 * once its unread replies pass the write high-water mark, whatever the commands (INFO and errors
 * too). A client that half-closes (shuts down its write side) still gets the replies to every
 * command it sent; the router then closes the connection. QUIT closes after its reply.
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
 *
 * <p>A client connection ({@code RouterChannelInitializer} names its pipeline's steps), inside:
 *
 * <ul>
 *   <li>{@code ConnectionLimiter}: the connection caps, in total and per source address.
 *   <li>{@code ClientHandler}: channel glue only; checks each decoded command with {@code
 *       RouterParser} (the {@code CommandTable}, then {@link io.fdbmeta.wire.RespParser} for the
 *       typed ones) and hands it to the reply queue; with users on, tells the decoder whether the
 *       client is authenticated (Redis's limits before AUTH) and closes idle unauthenticated
 *       connections early.
 *   <li>{@code ReplyQueue}: replies in command order, the order-of-effects gate ({@code KeyGate}: a
 *       command touching a key an unanswered earlier one writes, or writing one it touches, waits;
 *       cost proportional to the keys involved), and backpressure for every reply path (replies
 *       that land past the write high-water mark are bounded per connection and in total).
 *   <li>{@code Commands}: starts a request: a {@code KeysOp} (GET, SET, DEL, EXISTS, MGET, MSET:
 *       keys split by range into bounded batches), a {@code ScanOp} (RANGE: a walk range by range),
 *       or an answer at once; each is an {@code Op}, a slot in the reply order.
 *   <li>{@code Routed}: one node request of an op, sent to the range's leaseholder through the
 *       loop's {@code Upstream}, with redirects, backoff and retries within the command's budget.
 *   <li>{@code ForwardOp}: a command passed on as it is (node op COMMAND) to one range.
 *   <li>{@code ClientSession}: what a connection's ops share (services, loop, upstream, queue, the
 *       connection's {@code ClientState}: id, protocol, name).
 * </ul>
 */
@NullMarked
package io.fdbmeta.router;

import org.jspecify.annotations.NullMarked;
