package io.fdbmeta.storage;

import static io.fdbmeta.storage.Bytes.b;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.apple.foundationdb.Database;
import io.fdbmeta.embedded.EmbeddedFdb;
import io.fdbmeta.layer.RangeDescriptor;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LocalClusterIT {
  @Test
  void sixNodesOverThreeZonesAndTwoRacksWithReplicasInDistinctZones() {
    try (Database db = EmbeddedFdb.inMemory()) {
      try (LocalCluster c =
          LocalCluster.start(
              db,
              "demo",
              TestClusters.LAYER,
              LocalCluster.Options.builder().splitKeys(List.of(b("m"), b("f"))).build())) {
        assertThat(c.nodes())
            .extracting(StorageNode::nodeId)
            .containsExactly("n1", "n2", "n3", "n4", "n5", "n6");
        Set<String> places = new HashSet<>();
        for (StorageNode n : c.nodes())
          places.add(n.config().locality().zone() + "/" + n.config().locality().rack());
        assertThat(places).hasSize(6);
        List<RangeDescriptor> ranges = c.ranges();
        assertThat(ranges).hasSize(3);
        for (RangeDescriptor d : ranges) {
          Set<String> zones = new HashSet<>();
          for (String r : d.replicas()) zones.add(c.node(r).config().locality().zone());
          assertThat(zones).as("zones of %s", d).hasSize(3);
          assertThat(c.leaseholderOf(d.rangeId()).isServing(d.rangeId())).isTrue();
        }
        assertThat(c.rangeFor(b("g")).startKey()).isEqualTo(b("f"));
      }
      assertThatThrownBy(
              () ->
                  LocalCluster.start(
                      db, "demo", TestClusters.LAYER, LocalCluster.Options.builder().build()))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("already has placed ranges");
    }
  }
}
