package io.fdbmeta.embedded;

import static io.fdbmeta.embedded.FileCommitLogChild.key;
import static io.fdbmeta.embedded.FileCommitLogChild.logKey;
import static org.assertj.core.api.Assertions.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.STRING;

import io.fdbmeta.embedded.CommitLog.Effect;
import io.fdbmeta.embedded.FileCommitLogChild.State;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileCommitLogTest {
  @TempDir Path dir;

  /** Opens and recovers the log in {@code dir} into {@code state}; returns the log. */
  private FileCommitLog openInto(State state, long expectedVersion) throws IOException {
    FileCommitLog log = FileCommitLog.open(dir);
    assertThat(log.recover(state)).isEqualTo(expectedVersion);
    return log;
  }

  private static State recovered(Path dir, long expectedVersion) throws IOException {
    State state = new State();
    try (FileCommitLog log = FileCommitLog.open(dir)) {
      assertThat(log.recover(state)).isEqualTo(expectedVersion);
    }
    return state;
  }

  /** Appends commit {@code v} of the child's workload to the log and the model. */
  private static CompletableFuture<Void> commit(FileCommitLog log, State model, long v) {
    List<Effect> effects = FileCommitLogChild.commit(v);
    model.apply(effects);
    return log.append(v, effects);
  }

  private static void assertSameState(State actual, State expected) {
    assertThat(actual.map).hasSameSizeAs(expected.map);
    for (Map.Entry<byte[], byte[]> e : expected.map.entrySet()) {
      assertThat(actual.map.get(e.getKey()))
          .as(new String(e.getKey(), StandardCharsets.UTF_8))
          .isEqualTo(e.getValue());
    }
  }

  private List<Path> files(String glob) throws IOException {
    List<Path> out = new ArrayList<>();
    try (var s = Files.newDirectoryStream(dir, glob)) {
      s.forEach(out::add);
    }
    out.sort(null);
    return out;
  }

  @Test
  void appendsSurviveReopen() throws Exception {
    State model = new State();
    try (FileCommitLog log = openInto(new State(), 0)) {
      List<CompletableFuture<Void>> acks = new ArrayList<>();
      for (long v = 1; v <= 200; v++) acks.add(commit(log, model, v));
      CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
      assertThat(log.bytesSinceCheckpoint()).isPositive();
    }
    assertSameState(recovered(dir, 200), model);
    // And it keeps going where it left off.
    try (FileCommitLog log = openInto(new State(), 200)) {
      commit(log, model, 201).get(10, TimeUnit.SECONDS);
      assertThatThrownBy(() -> log.append(201, List.of()))
          .isInstanceOf(IllegalArgumentException.class);
    }
    assertSameState(recovered(dir, 201), model);
  }

  @Test
  void closeFlushesPendingAppendsAndIsIdempotent() throws Exception {
    FileCommitLog log = openInto(new State(), 0);
    State model = new State();
    List<CompletableFuture<Void>> acks = new ArrayList<>();
    for (long v = 1; v <= 1000; v++) acks.add(commit(log, model, v));
    log.close();
    log.close();
    assertThat(acks).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
    assertThat(log.append(1001, List.of())).isCompletedExceptionally();
    assertSameState(recovered(dir, 1000), model);
  }

  @Test
  void checkpointThenMoreAppendsRecoversBoth() throws Exception {
    State model = new State();
    try (FileCommitLog log = openInto(new State(), 0)) {
      for (long v = 1; v <= 50; v++) commit(log, model, v);
      CommitLog.Checkpoint cp = log.beginCheckpoint(50);
      CommitLog.StateScanner at50 = model.scanner();
      for (long v = 51; v <= 80; v++) commit(log, model, v);
      long before = log.bytesSinceCheckpoint();
      cp.write(at50);
      assertThat(log.bytesSinceCheckpoint()).isLessThan(before).isPositive();
      commit(log, model, 81).get(10, TimeUnit.SECONDS);
    }
    assertThat(files("snapshot-*"))
        .extracting(p -> p.getFileName().toString())
        .containsExactly(FileCommitLog.snapshotName(50));
    assertThat(files("wal-*"))
        .extracting(p -> p.getFileName().toString())
        .containsExactly(FileCommitLog.segmentName(2));
    assertSameState(recovered(dir, 81), model);

    // A second checkpoint replaces the first one and its segment.
    try (FileCommitLog log = openInto(new State(), 81)) {
      commit(log, model, 82);
      log.beginCheckpoint(82).write(model.scanner());
    }
    assertThat(files("*.snap"))
        .extracting(p -> p.getFileName().toString())
        .containsExactly(FileCommitLog.snapshotName(82));
    assertSameState(recovered(dir, 82), model);
  }

  @Test
  void crashBeforeCheckpointRenameUsesOlderState() throws Exception {
    State model = new State();
    try (FileCommitLog log = openInto(new State(), 0)) {
      for (long v = 1; v <= 30; v++) commit(log, model, v);
      log.beginCheckpoint(30); // rolled, but the snapshot is never written
      for (long v = 31; v <= 40; v++) commit(log, model, v);
    }
    Files.write(
        dir.resolve(FileCommitLog.snapshotName(30) + ".tmp"), new byte[] {1, 2, 3}); // half-written
    assertSameState(recovered(dir, 40), model);
    assertThat(files("*.tmp")).isEmpty();
  }

  @Test
  void crashAfterCheckpointRenameIgnoresLeftovers() throws Exception {
    State model = new State();
    try (FileCommitLog log = openInto(new State(), 0)) {
      for (long v = 1; v <= 30; v++) commit(log, model, v);
      CommitLog.Checkpoint cp = log.beginCheckpoint(30);
      for (long v = 31; v <= 40; v++) commit(log, model, v);
      cp.write(
          model.scanner()); // the snapshot holds 31..40 too; replaying them again must be harmless
    }
    // Resurrect the covered segment, as if the process died before deleting it.
    Path stale = dir.resolve(FileCommitLog.segmentName(1));
    Files.copy(dir.resolve(FileCommitLog.segmentName(2)), stale);
    assertSameState(recovered(dir, 40), model);
    assertThat(stale).doesNotExist();
  }

  /**
   * A crash while batch 3 was written leaves on disk what two fsyncs made durable plus part of
   * batch 3: with or without the progress record written with it (which claims only batch 2).
   */
  @Test
  void tornTailIsTruncatedAway() throws Exception {
    for (boolean progressReachedDisk : new boolean[] {false, true}) {
      Path sub = dir.resolve("progress-" + progressReachedDisk);
      Path segment = sub.resolve(FileCommitLog.segmentName(1));
      State upTo2 = new State();
      byte[] durableBeforeThird;
      byte[] durableAfterThird;
      try (FileCommitLog log = FileCommitLog.open(sub)) {
        log.recover(new State());
        commit(log, upTo2, 1).get(10, TimeUnit.SECONDS);
        commit(log, upTo2, 2).get(10, TimeUnit.SECONDS);
        durableBeforeThird = bytesOf(segment);
        commit(log, new State(), 3).get(10, TimeUnit.SECONDS);
        durableAfterThird = bytesOf(segment);
      }
      int tornLength = durableAfterThird.length - 7; // batch 3's record is cut short
      byte[] torn = Arrays.copyOf(durableAfterThird, tornLength);
      if (!progressReachedDisk) {
        System.arraycopy(durableBeforeThird, 0, torn, 0, durableBeforeThird.length);
      }
      Files.write(segment, torn);
      State state = new State();
      try (FileCommitLog log = FileCommitLog.open(sub)) {
        assertThat(log.recover(state)).isEqualTo(2);
        assertSameState(state, upTo2);
        assertThat(Files.size(segment)).isEqualTo(durableBeforeThird.length);
        commit(log, upTo2, 3).get(10, TimeUnit.SECONDS);
      }
      // Garbage after the last record (a batch whose header never made it) is a torn tail too.
      Files.write(
          segment,
          new byte[] {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9},
          StandardOpenOption.APPEND);
      assertSameState(recovered(sub, 3), upTo2);
    }
  }

  @Test
  void corruptRecordFollowedByValidOnesFailsRecovery() throws Exception {
    long[] ends = new long[4];
    Path segment = dir.resolve(FileCommitLog.segmentName(1));
    try (FileCommitLog log = openInto(new State(), 0)) {
      for (int v = 1; v <= 3; v++) {
        commit(log, new State(), v).get(10, TimeUnit.SECONDS); // one batch record each
        ends[v] = Files.size(segment);
      }
    }
    flipByte(segment, (ends[1] + ends[2]) / 2); // inside record 2's body
    assertThatThrownBy(() -> recovered(dir, 3))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("corrupt")
        .hasMessageContaining("followed by valid records");
  }

  @Test
  void corruptRecordLengthIsStillCaught() throws Exception {
    Path segment = dir.resolve(FileCommitLog.segmentName(1));
    long firstRecord = FileCommitLog.SEGMENT_DATA_START;
    try (FileCommitLog log = openInto(new State(), 0)) {
      for (int v = 1; v <= 3; v++) commit(log, new State(), v).get(10, TimeUnit.SECONDS);
    }
    try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.WRITE)) {
      ch.write(
          ByteBuffer.allocate(4).putInt(0, Integer.MAX_VALUE), firstRecord + 8); // absurd length
    }
    assertThatThrownBy(() -> recovered(dir, 3))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("offset " + firstRecord);
  }

  @Test
  void corruptSnapshotFailsRecovery() throws Exception {
    State model = new State();
    try (FileCommitLog log = openInto(new State(), 0)) {
      for (long v = 1; v <= 20; v++) commit(log, model, v);
      log.beginCheckpoint(20).write(model.scanner());
    }
    Path snapshot = dir.resolve(FileCommitLog.snapshotName(20));
    flipByte(snapshot, Files.size(snapshot) / 2);
    assertThatThrownBy(() -> recovered(dir, 20))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining(snapshot.toString());
  }

  private static void flipByte(Path file, long pos) throws IOException {
    try (FileChannel ch =
        FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.allocate(1);
      ch.read(b, pos);
      b.put(0, (byte) (b.get(0) ^ 0x5a)).rewind();
      ch.write(b, pos);
    }
  }

  /** Commits 1..n, each acknowledged before the next (so each is its own record); then closes. */
  private State committedOneByOne(int n) throws Exception {
    State model = new State();
    try (FileCommitLog log = openInto(new State(), 0)) {
      for (long v = 1; v <= n; v++) commit(log, model, v).get(10, TimeUnit.SECONDS);
    }
    return model;
  }

  private static void truncate(Path file, long size) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.truncate(size);
    }
  }

  private static byte[] bytesOf(Path file) throws IOException {
    return Files.readAllBytes(file);
  }

  @Test
  void flippedByteInNewestSegmentHeaderRefusesToOpen() throws Exception {
    committedOneByOne(300);
    Path segment = dir.resolve(FileCommitLog.segmentName(1));
    flipByte(segment, 16); // inside the salt
    byte[] damaged = bytesOf(segment);
    assertThatThrownBy(() -> recovered(dir, 300))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining(segment.toString())
        .hasMessageContaining("header")
        .hasMessageContaining("salvage");
    assertThat(bytesOf(segment)).as("the damaged segment is left as it was").isEqualTo(damaged);
    assertThat(files("*")).hasSize(2); // LOCK and the segment
  }

  @Test
  void flippedByteInLastAcknowledgedRecordRefusesToOpen() throws Exception {
    committedOneByOne(5);
    Path segment = dir.resolve(FileCommitLog.segmentName(1));
    flipByte(segment, Files.size(segment) - 3); // the last record, acknowledged before close
    long size = Files.size(segment);
    assertThatThrownBy(() -> recovered(dir, 5))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining(segment.toString())
        .hasMessageContaining("offset")
        .hasMessageNotContaining("never acknowledged");
    assertThat(Files.size(segment)).isEqualTo(size);
  }

  @Test
  void logTruncatedToHalfRefusesToOpen() throws Exception {
    committedOneByOne(300);
    Path segment = dir.resolve(FileCommitLog.segmentName(1));
    long half = Files.size(segment) / 2;
    truncate(segment, half);
    assertThatThrownBy(() -> recovered(dir, 300))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining(segment.toString())
        .hasMessageContaining("truncated")
        .hasMessageNotContaining("never acknowledged");
    assertThat(Files.size(segment)).isEqualTo(half);
  }

  @Test
  void strayTmpFileSurvivesOpen() throws Exception {
    Path stray = dir.resolve("foo.tmp");
    Path lookalike = dir.resolve("snapshot-7.snap.tmp"); // not a name this log writes
    Files.writeString(stray, "someone else's");
    Files.writeString(lookalike, "someone else's");
    committedOneByOne(3);
    recovered(dir, 3);
    assertThat(stray).hasContent("someone else's");
    assertThat(lookalike).hasContent("someone else's");
  }

  @Test
  void salvageRebuildsADamagedHeaderAndKeepsEveryCommit() throws Exception {
    State model = committedOneByOne(300);
    Path segment = dir.resolve(FileCommitLog.segmentName(1));
    byte[] original = bytesOf(segment);
    flipByte(segment, 16);
    Files.write(segment, new byte[21], StandardOpenOption.APPEND); // and a torn tail
    byte[] damaged = bytesOf(segment);
    EmbeddedFdb.SalvageReport report = FileCommitLog.salvage(dir);
    assertThat(report.changes())
        .singleElement(as(STRING))
        .contains(FileCommitLog.segmentName(1), "header was rebuilt", "up to version 300")
        .contains("dropped 21 bytes");
    assertThat(bytesOf(report.backup().resolve(segment.getFileName()))).isEqualTo(damaged);
    assertThat(bytesOf(segment)).hasSameSizeAs(original);
    assertSameState(recovered(dir, 300), model);
    assertThat(FileCommitLog.salvage(dir).changes()).as("nothing left to salvage").isEmpty();
  }

  @Test
  void salvageOfATruncatedLogReportsTheAcknowledgedCommitsItDrops() throws Exception {
    committedOneByOne(300);
    Path segment = dir.resolve(FileCommitLog.segmentName(1));
    truncate(segment, Files.size(segment) / 2);
    EmbeddedFdb.SalvageReport report = FileCommitLog.salvage(dir);
    String change = report.changes().get(0);
    assertThat(change)
        .contains("truncated", "lost acknowledged commits after version ")
        .endsWith(" up to version 300");
    long kept = Long.parseLong(change.replaceAll(".*kept commits up to version (\\d+).*", "$1"));
    assertThat(kept).isBetween(100L, 200L);
    State state = recovered(dir, kept);
    assertConsistent(state, kept);
  }

  @Test
  void salvageCutsAtADamagedRecordAndMovesLaterSegmentsOut() throws Exception {
    long[] ends = new long[4];
    Path first = dir.resolve(FileCommitLog.segmentName(1));
    try (FileCommitLog log = openInto(new State(), 0)) {
      for (int v = 1; v <= 3; v++) {
        commit(log, new State(), v).get(10, TimeUnit.SECONDS);
        ends[v] = Files.size(first);
      }
      log.beginCheckpoint(3); // roll to segment 2 without a snapshot
      commit(log, new State(), 4).get(10, TimeUnit.SECONDS);
    }
    flipByte(first, (ends[1] + ends[2]) / 2); // inside record 2
    assertThatThrownBy(() -> recovered(dir, 4)).hasMessageContaining("offset " + ends[1]);
    EmbeddedFdb.SalvageReport report = FileCommitLog.salvage(dir);
    assertThat(report.changes())
        .hasSize(2)
        .anySatisfy(c -> assertThat(c).contains("kept commits up to version 1"))
        .anySatisfy(c -> assertThat(c).contains(FileCommitLog.segmentName(2), "moved out"));
    assertThat(report.backup().resolve(FileCommitLog.segmentName(2))).exists();
    assertConsistent(recovered(dir, 1), 1);
  }

  @Test
  void legacyFormatOneSegmentStillOpens() throws Exception {
    State model = committedOneByOne(20);
    Path segment = dir.resolve(FileCommitLog.segmentName(1));
    byte[] v2 = bytesOf(segment);
    // The same records in format 1: a 32-byte header with format 1, records right after it.
    ByteBuffer v1 = ByteBuffer.allocate(v2.length - 2 * FileCommitLog.PROGRESS_BYTES);
    v1.put(v2, 0, FileCommitLog.FILE_HEADER_BYTES - 4).putInt(8, 1);
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(v1.array(), 0, FileCommitLog.FILE_HEADER_BYTES - 4);
    v1.putInt((int) crc.getValue());
    v1.put(
        v2,
        (int) FileCommitLog.SEGMENT_DATA_START,
        v2.length - (int) FileCommitLog.SEGMENT_DATA_START);
    Files.write(segment, v1.array());
    try (FileCommitLog log = openInto(new State(), 20)) {
      commit(log, model, 21).get(10, TimeUnit.SECONDS);
    }
    assertThat(files("wal-*")).hasSize(2); // appends went to a new format 2 segment
    assertSameState(recovered(dir, 21), model);
  }

  @Test
  void lostNewestSegmentRefusesToOpen() throws Exception {
    try (FileCommitLog log = openInto(new State(), 0)) {
      commit(log, new State(), 1).get(10, TimeUnit.SECONDS);
      log.beginCheckpoint(1); // roll to segment 2 without a snapshot
      commit(log, new State(), 2).get(10, TimeUnit.SECONDS);
    }
    Files.delete(dir.resolve(FileCommitLog.segmentName(2)));
    assertThatThrownBy(() -> recovered(dir, 2))
        .hasMessageContaining(FileCommitLog.segmentName(2))
        .hasMessageContaining("missing");
    assertThat(FileCommitLog.salvage(dir).changes()).hasSize(1);
    recovered(dir, 1);
  }

  @Test
  void secondOpenInSameJvmIsRefused() throws Exception {
    try (FileCommitLog log = openInto(new State(), 0)) {
      commit(log, new State(), 1).get(10, TimeUnit.SECONDS);
      assertThatThrownBy(() -> FileCommitLog.open(dir))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining(dir.toRealPath().toString())
          .hasMessageContaining("only one process may open it");
      // The refused attempt must not have released the first holder's lock.
      commit(log, new State(), 2).get(10, TimeUnit.SECONDS);
    }
    recovered(dir, 2); // free again after close
  }

  @Test
  void secondProcessIsRefused() throws Exception {
    Process child = startChild("hold");
    try {
      BufferedReader out =
          new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
      assertThat(out.readLine()).isEqualTo("LOCKED");
      assertThatThrownBy(() -> FileCommitLog.open(dir))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining(dir.toRealPath().toString())
          .hasMessageContaining("another process (pid " + child.pid() + ")");
      child.getOutputStream().close(); // lets it close the log and exit
      assertThat(child.waitFor(20, TimeUnit.SECONDS)).isTrue();
      assertThat(child.exitValue()).isZero();
      recovered(dir, 0);
    } finally {
      child.destroyForcibly();
    }
  }

  /**
   * Kills a committing child JVM with SIGKILL mid-stream, several times over the same directory,
   * and checks that every acknowledged commit survived and that no commit is half there.
   */
  @Test
  void killedProcessKeepsEveryAcknowledgedCommit() throws Exception {
    TreeSet<Long> acked = new TreeSet<>();
    long last = 0;
    for (int round = 0; round < 3; round++) {
      Process child = startChild("crash");
      try {
        BufferedReader out =
            new BufferedReader(
                new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        assertThat(out.readLine()).isEqualTo("RECOVERED " + last);
        int ackedThisRound = 0;
        int killAfter = 1500 + 700 * round; // spans several checkpoints
        String line;
        while ((line = out.readLine()) != null) {
          acked.add(Long.parseLong(line.substring("ACK ".length())));
          // SIGKILL through the handle: Process.destroyForcibly() would also close our end of the
          // pipe and lose acknowledgements the child printed just before it died.
          if (++ackedThisRound == killAfter) child.toHandle().destroyForcibly();
        }
        assertThat(child.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(ackedThisRound).isGreaterThanOrEqualTo(killAfter);
      } finally {
        child.destroyForcibly();
      }
      State state = new State();
      try (FileCommitLog log = FileCommitLog.open(dir)) {
        last = log.recover(state);
      }
      assertThat(last).isGreaterThanOrEqualTo(acked.last());
      assertConsistent(state, last);
    }
    assertThat(files("*.snap")).as("the child checkpointed while committing").isNotEmpty();
  }

  /** The state after commits 1..last of the child's workload, each applied whole. */
  private static void assertConsistent(State state, long last) {
    byte[] lastValue = ByteBuffer.allocate(8).putLong(last).array();
    for (int i = 0; i < FileCommitLogChild.KEYS_PER_COMMIT; i++) {
      assertThat(state.map.get(key("k" + i))).as("k%d", i).isEqualTo(lastValue);
    }
    for (long v = 1; v <= last; v++) {
      assertThat(state.map.get(logKey(v)))
          .as("log/%d", v)
          .isEqualTo(ByteBuffer.allocate(8).putLong(v).array());
    }
    var scratch = state.map.subMap(key("scratch/"), true, key("scratch0"), false);
    assertThat(scratch).hasSize(1);
    assertThat(scratch.firstKey()).isEqualTo(key("scratch/" + last));
    assertThat(state.map).hasSize(FileCommitLogChild.KEYS_PER_COMMIT + (int) last + 1);
  }

  private Process startChild(String mode) throws IOException {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    return new ProcessBuilder(
            java.toString(),
            "-cp",
            System.getProperty("java.class.path"),
            FileCommitLogChild.class.getName(),
            mode,
            dir.toString())
        .redirectError(ProcessBuilder.Redirect.INHERIT)
        .start();
  }

  /**
   * Appends per second with 1 and 16 committers that each wait for durability before the next
   * commit. Group commit shows as the 16-committer rate being many times the 1-committer rate.
   * Reproduce: {@code mvn -B -q -pl fdb-embedded -am verify
   * -Dtest=FileCommitLogTest#groupCommitThroughput -Dsurefire.failIfNoSpecifiedTests=false}
   */
  @Test
  void groupCommitThroughput() throws Exception {
    double one = appendsPerSecond(1);
    double sixteen = appendsPerSecond(16);
    System.out.printf(
        "FileCommitLog group commit: 1 committer %.0f appends/s, 16 committers %.0f appends/s (%.1fx)%n",
        one, sixteen, sixteen / one);
    assertThat(sixteen).isPositive();
  }

  private double appendsPerSecond(int committers) throws Exception {
    Path sub = dir.resolve("bench-" + committers);
    try (FileCommitLog log = FileCommitLog.open(sub)) {
      log.recover(new State());
      Object commitLock = new Object();
      AtomicLong version = new AtomicLong();
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(700);
      List<Effect> effects =
          List.of(Effect.set(new byte[16], new byte[100]), Effect.set(new byte[20], new byte[50]));
      long start = System.nanoTime();
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < committers; t++) {
        Thread th =
            new Thread(
                () -> {
                  while (System.nanoTime() < deadline) {
                    CompletableFuture<Void> f;
                    synchronized (commitLock) {
                      f = log.append(version.incrementAndGet(), effects);
                    }
                    f.join();
                  }
                });
        th.start();
        threads.add(th);
      }
      for (Thread th : threads) th.join();
      return version.get() / ((System.nanoTime() - start) / 1e9);
    }
  }

  @Test
  void ioErrorPoisonsTheLog() throws Exception {
    try (FileCommitLog log = openInto(new State(), 0)) {
      commit(log, new State(), 1).get(10, TimeUnit.SECONDS);
      // Pull the file out from under the writer, as a failing disk would.
      Field segment = FileCommitLog.class.getDeclaredField("segment");
      segment.setAccessible(true);
      ((FileChannel) segment.get(log)).close();
      CompletableFuture<Void> failed = commit(log, new State(), 2);
      assertThatThrownBy(() -> failed.get(10, TimeUnit.SECONDS))
          .hasCauseInstanceOf(IOException.class)
          .hasMessageContaining("accepts no further commits")
          .hasRootCauseInstanceOf(ClosedChannelException.class);
      assertThat(commit(log, new State(), 3)).isCompletedExceptionally();
      CommitLog.Checkpoint cp = log.beginCheckpoint(3);
      assertThatThrownBy(() -> cp.write(new State().scanner())).isInstanceOf(IOException.class);
    }
    recovered(dir, 1);
  }

  @Test
  void missingSnapshotSegmentIsDetected() throws Exception {
    State model = new State();
    try (FileCommitLog log = openInto(new State(), 0)) {
      commit(log, model, 1);
      log.beginCheckpoint(1).write(model.scanner());
    }
    Files.delete(dir.resolve(FileCommitLog.segmentName(2)));
    Files.write(
        dir.resolve(FileCommitLog.segmentName(1)), new byte[] {1}); // a leftover covered segment
    assertThatThrownBy(() -> recovered(dir, 1))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("missing");
    assertThat(dir.resolve(FileCommitLog.segmentName(1)))
        .as("nothing deleted after a failed recovery")
        .exists();
  }

  @Test
  void corruptFilesAreNamedInTheError() throws Exception {
    Files.write(
        dir.resolve(FileCommitLog.segmentName(1)),
        "this is not a log segment, it is long enough".getBytes(StandardCharsets.UTF_8));
    Files.write(dir.resolve(FileCommitLog.segmentName(2)), new byte[0]);
    assertThatThrownBy(() -> recovered(dir, 0))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining(FileCommitLog.segmentName(1));
  }

  @Test
  void missingSegmentIsDetected() throws Exception {
    State model = new State();
    try (FileCommitLog log = openInto(new State(), 0)) {
      commit(log, model, 1);
      log.beginCheckpoint(1); // roll to segment 2 without a snapshot
      commit(log, model, 2);
      log.beginCheckpoint(2);
      commit(log, model, 3);
    }
    Files.delete(dir.resolve(FileCommitLog.segmentName(2)));
    assertThatThrownBy(() -> recovered(dir, 3))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("missing");
    try (Stream<Path> s = Files.list(dir)) {
      assertThat(s.count()).isEqualTo(3); // LOCK and two segments: nothing was deleted
    }
  }
}
