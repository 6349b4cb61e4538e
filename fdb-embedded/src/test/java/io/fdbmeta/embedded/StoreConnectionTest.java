package io.fdbmeta.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import com.apple.foundationdb.FDBException;
import com.apple.foundationdb.MutationType;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** One server connection's requests, holds, watches and backpressure, on an EmbeddedChannel. */
class StoreConnectionTest {
  // Watches fire and commits complete on the calling thread, so the channel's loop sees them.
  private final EmbeddedDatabase db = EmbeddedFdb.builder().executor(Runnable::run).build();
  private final Cluster cluster = db.cluster();
  private final EmbeddedChannel channel =
      new EmbeddedChannel(new StoreConnection(cluster, new AtomicLong()));

  @AfterEach
  void close() {
    channel.finishAndReleaseAll();
    db.close();
  }

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Sends a request and returns the one reply it produced (or null). */
  private StoreMessage ask(StoreMessage request) {
    channel.writeInbound(request);
    channel.runPendingTasks();
    return channel.readOutbound();
  }

  /** The next reply written, or null. */
  private StoreMessage sent() {
    return channel.readOutbound();
  }

  private long grv(int id) {
    return ((StoreMessage.VersionReply) ask(new StoreMessage.Grv(id, 1))).version();
  }

  private long commit(Mutation... mutations) {
    Cluster.ReadVersion rv = cluster.readVersion().join();
    try {
      CommitRequest r = new CommitRequest(rv.version(), List.of(), List.of(), List.of(mutations));
      return cluster.commit(r).join().version();
    } finally {
      rv.release();
    }
  }

  /** Makes every version below the newest unreadable unless something holds it. */
  private void prune() {
    db.store().maintainNow();
  }

  private boolean readable(long version) {
    try {
      cluster.get(b("k"), version).join();
      return true;
    } catch (CompletionException e) {
      assertThat(Errors.unwrap(e).getCode()).isEqualTo(Errors.TRANSACTION_TOO_OLD);
      return false;
    }
  }

  @Test
  void aHeldVersionStaysReadableUntilEveryHoldIsReleased() {
    long v = grv(1);
    assertThat(grv(2)).isEqualTo(v); // no commit between: the same version, held twice
    commit(Mutation.set(b("k"), b("1")));
    prune();
    assertThat(readable(v)).isTrue();
    ask(new StoreMessage.VersionNote(StoreMessage.Type.RELEASE, v));
    prune();
    assertThat(readable(v)).isTrue();
    ask(new StoreMessage.VersionNote(StoreMessage.Type.RELEASE, v));
    prune();
    assertThat(readable(v)).isFalse();
  }

  @Test
  void aGrvForABatchOfThreeHoldsItsVersionThreeTimes() {
    long v = ((StoreMessage.VersionReply) ask(new StoreMessage.Grv(1, 3))).version();
    commit(Mutation.set(b("k"), b("1")));
    for (int released = 0; released < 3; released++) {
      prune();
      assertThat(readable(v)).as("after %d releases", released).isTrue();
      ask(new StoreMessage.VersionNote(StoreMessage.Type.RELEASE, v));
    }
    prune();
    assertThat(readable(v)).isFalse();
  }

  @Test
  void aClosedConnectionReleasesItsReadVersions() {
    long v = grv(1);
    commit(Mutation.set(b("k"), b("1")));
    prune();
    assertThat(readable(v)).isTrue();
    channel.close();
    prune();
    assertThat(readable(v)).isFalse();
  }

  @Test
  void aReleaseOfAVersionNeverHeldIsIgnored() {
    long v = grv(1);
    ask(new StoreMessage.VersionNote(StoreMessage.Type.RELEASE, v + 1));
    commit(Mutation.set(b("k"), b("1")));
    prune();
    assertThat(readable(v)).isTrue();
  }

  @Test
  void aPinOfAVersionNeverHandedOutIsIgnored() {
    String before = db.describe();
    ask(new StoreMessage.VersionNote(StoreMessage.Type.PIN, Long.MAX_VALUE - 1));
    assertThat(db.describe()).isEqualTo(before); // readVersionsInUse unchanged
  }

  @Test
  void aWatchFiresOnceTheValueChanges() {
    assertThat(ask(new StoreMessage.Watch(5, b("k"), null))).isNull();
    commit(Mutation.set(b("k"), b("1")));
    channel.runPendingTasks();
    assertThat(sent()).isEqualTo(new StoreMessage.WatchFired(5));
  }

  @Test
  void aCancelledWatchNeverAnswers() {
    assertThat(ask(new StoreMessage.Watch(5, b("k"), null))).isNull();
    assertThat(ask(new StoreMessage.CancelWatch(5))).isNull();
    commit(Mutation.set(b("k"), b("1")));
    channel.runPendingTasks();
    assertThat(sent()).isNull();
  }

  @Test
  void aWatchIdAlreadyInUseIsRefused() {
    ask(new StoreMessage.Watch(5, b("k"), null));
    StoreMessage.TextReply refused =
        (StoreMessage.TextReply) ask(new StoreMessage.Watch(5, b("j"), null));
    assertThat(refused.code()).isEqualTo(Errors.CLIENT_INVALID_OPERATION);
  }

