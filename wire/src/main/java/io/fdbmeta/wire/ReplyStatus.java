package io.fdbmeta.wire;

import org.jspecify.annotations.Nullable;

/** The status of a node protocol reply. Codes are part of the wire format. */
public enum ReplyStatus {
  OK(0, false),
  /** The key (or range) holds nothing; used where "absent" is not already a null value. */
  NOT_FOUND(1, false),
  /**
   * The request's range does not hold the key, or the node does not know that range. Carries the
   * node's descriptor when it has one.
   */
  WRONG_RANGE(2, true),
  /** The request's generation or epoch is older than the node's. Carries the node's descriptor. */
  STALE_EPOCH(3, true),
  /**
   * The node is not the leaseholder (or its lease is about to expire). Carries the node's
   * descriptor when it has one.
   */
  NOT_LEASEHOLDER(4, true),
  /** Try again later (queue full, range being handed over). */
  OVERLOADED(5, false),
  /** The request failed; the message says why. */
  ERROR(6, false),
  /**
   * The client's command is refused as it was sent (not served, wrong arguments, wrong type): the
   * message is the RESP error text to relay to the client, such as {@code ERR unknown command ...}.
   * Not a failure of the node or the route.
   */
  REFUSED(7, false);

  private static final ReplyStatus[] BY_CODE = values();

  public final int code;

  /**
   * Whether replies with this status carry the node's current range descriptor for the router to
   * apply.
   */
  public final boolean redirect;

  ReplyStatus(int code, boolean redirect) {
    this.code = code;
    this.redirect = redirect;
  }

  public static @Nullable ReplyStatus ofCode(int code) {
    return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
  }
}
