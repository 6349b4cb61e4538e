package io.fdbmeta.wire;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** A RESP reply as a client sees it; produced by {@link RespReplyDecoder}. */
public sealed interface RespValue {
  /** {@code +text} */
  record Simple(String text) implements RespValue {}

  /** {@code -text} */
  record Error(String text) implements RespValue {}

  /** {@code :n} */
  record Integer(long value) implements RespValue {}

  /** {@code $n ...}; null bytes for the null bulk string. */
  record Bulk(byte @Nullable [] bytes) implements RespValue {
    public @Nullable String utf8() {
      return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
    }
  }

  /** {@code *n ...}; null elements for the null array. */
  record Array(@Nullable List<RespValue> elements) implements RespValue {}
}
