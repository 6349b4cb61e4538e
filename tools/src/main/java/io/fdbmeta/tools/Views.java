package io.fdbmeta.tools;

import io.fdbmeta.layer.RangeDescriptor;
import java.util.List;

/**
 * How layer records look in command output: one text form and one JSON form each, so every
 * command shows a range the same way and JSON field names stay stable.
 */
final class Views {
  private Views() {}

  static final String[] RANGE_HEADER = {"RANGE_ID", "KEYS", "GEN", "REPLICAS", "LEASEHOLDER", "EPOCH"};

  static Object[] rangeRow(RangeDescriptor d) {
    return new Object[] {
      d.rangeId(), Keys.bounds(d.startKey(), d.endKey()), d.generation(),
      d.replicas().isEmpty() ? "-" : String.join(",", d.replicas()),
      d.leaseholder() == null ? "-" : d.leaseholder(), d.leaseEpoch()
    };
  }

  /** One line: {@code range 1 ["", ∞) gen 1, replicas -, leaseholder -, epoch 0}. */
  static String rangeLine(RangeDescriptor d) {
    Object[] r = rangeRow(d);
    return "range " + r[0] + " " + r[1] + " gen " + r[2] + ", replicas " + r[3] + ", leaseholder " + r[4] + ", epoch " + r[5];
  }

  /**
   * {@code {"rangeId", "start", "startHex", "end", "endHex", "generation", "replicas",
   * "leaseholder", "leaseEpoch"}}; keys printable and hex; {@code end}/{@code endHex} null for no end.
   */
  static Json rangeJson(RangeDescriptor d) {
    byte[] end = d.endKey();
    return Json.object()
        .put("rangeId", d.rangeId())
        .put("start", Keys.printable(d.startKey()))
        .put("startHex", Keys.hex(d.startKey()))
        .put("end", end == null ? null : Keys.printable(end))
        .put("endHex", end == null ? null : Keys.hex(end))
        .put("generation", d.generation())
        .put("replicas", List.copyOf(d.replicas()))
        .put("leaseholder", d.leaseholder())
        .put("leaseEpoch", d.leaseEpoch());
  }
}
