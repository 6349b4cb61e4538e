package io.fdbmeta.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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

  @Test
  void storeServerFromTheOptionOrTheEnvironment() {
    StoreOptions served = options(null, null);
    served.storeServer = "127.0.0.1:4690";
    assertThat(Stores.resolve(served, Map.of("FDB_CLUSTER_FILE", "/env.cluster")))
        .isEqualTo(new Stores.Served(new HostPort("127.0.0.1", 4690), "--store"));
    assertThat(Stores.resolve(options(null, null), Map.of("FDBMETA_STORE", "localhost:5000")))
        .isEqualTo(new Stores.Served(new HostPort("localhost", 5000), "FDBMETA_STORE"));
  }

  @Test
  void storeServerAndClusterFileInTheEnvironmentAreAmbiguous() {
    assertThatThrownBy(
            () ->
                Stores.resolve(
                    options(null, null),
                    Map.of("FDBMETA_STORE", "127.0.0.1:4690", "FDB_CLUSTER_FILE", "/f.cluster")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("both set");
    assertThatThrownBy(
            () -> Stores.resolve(options(null, null), Map.of("FDBMETA_STORE", "no-port")))
        .hasMessageContaining("FDBMETA_STORE: 'no-port' is not HOST:PORT");
  }
}
