package io.fdbmeta.layer.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.layer.NodeRecord;
import io.fdbmeta.layer.NodeStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PlacementTest {
  static final long NOW = 1_000_000;
  static final NodeRecord.Capacity CAPACITY = new NodeRecord.Capacity(1000, 10);
  static final Placement.Constraints ANY = new Placement.Constraints(Set.of(), 0.10, 0.85);

  static NodeRecord node(
      String id, String region, String zone, String rack, long bytesUsed, double cpuUsed) {
    return new NodeRecord(
        id,
        id + ":1",
        new NodeRecord.Locality(region, zone, rack),
        CAPACITY,
        new NodeRecord.Load(0, 0, bytesUsed, cpuUsed),
        NodeStatus.LIVE,
        1,
        NOW + 5_000);
  }

  static NodeRecord node(String id, String zone, String rack) {
    return node(id, "r1", zone, rack, 0, 0);
  }

  @Test
  void choosesTheLeastLoadedNodeInAZoneAndRackOfItsOwn() {
    NodeRecord a = node("a", "z1", "k1");
    NodeRecord b = node("b", "z2", "k1");
    List<NodeRecord> fleet =
        List.of(
            a,
            b,
            node("c", "z1", "k2"),
            node("d", "z2", "k2"),
            node("e", "z3", "k1"),
            node("f", "z3", "k2"));
    Placement.Choice c =
        Placement.choose(
            fleet,
            List.of(a, b),
            Set.of("a", "b"),
            10,
            ANY,
            NOW,
            n -> n.nodeId().equals("e") ? 2.0 : 1.0);
    assertThat(c).isEqualTo(new Placement.Chosen(node("f", "z3", "k2")));
  }

  @Test
  void saysWhichConstraintCannotBeMetAndWhy() {
    NodeRecord a = node("a", "z1", "k1");
    NodeRecord b = node("b", "z2", "k1");
    List<NodeRecord> fleet = List.of(a, b, node("c", "z1", "k2"), node("d", "z2", "k2"));
    Placement.Choice c =
        Placement.choose(fleet, List.of(a, b), Set.of("a", "b"), 10, ANY, NOW, n -> 0);
    assertThat(c).isInstanceOf(Placement.Unsatisfiable.class);
    Placement.Unsatisfiable u = (Placement.Unsatisfiable) c;
    assertThat(u.constraint()).isEqualTo("distinct-zone");
    assertThat(u.why())
        .contains("2 nodes")
        .contains("share a zone")
        .contains("a@r1/z1/k1")
        .contains("b@r1/z2/k1");
  }

  @Test
  void aRackIsSharedOnlyWithinItsZone() {
    NodeRecord a = node("a", "z1", "k1");
    Placement.Choice c =
        Placement.choose(
            List.of(a, node("x", "z1", "k1"), node("y", "z2", "k1")),
            List.of(a),
            Set.of("a"),
            0,
            ANY,
            NOW,
            n -> 0);
    assertThat(((Placement.Chosen) c).target().nodeId()).isEqualTo("y");
    Placement.Choice none =
        Placement.choose(
            List.of(a, node("x", "z1", "k1")), List.of(a), Set.of("a"), 0, ANY, NOW, n -> 0);
    assertThat(((Placement.Unsatisfiable) none).constraint()).isEqualTo("distinct-rack");
  }

  @Test
  void pinnedRegionsAreNeverLeft() {
    NodeRecord a = node("a", "eu", "z1", "k1", 0, 0);
    List<NodeRecord> fleet =
        List.of(a, node("b", "us", "z2", "k1", 0, 0), node("c", "us", "z3", "k1", 0, 0));
    Placement.Choice c =
        Placement.choose(
            fleet,
            List.of(a),
            Set.of("a"),
            0,
            new Placement.Constraints(Set.of("eu"), 0.1, 0.85),
            NOW,
            n -> 0);
    assertThat(((Placement.Unsatisfiable) c).constraint()).isEqualTo("region");
    assertThat(((Placement.Unsatisfiable) c).why()).contains("[eu]");
  }

  @Test
  void targetsNeedDiskAndCpuHeadroom() {
    List<NodeRecord> full =
        List.of(node("a", "r1", "z1", "k1", 850, 1), node("b", "r1", "z2", "k1", 800, 1));
    Placement.Unsatisfiable disk =
        (Placement.Unsatisfiable)
            Placement.choose(full, List.of(), Set.of(), 101, ANY, NOW, n -> 0);
    assertThat(disk.constraint()).isEqualTo("disk-headroom");
    assertThat(disk.why()).contains("10%");
    List<NodeRecord> busy =
        List.of(node("a", "r1", "z1", "k1", 0, 9), node("b", "r1", "z2", "k1", 0, 8.6));
    assertThat(
            ((Placement.Unsatisfiable)
                    Placement.choose(busy, List.of(), Set.of(), 1, ANY, NOW, n -> 0))
                .constraint())
        .isEqualTo("cpu-headroom");
  }

  @Test
  void deadOrExpiredNodesAreNotCandidates() {
    NodeRecord dead = node("a", "z1", "k1").withStatus(NodeStatus.DEAD);
    NodeRecord expired =
        new NodeRecord(
            "b",
            "b:1",
            new NodeRecord.Locality("r1", "z2", "k1"),
            CAPACITY,
            NodeRecord.Load.NONE,
            NodeStatus.LIVE,
            1,
            NOW - 1);
    Placement.Unsatisfiable u =
        (Placement.Unsatisfiable)
            Placement.choose(List.of(dead, expired), List.of(), Set.of(), 0, ANY, NOW, n -> 0);
    assertThat(u.constraint()).isEqualTo("live");
  }

  @Test
  void aChosenTargetNeverViolatesAConstraint() {
    SplittableRandom random = new SplittableRandom(7);
    for (int round = 0; round < 300; round++) {
      List<NodeRecord> fleet = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        fleet.add(
            node(
                "n" + i,
                "r" + random.nextInt(2),
                "z" + random.nextInt(3),
                "k" + random.nextInt(2),
                random.nextInt(1000),
                random.nextDouble() * 10));
      }
      List<NodeRecord> keep = List.of(fleet.get(0), fleet.get(1));
      Set<String> regions = random.nextBoolean() ? Set.of() : Set.of("r0");
      Placement.Constraints c = new Placement.Constraints(regions, 0.1, 0.85);
      Placement.Choice choice =
          Placement.choose(fleet, keep, Set.of("n0", "n1"), 50, c, NOW, n -> random.nextDouble());
      if (choice instanceof Placement.Chosen chosen) {
        NodeRecord t = chosen.target();
        List<NodeRecord> after = new ArrayList<>(keep);
        after.add(t);
        assertThat(
                Placement.violations(after, regions).stream()
                    .filter(
                        v ->
                            v.contains(t.nodeId())
                                || v.contains(Placement.rackPath(t))
                                || v.contains(Placement.zonePath(t))))
            .isEmpty();
        assertThat(t.load().bytesUsed() + 50).isLessThanOrEqualTo(900);
        assertThat(t.load().cpuUsed()).isLessThanOrEqualTo(8.5);
      }
    }
  }

  @Test
  void violationsNameTheSharedRackZoneOrRegion() {
    assertThat(
            Placement.violations(List.of(node("a", "z1", "k1"), node("b", "z1", "k1")), Set.of()))
        .containsExactly("two replicas in rack r1/z1/k1");
    assertThat(
            Placement.violations(List.of(node("a", "z1", "k1"), node("b", "z1", "k2")), Set.of()))
        .containsExactly("two replicas in zone r1/z1");
    assertThat(Placement.violations(List.of(node("a", "z1", "k1")), Set.of("eu")))
        .containsExactly("a is in region r1, outside [eu]");
  }
}
