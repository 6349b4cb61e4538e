package io.fdbmeta.embedded;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A separate JVM for {@link FileCommitLogTest}: {@code hold <dir>} opens the log and keeps it until
 * stdin closes; {@code crash <dir>} commits from several threads forever, checkpointing now and
 * then, and prints {@code ACK <version>} as soon as each commit is durable, until it is killed.
 */
final class FileCommitLogChild {
  static final int THREADS = 8;
  static final int KEYS_PER_COMMIT = 5;
  static final int CHECKPOINT_EVERY = 400;

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[1]);
    switch (args[0]) {
      case "hold" -> hold(dir);
      case "crash" -> crash(dir);
      default -> throw new IllegalArgumentException(args[0]);
    }
  }

  private static void hold(Path dir) throws IOException {
    try (FileCommitLog log = FileCommitLog.open(dir)) {
      log.recover(new State());
      System.out.println("LOCKED");
      while (System.in.read() >= 0) {
        // wait for the parent to close our stdin
      }
    }
  }

  private static void crash(Path dir) throws IOException {
    FileCommitLog log = FileCommitLog.open(dir);
    State state = new State();
    long[] version = {log.recover(state)};
    System.out.println("RECOVERED " + version[0]);
    Object commitLock = new Object();
    ExecutorService checkpointer = Executors.newSingleThreadExecutor();
    for (int t = 0; t < THREADS; t++) {
      new Thread(
              () -> {
                while (true) {
                  long v;
                  CompletableFuture<Void> durable;
                  synchronized (commitLock) { // plays the engine's commit lock
                    v = ++version[0];
                    List<CommitLog.Effect> effects = commit(v);
                    state.apply(effects);
                    durable = log.append(v, effects);
                    if (v % CHECKPOINT_EVERY == 0) {
                      CommitLog.Checkpoint cp = log.beginCheckpoint(v);
                      TreeMap<byte[], byte[]> copy = new TreeMap<>(state.map);
                      checkpointer.execute(
                          () -> {
                            try {
                              cp.write(
                                  sink -> {
                                    for (var e : copy.entrySet())
                                      sink.accept(e.getKey(), e.getValue());
                                  });
                            } catch (IOException e) {
                              throw new RuntimeException(e);
                            }
                          });
                    }
                  }
                  durable.join();
                  System.out.println("ACK " + v);
                }
              },
              "committer-" + t)
          .start();
    }
  }

  /** Commit {@code v}: sets k0..k4 and log/v to v, and replaces the single scratch key. */
  static List<CommitLog.Effect> commit(long v) {
    byte[] value = ByteBuffer.allocate(8).putLong(v).array();
    List<CommitLog.Effect> effects = new ArrayList<>();
    for (int i = 0; i < KEYS_PER_COMMIT; i++)
      effects.add(CommitLog.Effect.set(key("k" + i), value));
    effects.add(CommitLog.Effect.set(logKey(v), value));
    effects.add(CommitLog.Effect.clear(key("scratch/"), key("scratch0")));
    effects.add(CommitLog.Effect.set(key("scratch/" + v), value));
    return effects;
  }

  static byte[] key(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static byte[] logKey(long v) {
    return key(String.format("log/%020d", v));
  }

  /** A model store: a sorted map that applies sets and range clears. */
  static final class State implements CommitLog.RecoverySink {
    final NavigableMap<byte[], byte[]> map = new TreeMap<>(Arrays::compareUnsigned);

    @Override
    public void set(byte[] key, byte[] value) {
      map.put(key, value);
    }

    @Override
    public void clearRange(byte[] begin, byte[] end) {
      if (Arrays.compareUnsigned(begin, end) < 0) map.subMap(begin, true, end, false).clear();
    }

    void apply(List<CommitLog.Effect> effects) {
      for (CommitLog.Effect e : effects) {
        if (e.isSet()) set(e.key(), e.valueOrEnd());
        else clearRange(e.key(), e.valueOrEnd());
      }
    }

    CommitLog.StateScanner scanner() {
      TreeMap<byte[], byte[]> copy = new TreeMap<>(map);
      return sink -> {
        for (Map.Entry<byte[], byte[]> e : copy.entrySet()) sink.accept(e.getKey(), e.getValue());
      };
    }
  }

  private FileCommitLogChild() {}
}
