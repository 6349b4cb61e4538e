/**
 * The data path's two protocols, as Netty codecs with no dependency on the metadata layer.
 *
 * <ul>
 *   <li>RESP, the Redis protocol, which clients speak to routers and (unrouted) to storage nodes:
 *       {@link io.fdbmeta.wire.RespDecoder} turns bytes into {@link io.fdbmeta.wire.RespCommand}s
 *       (bounding what incomplete commands hold, per connection and with a shared budget), {@link
 *       io.fdbmeta.wire.RespParser} checks them into typed {@link io.fdbmeta.wire.RespRequest}s
 *       with every error text for a mistaken command (the router and a node's own RESP port share
 *       it), {@link io.fdbmeta.wire.Resp} writes replies, {@link io.fdbmeta.wire.RespReplyDecoder}
 *       is the client side.
 *   <li>The node protocol, which routers speak to storage nodes: length-prefixed binary frames
 *       carrying {@link io.fdbmeta.wire.NodeRequest}s with the routing header and {@link
 *       io.fdbmeta.wire.NodeReply}s with a {@link io.fdbmeta.wire.ReplyStatus}; see {@link
 *       io.fdbmeta.wire.NodeCodec} for the layout. Frame limits count the payload, not the 4-byte
 *       length prefix; a node's port holds partial frames against one {@link
 *       io.fdbmeta.wire.PartialFrameBudget}.
 * </ul>
 *
 * Every length read from the wire is checked against a limit and against the bytes actually present
 * before anything is allocated for it. Both servers cap the connections of one source address with
 * a {@link io.fdbmeta.wire.ConnectionsPerAddress}.
 */
@NullMarked
package io.fdbmeta.wire;

import org.jspecify.annotations.NullMarked;
