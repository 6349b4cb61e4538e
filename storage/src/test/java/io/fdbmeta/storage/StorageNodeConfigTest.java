package io.fdbmeta.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fdbmeta.layer.LayerConfig;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class StorageNodeConfigTest {
  @Test
  void badSettingsFailWithTheirName() {
    assertThatThrownBy(() -> StorageNodeConfig.builder("no spaces"))
        .hasMessageContaining("node id");
    assertThatThrownBy(() -> StorageNodeConfig.builder("n1").port(70000))
        .hasMessageContaining("port must be in [0, 65535]");
    assertThatThrownBy(() -> StorageNodeConfig.builder("n1").respPort(-2))
        .hasMessageContaining("respPort");
    assertThatThrownBy(() -> StorageNodeConfig.builder("n1").host("0.0.0.0"))
        .hasMessageContaining("registered");
    assertThatThrownBy(() -> StorageNodeConfig.builder("n1").replicationTimeout(Duration.ZERO))
        .hasMessageContaining("replicationTimeout");
    assertThatThrownBy(() -> StorageNodeConfig.builder("n1").ioThreads(0))
        .hasMessageContaining("ioThreads");
  }

  @Test
  void intervalsDefaultToAThirdOfTheLayersDurationsAndMustFitThem() {
    LayerConfig layer =
        LayerConfig.builder()
            .leaseDuration(Duration.ofSeconds(3))
            .livenessDuration(Duration.ofSeconds(6))
            .build();
    StorageNodeConfig c = StorageNodeConfig.builder("n1").build();
    assertThat(c.leaseRenewInterval(layer)).isEqualTo(Duration.ofSeconds(1));
    assertThat(c.heartbeatInterval(layer)).isEqualTo(Duration.ofSeconds(2));
    c.validateAgainst(layer);
    assertThatThrownBy(
            () ->
                StorageNodeConfig.builder("n1")
                    .leaseRenewInterval(Duration.ofMillis(2500))
                    .build()
                    .validateAgainst(layer))
        .hasMessageContaining(
            "leaseRenewInterval 2500 ms must be shorter than the time a lease serves (2500 ms");
    assertThatThrownBy(
            () ->
                StorageNodeConfig.builder("n1")
                    .heartbeatInterval(Duration.ofSeconds(6))
                    .build()
                    .validateAgainst(layer))
        .hasMessageContaining("heartbeatInterval");
  }
}
