package io.fdbmeta.embedded;

import io.fdbmeta.embedded.RemoteConnection.Call;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/*
 * GRVs are batched as FoundationDB's client batches them: one GRV is in flight at a time, and the
 * callers that arrive meanwhile wait for the next one, which goes out as soon as the first is
 * answered. They never share the one in flight: it may have been answered before their
 * transaction began, and then miss a commit they saw complete (causality). One GRV stands for
 * all the callers of its batch; the server holds the version once for each, and each releases its
 * own.
 */
/** Batches a RemoteCluster's GRVs: at most one in flight, the rest waiting for the next. */
final class GrvBatcher {
  private final Supplier<@Nullable RemoteConnection> connection;
  private final String peer;
  private final Object lock = new Object();
  private List<CompletableFuture<Cluster.ReadVersion>> waiting = new ArrayList<>();
  private boolean inFlight;

  /**
   * @param connection the current connection, or null while there is none
   * @param peer "host:port", for error messages
   */
  GrvBatcher(Supplier<@Nullable RemoteConnection> connection, String peer) {
    this.connection = connection;
    this.peer = peer;
  }

  /** A read version newer than every commit completed before this call; fails like a read. */
  CompletableFuture<Cluster.ReadVersion> next() {
    CompletableFuture<Cluster.ReadVersion> f = new CompletableFuture<>();
    synchronized (lock) {
      waiting.add(f);
      if (inFlight) return f;
      inFlight = true;
    }
    sendBatch();
    return f;
  }

  /** Sends one GRV for everyone waiting, or marks none in flight if nobody is. */
  private void sendBatch() {
    List<CompletableFuture<Cluster.ReadVersion>> batch;
    synchronized (lock) {
      if (waiting.isEmpty()) {
        inFlight = false;
        return;
      }
      if (waiting.size() <= StoreProtocol.MAX_GRV_BATCH) {
        batch = waiting;
        waiting = new ArrayList<>();
      } else {
        List<CompletableFuture<Cluster.ReadVersion>> first =
            waiting.subList(0, StoreProtocol.MAX_GRV_BATCH);
        batch = new ArrayList<>(first);
        first.clear();
      }
    }
    RemoteConnection c = connection.get();
    if (c == null) {
      failAll(batch, RemoteConnection.notConnected(peer));
      sendBatch();
      return;
    }
    int callers = batch.size();
    Call call =
        c.call(
            RemoteConnection.Kind.READ,
            id -> new StoreMessage.Grv(id, callers),
            Errors.CLIENT_INVALID_OPERATION);
    call.whenComplete(
        (reply, e) -> {
          answer(c, batch, reply, e);
          sendBatch();
        });
  }

  private static void answer(
      RemoteConnection c,
      List<CompletableFuture<Cluster.ReadVersion>> batch,
      @Nullable StoreMessage reply,
      @Nullable Throwable e) {
    if (e != null || reply == null) {
      failAll(batch, e != null ? e : new IllegalStateException("GRV completed without a reply"));
      return;
    }
    long version;
    try {
      version = RemoteConnection.expect(reply, StoreMessage.VersionReply.class).version();
    } catch (RuntimeException unexpected) {
      failAll(batch, unexpected);
      return;
    }
    for (CompletableFuture<Cluster.ReadVersion> f : batch) {
      Cluster.ReadVersion held = new RemoteConnection.Held(c, version);
      if (!f.complete(held)) held.release(); // the caller gave up on it: give its hold back
    }
  }

  private static void failAll(List<CompletableFuture<Cluster.ReadVersion>> batch, Throwable e) {
    for (CompletableFuture<Cluster.ReadVersion> f : batch) f.completeExceptionally(e);
  }
}
