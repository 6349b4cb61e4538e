/**
 * The reference storage node: in-memory data served under the layer's leases, built only on the
 * public {@code io.fdbmeta.layer} API. {@link io.fdbmeta.storage.StorageNode} is one node; {@link
 * io.fdbmeta.storage.LocalCluster} starts several in one JVM for the demo and tests.
 *
 * <h2>Decisions</h2>
 *
 * <ul>
 *   <li><b>Data layout.</b> One unsigned-ordered {@code ConcurrentSkipListMap} per node holds every
 *       range; ranges are views of it, so a split moves no data and its children need only lease
 *       guards. Each entry remembers the write that produced it (writer node, sequence number whose
 *       high bits are the writer's incarnation), which is how replicas order writes.
 *   <li><b>Request path.</b> Every client request passes the range's {@code LeaseGuard} with its
 *       routing header and must keep its keys inside the range. Refusals carry the node's current
 *       descriptor (WRONG_RANGE, STALE_EPOCH, NOT_LEASEHOLDER) or ask for a retry (OVERLOADED: the
 *       node is behind and catches up at once, its lease is being renewed or handed over, its
 *       replica is still copying data, or a write was not replicated in time).
 *   <li><b>Replication.</b> The leaseholder stores a write, sends REPLICATE to every other replica
 *       and acknowledges only when all stored it, within the replication timeout; otherwise the
 *       client gets OVERLOADED and the write may or may not be visible later. A replica takes a
 *       REPLICATE only at exactly the (generation, epoch) it knows, from the leaseholder that view
 *       names, on that leaseholder's authenticated peer connection (HELLO vouched by the node at
 *       its registered address, {@code PeerAuth}) with a sequence number of its incarnation, and
 *       per key keeps the later write of one writer process, so reordered or duplicated REPLICATEs
 *       cannot regress a value, a deposed leaseholder gets no acknowledgement from a replica that
 *       learned the new epoch, and no one else can make a replica skip later writes. The sequence
 *       number travels as the REPLICATE's request id.
 *   <li><b>Redis commands and expiry.</b> The string and expiry commands a router passes on as they
 *       are (node op COMMAND) run at the leaseholder ({@code StringCommands}, as Redis 7.0.15
 *       executes them): a write reads and writes its key under the store's leaseholder lock and is
 *       replicated as the value and absolute expiry time it produced, never as the command, so
 *       replicas cannot diverge. The expiry is stored with the value ({@code DataStore}), travels
 *       in REPLICATE and FETCH and stays in split children; every read asks with the reader's
 *       clock, so a key read after its time is absent on every replica, and a sweep turns expired
 *       entries into tombstones. A write that could not be replicated is answered ERROR rather than
 *       OVERLOADED unless sending it again is harmless, so a router never applies an INCR twice.
 *   <li><b>Joining.</b> A replica that gains a range it has no data for (added replica, restarted
 *       process) copies it with FETCH from the leaseholder (from another replica when it is itself
 *       the named holder) and neither serves nor asks for the lease until done. A range that never
 *       had a lease (epoch 0) has no data to copy.
 *   <li><b>Leases without a controller.</b> The named leaseholder renews every third of the lease;
 *       a node named leaseholder by a transfer or a grant made for it acquires (which extends the
 *       grant to its process); any synced replica acquires a vacant or expired lease, and the
 *       transaction decides the single winner.
 *   <li><b>Splits</b> run on the leaseholder in two phases while it serves ({@code
 *       StorageNode.splitAsync}); <b>lease transfers</b> block writes, wait for those in flight,
 *       revoke the guard and transfer ({@code StorageNode.transferLeaseAsync}); <b>close</b> does
 *       the same with a release, then drains requests.
 * </ul>
 */
@NullMarked
package io.fdbmeta.storage;

import org.jspecify.annotations.NullMarked;
