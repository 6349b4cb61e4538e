package io.fdbmeta.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PingCommandTest {
  @Test
  void pingsTheEmbeddedStoreInTheGivenDirectory(@TempDir Path tmp) {
    Path dir = tmp.resolve("store");
    Cli r = Cli.run("ping", "--embedded", dir.toString(), "--cluster", "test-1");
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.outLines())
        .singleElement()
        .asString()
        .startsWith("ok: fdb-embedded " + dir + ", cluster 'test-1': read version ");
    assertThat(dir).isDirectory();
  }
}
