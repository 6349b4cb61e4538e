package io.fdbmeta.wire;

/**
 * Emitted by {@link RespDecoder}, after every command decoded before it, when the input stopped
 * being RESP. The connection cannot be resynchronised: reply {@code -ERR Protocol error: <message>}
 * and close it, as Redis does. The decoder discards everything after the error.
 */
public record RespProtocolError(String message) {}
