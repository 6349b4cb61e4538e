package io.fdbmeta.wire;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.TooLongFrameException;
import java.util.List;
import org.jspecify.annotations.Nullable;

/*
 * Why not Netty's LengthFieldBasedFrameDecoder: its limit counts the 4-byte prefix (so the
 * documented limit was 4 bytes more than a frame's content could be), and it keeps a partial frame
 * for as long as the peer likes, with nothing bounding what all connections hold together.
 *
 * Here the length is checked the moment its 4 bytes are in: above the payload limit, the decoder
 * throws at once and from then on drops every byte (the owner closes the connection; nothing after
 * an unframeable length can be trusted). A frame that is announced but not complete reserves its
 * announced length in the shared PartialFrameBudget (if any) before more of its bytes are kept;
 * when the budget cannot take it, the decoder fails the same way. Reservations return when the
 * frame is complete or the handler leaves the pipeline (connection closed).
 */
/** Splits the node protocol's stream into frames: int32 payload length, then the payload. */
final class NodeFrameDecoder extends ByteToMessageDecoder {
  private final int maxPayloadBytes;
  private final @Nullable PartialFrameBudget budget;
  private long reserved;
  private boolean failed;

  NodeFrameDecoder(int maxPayloadBytes, @Nullable PartialFrameBudget budget) {
    this.maxPayloadBytes = maxPayloadBytes;
    this.budget = budget;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (failed) {
      in.skipBytes(in.readableBytes());
      return;
    }
    if (in.readableBytes() < 4) return;
    long length = in.getUnsignedInt(in.readerIndex());
    if (length > maxPayloadBytes)
      fail(
          in,
          "frame of "
              + length
              + " bytes is above the limit of "
              + maxPayloadBytes
              + " bytes (the 4-byte length prefix not counted)");
    if (in.readableBytes() - 4 < length) {
      reserve(in, length);
      return;
    }
    release();
    out.add(in.retainedSlice(in.readerIndex() + 4, (int) length));
    in.skipBytes(4 + (int) length);
  }

  private void reserve(ByteBuf in, long length) {
    if (budget == null || reserved == length) return;
    release();
    if (!budget.tryReserve(length))
      fail(
          in,
          "partial frames would hold more than "
              + budget.limit()
              + " bytes on this port ("
              + budget.held()
              + " held); frame of "
              + length
              + " bytes refused");
    reserved = length;
  }

  private void release() {
    if (budget != null && reserved > 0) budget.release(reserved);
    reserved = 0;
  }

  private void fail(ByteBuf in, String why) {
    failed = true;
    release();
    in.skipBytes(in.readableBytes());
    throw new TooLongFrameException(why);
  }

  @Override
  protected void handlerRemoved0(ChannelHandlerContext ctx) {
    release();
  }
}