  @Test
  void aRowLimitBelowOneIsAnError() {
    StoreMessage.TextReply error =
        (StoreMessage.TextReply) ask(new StoreMessage.Range(3, grv(1), b("a"), b("z"), false, 0));
    assertThat(error.type()).isEqualTo(StoreMessage.Type.ERROR);
    assertThat(error.code()).isEqualTo(Errors.CLIENT_INVALID_OPERATION);
  }

  @Test
  void aRangeReplyStopsNearOneMebibyteAndSaysMore() {
    byte[] value = new byte[10_000];
    Mutation[] sets = new Mutation[300];
    for (int i = 0; i < sets.length; i++)
      sets[i] = Mutation.set(b(String.format("r%03d", i)), value);
    commit(sets);
    StoreMessage.RangeReply page =
        (StoreMessage.RangeReply)
            ask(new StoreMessage.Range(3, grv(1), b("r"), b("s"), false, Integer.MAX_VALUE));
    long bytes =
        page.rows().stream().mapToLong(kv -> kv.getKey().length + kv.getValue().length).sum();
    assertThat(page.more()).isTrue();
    assertThat(bytes)
        .isBetween(
            (long) StoreProtocol.RANGE_REPLY_BYTES, StoreProtocol.RANGE_REPLY_BYTES + 20_000L);
  }

  @Test
  void aClearRangeThatEndsBeforeItBeginsIsRefusedNotHalfApplied() {
    // The store applies mutations in order and trusts them: this one used to be applied up to the
    // clear, which then threw, leaving "a" written at a version that was never committed.
    long rv = grv(1);
    CommitRequest bad =
        new CommitRequest(
            rv,
            List.of(),
            List.of(),
            List.of(Mutation.set(b("a"), b("1")), Mutation.clearRange(b("z"), b("b"))));
    StoreMessage.TextReply error = (StoreMessage.TextReply) ask(new StoreMessage.Commit(2, bad));
    assertThat(error.code()).isEqualTo(Errors.INVERTED_RANGE);
    assertThat(cluster.get(b("a"), cluster.readVersion().join().version()).join()).isNull();
  }

  @Test
  void aVersionstampOffsetOutOfItsKeyIsRefused() {
    byte[] key = {'k', 100, 0, 0, 0}; // offset 100 in a 1-byte key
    CommitRequest bad =
        new CommitRequest(
            grv(1),
            List.of(),
            List.of(),
            List.of(Mutation.atomic(MutationType.SET_VERSIONSTAMPED_KEY, key, b("v"))));
    StoreMessage.TextReply error = (StoreMessage.TextReply) ask(new StoreMessage.Commit(2, bad));
    assertThat(error.code()).isEqualTo(Errors.CLIENT_INVALID_OPERATION);
  }

  @Test
  void anInvertedReadConflictRangeIsRefused() {
    CommitRequest bad =
        new CommitRequest(grv(1), List.of(new KeyRange(b("z"), b("a"))), List.of(), List.of());
    StoreMessage.TextReply error = (StoreMessage.TextReply) ask(new StoreMessage.Commit(2, bad));
    assertThat(error.code()).isEqualTo(Errors.INVERTED_RANGE);
  }

  @Test
  void requestsWaitWhileTheChannelIsNotWritableAndReadingStops() {
    long rv = grv(1);
    channel.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
    channel.runPendingTasks();
    for (int id = 10; id < 13; id++) channel.writeInbound(new StoreMessage.Get(id, rv, b("k")));
    channel.runPendingTasks();
    assertThat(sent()).isNull();
    assertThat(channel.config().isAutoRead()).isFalse();

    channel.unsafe().outboundBuffer().setUserDefinedWritability(1, true);
    channel.runPendingTasks();
    for (int id = 10; id < 13; id++) {
      assertThat(sent()).isEqualTo(new StoreMessage.ValueReply(id, null));
    }
    assertThat(channel.config().isAutoRead()).isTrue();
  }

  @Test
  void errorsCarryTheirCodeAndMessage() {
    StoreMessage.TextReply error =
        (StoreMessage.TextReply) ask(new StoreMessage.Get(4, Long.MAX_VALUE, b("k")));
    assertThat(error.code()).isEqualTo(Errors.FUTURE_VERSION);
    FDBException local =
        Errors.unwrap(catchThrowable(() -> cluster.get(b("k"), Long.MAX_VALUE).join()));
    assertThat(error.text()).isEqualTo(local.getMessage());
  }

  private static Throwable catchThrowable(Runnable r) {
    try {
      r.run();
    } catch (Throwable t) {
      return t;
    }
    throw new AssertionError("nothing thrown");
  }

  @Test
  void aReplyTypedMessageClosesTheConnection() {
    channel.writeInbound(new StoreMessage.WatchFired(1));
    assertThat(channel.isOpen()).isFalse();
  }
}
