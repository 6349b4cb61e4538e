package io.fdbmeta.layer.control;

import io.fdbmeta.layer.Fixture;
import io.fdbmeta.layer.Lease;
import io.fdbmeta.layer.NodeRecord;
import io.fdbmeta.layer.NodeRegistry;
import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.layer.ReplicaSyncMarks;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A small cluster for the control loop tests: nine nodes, three zones of three racks, and ranges
 * whose three replicas sit in three zones, each leased to its first replica.
 */
final class ControlFixture implements AutoCloseable {
  final Fixture f = new Fixture();
  final List<String> nodes = new ArrayList<>();
  final List<RangeDescriptor> ranges = new ArrayList<>();
  final List<Long> incarnations = new ArrayList<>();

  ControlFixture(int rangeCount) {
    for (int i = 0; i < 9; i++) {
      String id = "n" + i;
      NodeRecord.Locality loc = new NodeRecord.Locality("r1", "z" + (i % 3), "k" + (i / 3));
      incarnations.add(
          f.registry
              .register(
                  f.db,
                  new NodeRegistry.Registration(id, id + ":7000", loc, Fixture.CAPACITY),
                  "p-" + id)
              .incarnation());
      nodes.add(id);
    }
    List<byte[]> keys = new ArrayList<>();
    List<Long> ids = new ArrayList<>();
    for (int i = 1; i < rangeCount; i++)
      keys.add(String.format(Locale.ROOT, "k%04d", i).getBytes(StandardCharsets.UTF_8));
    for (int i = 0; i < rangeCount; i++) ids.add(100L + i);
    List<RangeDescriptor> split =
        f.catalog.splitManyAsync(f.db, "op-split", f.root.rangeId(), keys, ids).join();
    for (int i = 0; i < split.size(); i++) {
      long id = split.get(i).rangeId();
      for (int z = 0; z < 3; z++)
        f.catalog.addReplicaAsync(f.db, id, "n" + ((i + z * 4) % 9 / 3 * 3 + z), -1).join();
      RangeDescriptor d = f.range(id);
      f.leases.acquire(f.db, id, d.replicas().get(0));
      ranges.add(f.range(id));
    }
  }

  /**
   * Every node but {@code except} heartbeats now, and marks every replica it has complete, as a
   * storage node does once its copy caught up (these nodes copy instantly).
   */
  void heartbeatAllBut(String... except) {
    heartbeatWithoutMarksBut(except);
    markSyncedBut(except);
  }

  /** Every node but {@code except} heartbeats now; no node marks anything. */
  void heartbeatWithoutMarksBut(String... except) {
    for (int i = 0; i < nodes.size(); i++) {
      if (List.of(except).contains(nodes.get(i))) continue;
      f.heartbeat(nodes.get(i), incarnations.get(i));
    }
  }

  /** Every node but {@code except} marks its replicas complete at their current generation. */
  void markSyncedBut(String... except) {
    ReplicaSyncMarks marks = new ReplicaSyncMarks(f.ks);
    for (RangeDescriptor d : allRanges()) {
      for (String n : d.replicas()) {
        if (List.of(except).contains(n)) continue;
        long incarnation = incarnations.get(nodes.indexOf(n));
        marks
            .markAsync(
                f.db,
                n,
                incarnation,
                List.of(new ReplicaSyncMarks.Mark(d.rangeId(), d.generation())))
            .join();
      }
    }
  }

  /** Leaseholders other than {@code except} renew their leases now. */
  void renewLeasesBut(String except) {
    for (RangeDescriptor d : allRanges()) {
      if (d.leaseholder() == null || d.leaseholder().equals(except)) continue;
      Lease l = f.leases.get(f.db, d.rangeId()).orElseThrow();
      f.leases.renew(f.db, d.rangeId(), l.holder(), l.epoch());
    }
  }

  List<RangeDescriptor> allRanges() {
    return f.catalog.list(f.db, null, 10_000).items();
  }

  Controller controller(String id) {
    return Controller.create(
        f.db, f.ks, f.config, ControllerConfig.builder().moveLimits(0, 0).build(), id);
  }

  @Override
  public void close() {
    f.close();
  }
}
