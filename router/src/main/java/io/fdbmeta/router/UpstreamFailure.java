package io.fdbmeta.router;

/**
 * Why a request failed on its way to or from a storage node. Each kind maps to the RESP error a
 * client sees (its first word is the error code, as Redis clients expect) and to the tag of the
 * {@code fdbmeta_router_errors_total} metric.
 */
public enum UpstreamFailure {
  /** The catalog could not be read to find the range holding a key. */
  NO_ROUTE("CLUSTERDOWN", "no route to the key's range"),
  /** The range has no leaseholder, so no node may serve it yet. */
  NO_LEASEHOLDER("TRYAGAIN", "the key's range has no leaseholder"),
  /** The leaseholder is not in the node registry, or its address is unusable. */
  UNKNOWN_NODE("TRYAGAIN", "the range's leaseholder is not a known node"),
  /** A connection to the node could not be opened. */
  CONNECT_FAILED("TRYAGAIN", "cannot connect to the storage node"),
  /** The connection closed with the request in flight: a write may or may not have been applied. */
  CONNECTION_LOST("ERR", "connection to the storage node lost; the request may have been applied"),
  /** No answer within the request deadline. */
  TIMEOUT("TIMEOUT", "no answer within the request deadline"),
  /** Redirected more often than the retry budget allows. */
  REDIRECT_BUDGET("TRYAGAIN", "routing did not settle within the retry budget"),
  /** The node kept answering OVERLOADED. */
  OVERLOADED("BUSY", "the storage node is overloaded"),
  /** The node answered ERROR. */
  NODE_ERROR("ERR", "the storage node failed the request"),
  /** The node's reply made no sense for the request. */
  BAD_REPLY("ERR", "malformed reply from the storage node"),
  /** The router is shutting down. */
  SHUTTING_DOWN("SHUTDOWN", "the router is shutting down");

  /** The first word of the RESP error. */
  public final String code;

  /** What the client is told, before any detail. */
  public final String message;

  /** The metric tag: the name in lower case. */
  public final String tag;

  UpstreamFailure(String code, String message) {
    this.code = code;
    this.message = message;
    this.tag = name().toLowerCase(java.util.Locale.ROOT);
  }

  /** The RESP error text (without the leading '-'), with an optional detail. */
  public String respError(String detail) {
    return detail == null || detail.isEmpty()
        ? code + " " + message
        : code + " " + message + ": " + detail;
  }
}
