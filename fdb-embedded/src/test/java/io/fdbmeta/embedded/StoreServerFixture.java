package io.fdbmeta.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.apple.foundationdb.FDBException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Helpers shared by the socket tests of the store server and its client. */
final class StoreServerFixture {
  static final InetSocketAddress ANY_PORT = new InetSocketAddress("127.0.0.1", 0);

  private StoreServerFixture() {}

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static String hostPort(StoreServer server) {
    return "127.0.0.1:" + server.address().getPort();
  }

  /** Commits blind sets (no conflict ranges) through {@code cluster}. */
  static CommitResult set(Cluster cluster, byte[] key, byte[] value) {
    Cluster.ReadVersion rv = cluster.readVersion().join();
    try {
      return cluster
          .commit(
              new CommitRequest(
                  rv.version(),
                  List.of(),
                  List.of(KeyRange.single(key)),
                  List.of(Mutation.set(key, value))))
          .join();
    } finally {
      rv.release();
    }
  }

  /** The FoundationDB error code {@code f} failed with. */
  static int errorCode(CompletableFuture<?> f) {
    Throwable t = catchThrowable(() -> f.get(10, TimeUnit.SECONDS));
    FDBException e = Errors.unwrap(t);
    assertThat(e).as("failure of the future: %s", t).isNotNull();
    return e.getCode();
  }

  static String errorMessage(CompletableFuture<?> f) {
    return Errors.unwrap(catchThrowable(() -> f.get(10, TimeUnit.SECONDS))).getMessage();
  }

  /** Waits up to {@code seconds} for {@code condition}. */
  static void eventually(int seconds, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("not within " + seconds + " s");
      Thread.sleep(10);
    }
  }

  /** A whole frame of the store protocol, length prefix included, as a hostile client writes it. */
  static byte[] frame(StoreMessage.Type type, int id, byte[] payload) {
    return ByteBuffer.allocate(4 + 5 + payload.length)
        .putInt(5 + payload.length)
        .put((byte) type.code)
        .putInt(id)
        .put(payload)
        .array();
  }

  /** The payload of GET(rv, key). */
  static byte[] getPayload(long rv, byte[] key) {
    return ByteBuffer.allocate(8 + 4 + key.length).putLong(rv).putInt(key.length).put(key).array();
  }
}
