package io.fdbmeta.embedded;

import com.apple.foundationdb.KeyValue;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The messages of the store protocol (see {@link StoreProtocol} for the frame around them). Each
 * message knows its type, the size of its payload and how to write it; {@link StoreProtocol#decode}
 * reads them back. Requests without a reply (HOLD, PIN, RELEASE, CANCEL_WATCH) carry id 0.
 */
sealed interface StoreMessage {
  int id();

  Type type();

  /** Bytes of payload after the type and id. */
  int payloadSize();

  void writePayload(ByteBuf out);

  /** Message type codes on the wire: requests below 64, replies from 64. */
  enum Type {
    GRV(1),
    HOLD(2),
    PIN(3),
    RELEASE(4),
    GET(5),
    RANGE(6),
    COMMIT(7),
    WATCH(8),
    CANCEL_WATCH(9),
    DESCRIBE(10),
    OK_VERSION(64),
    OK_VALUE(65),
    OK_RANGE(66),
    OK_COMMIT(67),
    WATCH_FIRED(68),
    OK_TEXT(69),
    ERROR(70);

    private static final @Nullable Type[] BY_CODE = new Type[128];

    static {
      for (Type t : values()) BY_CODE[t.code] = t;
    }

    final int code;

    Type(int code) {
      this.code = code;
    }

    boolean isRequest() {
      return code < 64;
    }

    static @Nullable Type of(int code) {
      return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
  }

  // ---------------------------------------------------------------- requests

  /** A read version for {@code count} callers: the server holds it once for each. */
  record Grv(int id, int count) implements StoreMessage {
    @Override
    public Type type() {
      return Type.GRV;
    }

    @Override
    public int payloadSize() {
      return 4;
    }

    @Override
    public void writePayload(ByteBuf out) {
      out.writeInt(count);
    }
  }

  /** HOLD, PIN or RELEASE of one version; no reply. */
  record VersionNote(Type type, long version) implements StoreMessage {
    @Override
    public int id() {
      return 0;
    }

    @Override
    public int payloadSize() {
      return 8;
    }

    @Override
    public void writePayload(ByteBuf out) {
      out.writeLong(version);
    }
  }

  record Get(int id, long readVersion, byte[] key) implements StoreMessage {
    @Override
    public Type type() {
      return Type.GET;
    }

    @Override
    public int payloadSize() {
      return 8 + StoreProtocol.sizeOf(key);
    }

    @Override
    public void writePayload(ByteBuf out) {
      out.writeLong(readVersion);
      StoreProtocol.writeBytes(out, key);
    }
  }

  record Range(int id, long readVersion, byte[] begin, byte[] end, boolean reverse, int rowLimit)
      implements StoreMessage {
    @Override
    public Type type() {
      return Type.RANGE;
    }

    @Override
    public int payloadSize() {
      return 8 + StoreProtocol.sizeOf(begin) + StoreProtocol.sizeOf(end) + 1 + 4;
    }

    @Override
    public void writePayload(ByteBuf out) {
      out.writeLong(readVersion);
      StoreProtocol.writeBytes(out, begin);
      StoreProtocol.writeBytes(out, end);
      out.writeBoolean(reverse);
      out.writeInt(rowLimit);
    }
  }

  record Commit(int id, CommitRequest request) implements StoreMessage {
    @Override
    public Type type() {
      return Type.COMMIT;
    }

    @Override
    public int payloadSize() {
      return CommitCodec.size(request);
    }

    @Override
    public void writePayload(ByteBuf out) {
      CommitCodec.write(out, request);
    }
  }

  record Watch(int id, byte[] key, byte @Nullable [] expected) implements StoreMessage {
    @Override
    public Type type() {
      return Type.WATCH;
    }

    @Override
    public int payloadSize() {
      return StoreProtocol.sizeOf(key) + StoreProtocol.sizeOf(expected);
    }

    @Override
    public void writePayload(ByteBuf out) {
      StoreProtocol.writeBytes(out, key);
      StoreProtocol.writeBytes(out, expected);
    }
  }

  /** Removes the watch that request {@code watchId} set; no reply. */
  record CancelWatch(int watchId) implements StoreMessage {
    @Override
    public int id() {
      return 0;
    }

    @Override
    public Type type() {
      return Type.CANCEL_WATCH;
    }

    @Override
    public int payloadSize() {
      return 4;
    }

    @Override
    public void writePayload(ByteBuf out) {
      out.writeInt(watchId);
    }
  }

  record Describe(int id) implements StoreMessage {
    @Override
    public Type type() {
      return Type.DESCRIBE;
    }

    @Override
    public int payloadSize() {
      return 0;
    }

    @Override
    public void writePayload(ByteBuf out) {}
  }

  // ---------------------------------------------------------------- replies

  record VersionReply(int id, long version) implements StoreMessage {
    @Override
    public Type type() {
      return Type.OK_VERSION;
    }

    @Override
    public int payloadSize() {
      return 8;
    }

    @Override
    public void writePayload(ByteBuf out) {
      out.writeLong(version);
    }
  }

  record ValueReply(int id, byte @Nullable [] value) implements StoreMessage {
    @Override
    public Type type() {
      return Type.OK_VALUE;
    }

    @Override
    public int payloadSize() {
      return StoreProtocol.sizeOf(value);
    }

    @Override
    public void writePayload(ByteBuf out) {
      StoreProtocol.writeBytes(out, value);
    }
  }

  record RangeReply(int id, List<KeyValue> rows, boolean more) implements StoreMessage {
    /** Each row costs at least its two lengths. */
    static final int MIN_ROW_BYTES = 8;

    @Override
    public Type type() {
      return Type.OK_RANGE;
    }

    @Override
    public int payloadSize() {
      int size = 4 + 1;
      for (KeyValue kv : rows) {
        size += StoreProtocol.sizeOf(kv.getKey()) + StoreProtocol.sizeOf(kv.getValue());
      }
      return size;
    }

    @Override
    public void writePayload(ByteBuf out) {
      out.writeInt(rows.size());
      for (KeyValue kv : rows) {
        StoreProtocol.writeBytes(out, kv.getKey());
        StoreProtocol.writeBytes(out, kv.getValue());
      }
      out.writeBoolean(more);
    }

    static RangeReply read(int id, ByteBuf in) {
      int count = StoreProtocol.readCount(in, MIN_ROW_BYTES, "rows");
      List<KeyValue> rows = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        rows.add(new KeyValue(StoreProtocol.readBytes(in), StoreProtocol.readBytes(in)));
      }
      return new RangeReply(id, rows, StoreProtocol.readBoolean(in));
    }
  }

  record CommitReply(int id, CommitResult result) implements StoreMessage {
    @Override
    public Type type() {
      return Type.OK_COMMIT;
    }

    @Override
    public int payloadSize() {
      return 8 + StoreProtocol.sizeOf(result.versionstamp());
    }

    @Override
    public void writePayload(ByteBuf out) {
      out.writeLong(result.version());
      StoreProtocol.writeBytes(out, result.versionstamp());
    }
  }

  record WatchFired(int id) implements StoreMessage {
    @Override
    public Type type() {
      return Type.WATCH_FIRED;
    }

    @Override
    public int payloadSize() {
      return 0;
    }

    @Override
    public void writePayload(ByteBuf out) {}
  }

  /** OK_TEXT; or ERROR, with an FDBException's code. */
  record TextReply(int id, Type type, int code, String text) implements StoreMessage {
    static TextReply ok(int id, String text) {
      return new TextReply(id, Type.OK_TEXT, 0, text);
    }

    static TextReply error(int id, int code, String message) {
      return new TextReply(id, Type.ERROR, code, message);
    }

    @Override
    public int payloadSize() {
      return (type == Type.ERROR ? 4 : 0) + 4 + ByteBufUtil.utf8Bytes(text);
    }

    @Override
    public void writePayload(ByteBuf out) {
      if (type == Type.ERROR) out.writeInt(code);
      out.writeInt(ByteBufUtil.utf8Bytes(text));
      ByteBufUtil.writeUtf8(out, text);
    }
  }
}
