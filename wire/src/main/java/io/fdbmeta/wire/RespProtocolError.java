package io.fdbmeta.wire;

/**
 * Emitted by {@link RespDecoder}, after every command decoded before it, when the input stopped
 * being RESP, or ({@code overLimit}) when an incomplete command would hold more memory than the
 * connection or the server allows. The connection cannot be resynchronised: reply {@link
 * RespParser#protocolError} and close it, as Redis does. The decoder discards everything after the
 * error.
 */
public record RespProtocolError(String message, boolean overLimit) {
  public RespProtocolError(String message) {
    this(message, false);
  }
}
