package io.fdbmeta.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a user sees when an embedded store's log is damaged, and how salvage gets it back. */
class StoreSalvageCommandTest {
  @TempDir Path tmp;

  private static Cli ok(String... args) {
    Cli r = Cli.run(args);
    assertThat(r.exitCode()).as("%s: %s", String.join(" ", args), r.err()).isZero();
    return r;
  }

  @Test
  void flippedSegmentHeaderByteMakesStatusFailUntilSalvaged() throws IOException {
    String dir = tmp.resolve("store").toString();
    ok("--embedded", dir, "init");
    ok(
        "--embedded",
        dir,
        "nodes",
        "add",
        "n1",
        "--addr",
        "10.0.0.1:7000",
        "--zone",
        "z1",
        "--rack",
        "r1");
    ok("--embedded", dir, "ranges", "split", "1", "m");
    Path segment;
    try (Stream<Path> files = Files.list(Path.of(dir))) {
      segment =
          files
              .filter(p -> p.getFileName().toString().startsWith("wal-"))
              .max(Path::compareTo)
              .orElseThrow();
    }
    try (RandomAccessFile f = new RandomAccessFile(segment.toFile(), "rw")) {
      f.seek(16);
      int b = f.read();
      f.seek(16);
      f.write(b ^ 0x5a);
    }

    Cli status = Cli.run("--embedded", dir, "status");
    assertThat(status.exitCode()).isEqualTo(1);
    assertThat(status.err())
        .contains(segment.toString(), "header", "fdbmeta store salvage --dir " + dir);

    Cli salvage = ok("store", "salvage", "--dir", dir);
    assertThat(salvage.out()).contains("header was rebuilt", dir + "/salvage-");
    assertThat(ok("--embedded", dir, "status").out()).containsPattern("initialised: +yes");
    assertThat(ok("store", "salvage", "--dir", dir).out()).startsWith("nothing to salvage");
  }
}
