package io.fdbmeta.wire;

import org.jspecify.annotations.Nullable;

/**
 * A node protocol reply to the request with the same id.
 *
 * @param number what the op counts (keys written, deleted, existing; SCAN: 1 if more pairs follow)
 * @param values GET: one per key, null for absent; SCAN/FETCH: key, value, key, value...
 * @param descriptor for redirect statuses, the node's current range descriptor (the layer's
 *     encoding) when it has one, for the router to apply before retrying
 * @param message for ERROR and redirects, a human-readable reason
 */
public record NodeReply(
    long id,
    ReplyStatus status,
    long number,
    byte[] @Nullable [] values,
    byte @Nullable [] descriptor,
    @Nullable String message) {
  private static final byte[][] NONE = new byte[0][];

  public static NodeReply ok(long id, long number) {
    return new NodeReply(id, ReplyStatus.OK, number, NONE, null, null);
  }

  public static NodeReply values(long id, long number, byte[] @Nullable [] values) {
    return new NodeReply(id, ReplyStatus.OK, number, values, null, null);
  }

  public static NodeReply redirect(
      long id, ReplyStatus status, byte @Nullable [] descriptor, String message) {
    if (!status.redirect) throw new IllegalArgumentException(status + " is not a redirect status");
    return new NodeReply(id, status, 0, NONE, descriptor, message);
  }

  public static NodeReply failure(long id, ReplyStatus status, String message) {
    return new NodeReply(id, status, 0, NONE, null, message);
  }
}
