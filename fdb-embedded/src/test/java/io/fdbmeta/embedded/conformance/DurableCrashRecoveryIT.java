package io.fdbmeta.embedded.conformance;

import static io.fdbmeta.embedded.conformance.Fdb.b;
import static io.fdbmeta.embedded.conformance.Fdb.s;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.KeyValue;
import com.apple.foundationdb.MutationType;
import com.apple.foundationdb.Range;
import io.fdbmeta.embedded.EmbeddedFdb;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The durable embedded store survives kill -9: a child JVM commits numbered transactions and prints
 * each one FoundationDB-style acknowledged (commit future completed); the parent kills it
 * mid-write, reopens the directory and checks that every acknowledged commit is there and that
 * every commit is all-or-nothing. Also: one process at a time holds a directory.
 */
class DurableCrashRecoveryIT {

  /** Keys each commit {@code i} writes: three parts of one record, plus an atomic count. */
  private static final String[] PARTS = {"a", "b", "c"};

  private static final int ACKS_BEFORE_KILL = 150;

  @Test
  void everyAcknowledgedCommitSurvivesKillNine(@TempDir Path dir) throws Exception {
    int next = 0;
    for (int round = 0; round < 2; round++) {
      List<Integer> acked = runChildAndKill(dir, next);
      assertThat(acked).as("round %d: commits acknowledged before the kill", round).isNotEmpty();
      int highestAcked = acked.get(acked.size() - 1);
      try (Database db = EmbeddedFdb.open(dir)) {
        TreeMap<Integer, List<String>> groups = readGroups(db);
        // Every commit is all-or-nothing: three parts with the same value, never fewer.
        groups.forEach(
            (i, parts) ->
                assertThat(parts)
                    .as("parts of commit %d", i)
                    .containsExactly("" + i, "" + i, "" + i));
        // Commits are sequential, so what survived is a prefix 0..m containing every ack.
        int m = groups.isEmpty() ? -1 : groups.lastKey();
        assertThat(groups.keySet()).as("surviving commits form a prefix").hasSize(m + 1);
        assertThat(m)
            .as("highest surviving commit vs highest acknowledged")
            .isGreaterThanOrEqualTo(highestAcked);
        for (int i : acked) assertThat(groups).containsKey(i);
        // The atomic count was applied exactly once per surviving commit.
        long count = Fdb.le64(Fdb.get(db, b("count")));
        assertThat(count).isEqualTo(m + 1);
        next = m + 1;
      }
    }
  }

  @Test
  void aDirectoryIsHeldByOneDatabaseAtATime(@TempDir Path dir) throws Exception {
    try (Database first = EmbeddedFdb.open(dir)) {
      first.run(
          tr -> {
            tr.set(b("k"), b("v"));
            return null;
          });
      assertThatThrownBy(() -> EmbeddedFdb.open(dir).close())
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining(dir.getFileName().toString());
    }
    // Released on close.
    try (Database again = EmbeddedFdb.open(dir)) {
      assertThat(s(again.read(tr -> tr.get(b("k")).join()))).isEqualTo("v");
    }
  }

  @Test
  void aDirectoryHeldByAnotherProcessIsRefused(@TempDir Path dir) throws Exception {
    Process child = startChild(dir, 0);
    try (BufferedReader out = reader(child)) {
      String first = out.readLine();
      assertThat(first).as("child's first line").startsWith("ACK ");
      assertThatThrownBy(() -> EmbeddedFdb.open(dir).close())
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining(dir.getFileName().toString());
    } finally {
      child.toHandle().destroyForcibly();
      child.waitFor(10, TimeUnit.SECONDS);
    }
    // The kill released the lock.
    EmbeddedFdb.open(dir).close();
  }

  private static TreeMap<Integer, List<String>> readGroups(Database db) {
    List<KeyValue> rows = Fdb.range(db, Range.startsWith(b("c/")));
    TreeMap<Integer, List<String>> groups = new TreeMap<>();
    for (KeyValue kv : rows) {
      String[] key = s(kv.getKey()).split("/"); // c/<i>/<part>
      String value = s(kv.getValue());
      groups
          .computeIfAbsent(Integer.parseInt(key[1]), k -> new ArrayList<>())
          .add(value.substring(0, value.indexOf(':')));
    }
    return groups;
  }

  /** Runs a child from commit {@code from}, kills it with SIGKILL mid-write, returns its acks. */
  private static List<Integer> runChildAndKill(Path dir, int from) throws Exception {
    Process child = startChild(dir, from);
    List<Integer> acked = new ArrayList<>();
    try (BufferedReader out = reader(child)) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      String line;
      while (acked.size() < ACKS_BEFORE_KILL && (line = out.readLine()) != null) {
        if (line.startsWith("ACK ")) acked.add(Integer.parseInt(line.substring(4)));
        if (System.nanoTime() > deadline) break;
      }
      // SIGKILL through the handle: Process.destroyForcibly() would also close our end of the pipe,
      // losing lines the child wrote before it died.
      child.toHandle().destroyForcibly();
      assertThat(child.waitFor(10, TimeUnit.SECONDS)).as("child died").isTrue();
      // Lines already written before the kill are acknowledged commits too.
      while ((line = out.readLine()) != null) {
        if (line.startsWith("ACK ") && line.length() > 4) {
          try {
            acked.add(Integer.parseInt(line.substring(4)));
          } catch (NumberFormatException torn) {
            // a line cut by the kill was never fully acknowledged
          }
        }
      }
    } finally {
      child.destroyForcibly();
      child.waitFor(10, TimeUnit.SECONDS);
    }
    return acked;
  }

  private static Process startChild(Path dir, int from) throws IOException {
    return new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp",
            System.getProperty("java.class.path"),
            Writer.class.getName(),
            dir.toString(),
            Integer.toString(from))
        .redirectError(ProcessBuilder.Redirect.INHERIT)
        .start();
  }

  private static BufferedReader reader(Process p) {
    return new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
  }

  /** Child JVM: commits record after record until killed, printing "ACK i" after each commit. */
  static final class Writer {
    public static void main(String[] args) throws Exception {
      Path dir = Path.of(args[0]);
      int from = Integer.parseInt(args[1]);
      Files.createDirectories(dir);
      byte[] padding = new byte[2_000];
      Arrays.fill(padding, (byte) 'p');
      Database db = EmbeddedFdb.builder().directory(dir).checkpointBytes(64 * 1024).build();
      for (int i = from; ; i++) {
        int n = i;
        db.run(
            tr -> {
              for (String part : PARTS) {
                tr.set(
                    b("c/" + String.format("%08d", n) + "/" + part),
                    Fdb.concat(b(n + ":"), padding));
              }
              tr.mutate(MutationType.ADD, b("count"), Fdb.le64(1));
              return null;
            });
        System.out.println("ACK " + n);
        System.out.flush();
      }
    }
  }
}
