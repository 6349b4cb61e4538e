package io.fdbmeta.wire;

import org.jspecify.annotations.Nullable;

/**
 * A node protocol request. The routing header (rangeId, generation, epoch) says which range the
 * sender believes holds the keys, at which version of its descriptor and lease; the node serves
 * only if that matches what it holds. Arrays are owned by the request; do not modify them.
 *
 * @param id chosen by the sender, echoed in the reply (replies on one connection may come out of
 *     order)
 * @param limit SCAN/FETCH: most pairs to return; COMMAND: the client's protocol (2 or 3);
 *     REPLICATE: 1 if values carry their expiry; otherwise 0
 * @param keys the keys, all in the named range
 * @param values SET/REPLICATE: one per key (REPLICATE: null deletes); otherwise empty
 */
public record NodeRequest(
    long id,
    NodeOp op,
    long rangeId,
    long generation,
    long epoch,
    int limit,
    byte[][] keys,
    byte[] @Nullable [] values) {
  private static final byte[][] NONE = new byte[0][];

  public NodeRequest {
    if (values.length != 0 && values.length != keys.length) {
      throw new IllegalArgumentException(
          op + " request has " + keys.length + " keys but " + values.length + " values");
    }
    if (limit < 0) throw new IllegalArgumentException("negative limit " + limit);
  }

  public static NodeRequest ping(long id) {
    return new NodeRequest(id, NodeOp.PING, 0, 0, 0, 0, NONE, NONE);
  }

  /** GET, DEL or EXISTS of {@code keys}. */
  public static NodeRequest keys(
      long id, NodeOp op, long rangeId, long generation, long epoch, byte[]... keys) {
    return new NodeRequest(id, op, rangeId, generation, epoch, 0, keys, NONE);
  }

  public static NodeRequest set(
      long id, long rangeId, long generation, long epoch, byte[][] keys, byte[][] values) {
    return new NodeRequest(id, NodeOp.SET, rangeId, generation, epoch, 0, keys, values);
  }

  /** SCAN or FETCH of [start, end); an empty end means the range's end. */
  public static NodeRequest scan(
      long id,
      NodeOp op,
      long rangeId,
      long generation,
      long epoch,
      byte[] start,
      byte[] end,
      int limit) {
    return new NodeRequest(
        id, op, rangeId, generation, epoch, limit, new byte[][] {start, end}, NONE);
  }
}
