package io.fdbmeta.layer;

/** Argument checks shared by layer entry points, with messages that say what was wrong. */
final class Validation {
  /**
   * User keys routed by fdbmeta; leaves room for the keyspace prefix inside FoundationDB's
   * 10,000-byte key limit.
   */
  static final int MAX_USER_KEY_BYTES = 8_192;

  private Validation() {}

  static void key(byte[] key) {
    if (key.length > MAX_USER_KEY_BYTES) {
      throw MetaException.forKey(
          MetaException.Code.INVALID_ARGUMENT,
          java.util.Arrays.copyOf(key, 32),
          null,
          "key of " + key.length + " bytes exceeds the " + MAX_USER_KEY_BYTES + "-byte limit");
    }
  }

  static String nodeId(String nodeId) {
    if (nodeId.isEmpty() || nodeId.length() > 128 || !nodeId.matches("[A-Za-z0-9._:-]+")) {
      throw new IllegalArgumentException(
          "node id must be 1-128 characters of [A-Za-z0-9._:-], got '" + nodeId + "'");
    }
    return nodeId;
  }
}
