package io.fdbmeta.tools.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RedisBenchmarkRunTest {
  @Test
  void parsesVersion7CsvAndSkipsWarnings() {
    String out =
        """
        WARNING: Could not fetch server CONFIG
        "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
        "SET","10752.69","0.716","0.128","0.415","1.719","4.383","12.207"
        "GET","48583.00","0.160","0.056","0.111","0.151","0.191","3.207"
        """;
    assertThat(RedisBenchmarkRun.parseCsv(out))
        .containsExactly(
            new RedisBenchmarkRun.Figures("SET", 10752.69, 0.415, 4.383),
            new RedisBenchmarkRun.Figures("GET", 48583.00, 0.111, 0.191));
  }

  @Test
  void parsesOlderCsvWithoutLatencies() {
    List<RedisBenchmarkRun.Figures> f =
        RedisBenchmarkRun.parseCsv("\"SET\",\"12345.67\"\n\"GET\",\"23456.78\"\n");
    assertThat(f).extracting(RedisBenchmarkRun.Figures::test).containsExactly("SET", "GET");
    assertThat(f.get(0).requestsPerSec()).isEqualTo(12345.67);
    assertThat(f.get(0).p50Millis()).isNaN();
  }

  @Test
  void findsTheProgramOnlyWhereItIsAnExecutableFile(@TempDir Path tmp) throws Exception {
    Path empty = Files.createDirectory(tmp.resolve("empty"));
    Path bin = Files.createDirectory(tmp.resolve("bin"));
    Path program = Files.writeString(bin.resolve("redis-benchmark"), "#!/bin/sh\n");
    assertThat(RedisBenchmarkRun.find(empty + ":" + bin)).as("not executable").isEmpty();
    Files.setPosixFilePermissions(program, PosixFilePermissions.fromString("rwxr-xr-x"));
    assertThat(RedisBenchmarkRun.find(empty + "::" + bin)).contains(program);
    assertThat(RedisBenchmarkRun.find(null)).isEmpty();
  }

  @Test
  void commandNamesTheKeyspaceAndAsksForCsv() {
    assertThat(
            RedisBenchmarkRun.command(
                Path.of("/usr/bin/redis-benchmark"), 6380, "set,get", 5000, 8, 16, 10000, 100))
        .containsExactly(
            "/usr/bin/redis-benchmark",
            "-h",
            "127.0.0.1",
            "-p",
            "6380",
            "-t",
            "set,get",
            "-n",
            "5000",
            "-c",
            "8",
            "-P",
            "16",
            "-r",
            "10000",
            "-d",
            "100",
            "--csv");
  }
}
