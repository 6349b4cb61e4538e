package io.fdbmeta.embedded;

import com.apple.foundationdb.MutationType;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.CorruptedFrameException;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/*
 * A CommitRequest in a COMMIT frame:
 *
 *   i64 readVersion
 *   i32 count, count x range      reads, then writes; range = bytes begin, bytes end (-1: begin + \x00)
 *   i32 count, count x range
 *   i32 count, count x mutation   mutation = u8 kind (0 set, 1 clear range, 2 atomic), bytes key,
 *                                 bytes param, and for an atomic a u8 MutationType code
 *
 * A single-key range travels without its end, as KeyRange keeps it.
 */
/** Writes and reads the CommitRequest of a COMMIT message. */
final class CommitCodec {
  private static final int MIN_RANGE_BYTES = 8;
  private static final int MIN_MUTATION_BYTES = 9;
  private static final @Nullable MutationType[] TYPES = new MutationType[256];

  static {
    for (MutationType t : MutationType.values()) {
      if (TYPES[t.code()] == null) TYPES[t.code()] = t; // AND and BIT_AND share a code: same effect
    }
  }

  private CommitCodec() {}

  static int size(CommitRequest r) {
    int size = 8 + 4 + 4 + 4;
    for (KeyRange k : r.reads()) size += size(k);
    for (KeyRange k : r.writes()) size += size(k);
    for (Mutation m : r.mutations()) {
      size += 1 + StoreProtocol.sizeOf(m.key()) + StoreProtocol.sizeOf(m.param());
      if (m.kind() == Mutation.Kind.ATOMIC) size += 1;
    }
    return size;
  }

  static void write(ByteBuf out, CommitRequest r) {
    out.writeLong(r.readVersion());
    writeRanges(out, r.reads());
    writeRanges(out, r.writes());
    out.writeInt(r.mutations().size());
    for (Mutation m : r.mutations()) {
      out.writeByte(kindCode(m.kind()));
      StoreProtocol.writeBytes(out, m.key());
      StoreProtocol.writeBytes(out, m.param());
      MutationType type = m.type();
      if (m.kind() == Mutation.Kind.ATOMIC && type != null) out.writeByte(type.code());
    }
  }

  /**
   * Reads a commit request, checking every count and length against the bytes left.
   *
   * @throws CorruptedFrameException if the bytes do not follow the format
   */
  static CommitRequest read(ByteBuf in) {
    long readVersion = StoreProtocol.readLong(in);
    List<KeyRange> reads = readRanges(in, "read ranges");
    List<KeyRange> writes = readRanges(in, "write ranges");
    int count = StoreProtocol.readCount(in, MIN_MUTATION_BYTES, "mutations");
    List<Mutation> mutations = new ArrayList<>(count);
    for (int i = 0; i < count; i++) mutations.add(readMutation(in));
    return new CommitRequest(readVersion, reads, writes, mutations);
  }

  private static int size(KeyRange k) {
    return StoreProtocol.sizeOf(k.begin()) + (k.isSingleKey() ? 4 : StoreProtocol.sizeOf(k.end()));
  }

  private static void writeRanges(ByteBuf out, List<KeyRange> ranges) {
    out.writeInt(ranges.size());
    for (KeyRange k : ranges) {
      StoreProtocol.writeBytes(out, k.begin());
      StoreProtocol.writeBytes(out, k.isSingleKey() ? null : k.end());
    }
  }

  private static List<KeyRange> readRanges(ByteBuf in, String what) {
    int count = StoreProtocol.readCount(in, MIN_RANGE_BYTES, what);
    List<KeyRange> ranges = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      byte[] begin = StoreProtocol.readBytes(in);
      byte[] end = StoreProtocol.readNullableBytes(in);
      ranges.add(end == null ? KeyRange.single(begin) : new KeyRange(begin, end));
    }
    return ranges;
  }

  private static int kindCode(Mutation.Kind kind) {
    switch (kind) {
      case SET:
        return 0;
      case CLEAR_RANGE:
        return 1;
      case ATOMIC:
        return 2;
      default:
        throw new IllegalArgumentException("no wire code for mutation kind " + kind);
    }
  }

  private static Mutation readMutation(ByteBuf in) {
    int kind = StoreProtocol.readUnsignedByte(in);
    byte[] key = StoreProtocol.readBytes(in);
    byte[] param = StoreProtocol.readBytes(in);
    switch (kind) {
      case 0:
        return Mutation.set(key, param);
      case 1:
        return Mutation.clearRange(key, param);
      case 2:
        int code = StoreProtocol.readUnsignedByte(in);
        MutationType type = TYPES[code];
        if (type == null) throw new CorruptedFrameException("unknown mutation type " + code);
        return Mutation.atomic(type, key, param);
      default:
        throw new CorruptedFrameException("unknown mutation kind " + kind);
    }
  }
}
