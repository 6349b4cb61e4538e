package io.fdbmeta.tools;

import com.apple.foundationdb.tuple.ByteArrayUtil;
import io.fdbmeta.layer.NodeRecord;
import io.fdbmeta.layer.RangeDescriptor;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * How layer records look in command output: one text form and one JSON form each, so every command
 * shows a range the same way and JSON field names stay stable.
 */
final class Views {
  private Views() {}

  static final String[] RANGE_HEADER = {
    "RANGE_ID", "KEYS", "GEN", "REPLICAS", "LEASEHOLDER", "EPOCH"
  };

  static Object[] rangeRow(RangeDescriptor d) {
    return new Object[] {
      d.rangeId(),
      Keys.bounds(d.startKey(), d.endKey()),
      d.generation(),
      d.replicas().isEmpty() ? "-" : String.join(",", d.replicas()),
      d.leaseholder() == null ? "-" : d.leaseholder(),
      d.leaseEpoch()
    };
  }

  /** One line: {@code range 1 ["", ∞) gen 1, replicas -, leaseholder -, epoch 0}. */
  static String rangeLine(RangeDescriptor d) {
    Object[] r = rangeRow(d);
    return "range "
        + r[0]
        + " "
        + r[1]
        + " gen "
        + r[2]
        + ", replicas "
        + r[3]
        + ", leaseholder "
        + r[4]
        + ", epoch "
        + r[5];
  }

  /**
   * {@code {"rangeId", "start", "startHex", "end", "endHex", "generation", "replicas",
   * "leaseholder", "leaseEpoch"}}; keys printable and hex; {@code end}/{@code endHex} null for no
   * end.
   */
  static Json rangeJson(RangeDescriptor d) {
    byte[] end = d.endKey();
    return Json.object()
        .put("rangeId", d.rangeId())
        .put("start", ByteArrayUtil.printable(d.startKey()))
        .put("startHex", Keys.hex(d.startKey()))
        .put("end", end == null ? null : ByteArrayUtil.printable(end))
        .put("endHex", end == null ? null : Keys.hex(end))
        .put("generation", d.generation())
        .put("replicas", List.copyOf(d.replicas()))
        .put("leaseholder", d.leaseholder())
        .put("leaseEpoch", d.leaseEpoch());
  }

  static final String[] NODE_HEADER = {
    "NODE_ID",
    "ADDRESS",
    "REGION",
    "ZONE",
    "RACK",
    "STATUS",
    "INCARNATION",
    "DISK_BYTES",
    "CPU_CORES",
    "LIVENESS"
  };

  static Object[] nodeRow(NodeRecord n, long now) {
    return new Object[] {
      n.nodeId(),
      n.address(),
      n.locality().region(),
      n.locality().zone(),
      n.locality().rack(),
      n.status(),
      n.incarnation(),
      n.capacity().diskBytes(),
      cores(n.capacity().cpuCores()),
      liveness(n.livenessExpiresAt(), now)
    };
  }

  /**
   * One line: {@code node n1 10.0.0.1:7000 (region default, zone z1, rack r1) LIVE, incarnation 1}.
   */
  static String nodeLine(NodeRecord n) {
    NodeRecord.Locality l = n.locality();
    return "node "
        + n.nodeId()
        + " "
        + n.address()
        + " (region "
        + l.region()
        + ", zone "
        + l.zone()
        + ", rack "
        + l.rack()
        + ") "
        + n.status()
        + ", incarnation "
        + n.incarnation();
  }

  /**
   * {@code {"nodeId", "address", "region", "zone", "rack", "status", "incarnation", "diskBytes",
   * "cpuCores", "livenessExpiresAt" (ISO-8601), "livenessExpired"}}.
   */
  static Json nodeJson(NodeRecord n, long now) {
    return Json.object()
        .put("nodeId", n.nodeId())
        .put("address", n.address())
        .put("region", n.locality().region())
        .put("zone", n.locality().zone())
        .put("rack", n.locality().rack())
        .put("status", n.status().name())
        .put("incarnation", n.incarnation())
        .put("diskBytes", n.capacity().diskBytes())
        .put("cpuCores", n.capacity().cpuCores())
        .put("livenessExpiresAt", Instant.ofEpochMilli(n.livenessExpiresAt()).toString())
        .put("livenessExpired", n.livenessExpiresAt() <= now);
  }

  private static String cores(double c) {
    return c == Math.rint(c) ? Long.toString((long) c) : Double.toString(c);
  }

  /** "expires in 8s" or "expired 3m12s ago". */
  static String liveness(long expiresAt, long now) {
    Duration d = Duration.ofMillis(Math.abs(expiresAt - now));
    String span =
        d.toHours() > 0
            ? d.toHours() + "h" + d.toMinutesPart() + "m"
            : d.toMinutes() > 0
                ? d.toMinutes() + "m" + d.toSecondsPart() + "s"
                : d.toSeconds() + "s";
    return expiresAt > now ? "expires in " + span : "expired " + span + " ago";
  }
}
