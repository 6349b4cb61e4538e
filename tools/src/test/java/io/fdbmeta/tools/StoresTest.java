package io.fdbmeta.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StoresTest {
  private static StoreOptions options(Path embedded, Path clusterFile) {
    StoreOptions o = new StoreOptions();
    o.embeddedDir = embedded;
    o.clusterFile = clusterFile;
    return o;
  }

  @Test
  void defaultIsTheEmbeddedStoreInTheHomeDirectory() {
    assertThat(Stores.resolve(options(null, null), Map.of()))
        .isEqualTo(
            new Stores.Embedded(
                Path.of(System.getProperty("user.home"), ".fdbmeta", "data"), true));
  }

  @Test
  void environmentClusterFileIsUsedWhenNoOptionIsGiven() {
    assertThat(
            Stores.resolve(
                options(null, null), Map.of("FDB_CLUSTER_FILE", "/etc/foundationdb/fdb.cluster")))
        .isEqualTo(
            new Stores.Cluster(Path.of("/etc/foundationdb/fdb.cluster"), "FDB_CLUSTER_FILE"));
    assertThat(Stores.resolve(options(null, null), Map.of("FDB_CLUSTER_FILE", " ")))
        .isInstanceOf(Stores.Embedded.class);
  }

  @Test
  void optionsWinOverTheEnvironment() {
    Map<String, String> env = Map.of("FDB_CLUSTER_FILE", "/env.cluster");
    assertThat(Stores.resolve(options(Path.of("d"), null), env))
        .isEqualTo(new Stores.Embedded(Path.of("d"), false));
    assertThat(Stores.resolve(options(null, Path.of("c.cluster")), env))
        .isEqualTo(new Stores.Cluster(Path.of("c.cluster"), "--cluster-file"));
  }
}
