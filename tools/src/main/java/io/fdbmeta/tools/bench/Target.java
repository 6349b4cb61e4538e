package io.fdbmeta.tools.bench;

import io.fdbmeta.tools.Json;
import java.util.List;
import java.util.Locale;

/**
 * One benchmark target: {@code actual >= target}, or {@code actual <= target} when {@code atMost}.
 */
public record Target(String id, String description, double target, double actual, boolean atMost) {
  static Target atLeast(String id, String description, double target, double actual) {
    return new Target(id, description, target, actual, false);
  }

  static Target atMost(String id, String description, double target, double actual) {
    return new Target(id, description, target, actual, true);
  }

  public boolean pass() {
    return atMost ? actual <= target : actual >= target;
  }

  /** "&gt;= 90,000 PASS" style text for a report's target column. */
  String verdict(String format, String unit) {
    return (atMost ? "<= " : ">= ")
        + String.format(Locale.ROOT, format, target)
        + unit
        + "  "
        + (pass() ? "PASS" : "MISS");
  }

  static Target byId(List<Target> targets, String id) {
    return targets.stream().filter(t -> t.id().equals(id)).findFirst().orElseThrow();
  }

  static boolean allPass(List<Target> targets) {
    return targets.stream().allMatch(Target::pass);
  }

  static List<Object> json(List<Target> targets) {
    List<Object> out = Json.list();
    for (Target t : targets) {
      out.add(
          Json.object()
              .put("id", t.id())
              .put("description", t.description())
              .put("target", t.target())
              .put("actual", t.actual())
              .put("atMost", t.atMost())
              .put("pass", t.pass()));
    }
    return out;
  }

  /** A warning line when other work loaded the machine as a run started, else "". */
  static String loadWarning(double loadAverage) {
    int cpus = Runtime.getRuntime().availableProcessors();
    if (loadAverage < cpus) return "";
    return String.format(
        Locale.ROOT,
        "WARNING: load average %.1f on %d cpus when the run started: other work shares the cpus, figures will be low and noisy%n",
        loadAverage,
        cpus);
  }
}
