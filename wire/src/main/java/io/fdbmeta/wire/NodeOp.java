package io.fdbmeta.wire;

import org.jspecify.annotations.Nullable;

/**
 * Operations of the node protocol. Client operations come from routers; the rest are between
 * storage nodes. Codes are part of the wire format and never reused.
 */
public enum NodeOp {
  /** Liveness of the connection; no routing header needed. */
  PING(0),
  /** Values of {@code keys}; reply values in the same order, null for absent. */
  GET(1),
  /** Writes {@code values[i]} at {@code keys[i]}; reply number = keys written. */
  SET(2),
  /** Deletes {@code keys}; reply number = keys that existed. */
  DEL(3),
  /** Reply number = how many of {@code keys} exist. */
  EXISTS(4),
  /**
   * Pairs in [keys[0], keys[1]) (keys[1] empty: to the range's end), at most {@code limit}; reply
   * values alternate key, value, and number is 1 if more pairs follow.
   */
  SCAN(5),
  /**
   * A client command passed on as it is (the router knows its key positions, not its meaning):
   * {@code keys} = the whole command, the name first, whose key arguments all lie in the request's
   * range; no values; {@code limit} = the client's protocol (2 or 3). Reply OK with values[0] = the
   * RESP reply to relay as it is, or REFUSED with the RESP error text (a command the node does not
   * serve gets Redis's "unknown command" text).
   */
  COMMAND(6),
  /**
   * How many live keys lie in [keys[0], keys[1]) (keys[1] empty: to the range's end), as SCAN names
   * them; reply number = that count (DBSIZE).
   */
  COUNT(7),
  /**
   * Leader to follower: apply {@code keys}/{@code values} (null value: delete) at a sequence
   * number; reply number = the follower's applied sequence. {@code limit} 1: every non-null value
   * starts with its absolute expiry time, 8 bytes big-endian epoch milliseconds (0: none).
   */
  REPLICATE(16),
  /**
   * Like SCAN, for a node copying a range's data (replica creation, lease handover); served by any
   * synced replica, to a peer the range lists as a replica. Reply values are triples: key, value,
   * expiry (8 bytes big-endian epoch milliseconds, null for none); only keys live at the source.
   */
  FETCH(17),
  /**
   * First request on a node's connection to a peer: keys = [sender node id, random token]. The
   * receiver asks the sender, at its registered address, to VOUCH for the token; reply OK once it
   * did, and the connection then counts as the sender's (REPLICATE, FETCH), else ERROR.
   */
  HELLO(18),
  /**
   * keys = [token, asking node id]: did this node open a connection to the asking node with this
   * token? Reply OK with number = this process's incarnation if so, 0 if not.
   */
  VOUCH(19);

  private static final NodeOp[] BY_CODE = new NodeOp[32];

  static {
    for (NodeOp op : values()) BY_CODE[op.code] = op;
  }

  public final int code;

  NodeOp(int code) {
    this.code = code;
  }

  /** The op with this code, or null if there is none. */
  public static @Nullable NodeOp ofCode(int code) {
    return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
  }
}
