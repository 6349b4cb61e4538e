package io.fdbmeta.embedded;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/** The log of an in-memory store: nothing is kept, every append is "durable" at once. */
final class MemoryCommitLog implements CommitLog {
  private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

  @Override
  public long recover(RecoverySink sink) {
    return 0;
  }

  @Override
  public boolean keepsEffects() {
    return false;
  }

  @Override
  public CompletableFuture<Void> append(long version, List<Effect> effects) {
    return DONE;
  }

  @Override
  public long bytesSinceCheckpoint() {
    return 0;
  }

  @Override
  public Checkpoint beginCheckpoint(long version) {
    return state -> {};
  }

  @Override
  public void close() {}
}
