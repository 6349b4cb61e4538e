package io.fdbmeta.wire;

import io.netty.handler.codec.CorruptedFrameException;

/** A node protocol frame that is well delimited but whose content does not follow the format. */
public final class MalformedFrameException extends CorruptedFrameException {
  public MalformedFrameException(String message) {
    super(message);
  }
}
