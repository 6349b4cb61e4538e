package io.fdbmeta.config;

import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How many simultaneous fault-domain (zone) failures a single-region cluster survives, staying
 * available and losing no data. Three limits, the smallest wins:
 *
 * <ul>
 *   <li>coordinators: a majority must stay reachable, so {@code n} coordinators survive {@code (n -
 *       1) / 2} failures (5 survive 2, 4 survive only 1, which is why counts are odd);
 *   <li>data: each shard and each log entry lives on {@code replicas} distinct zones, so losing
 *       {@code replicas} zones at once may lose data: at most {@code replicas - 1};
 *   <li>recruitment: a new storage team or log set needs {@code replicas} live zones, so {@code
 *       zones - replicas} may fail.
 * </ul>
 *
 * FoundationDB's documentation gives the same numbers: triple needs 3 live machines to make
 * progress and 5 coordinators; double needs 3 machines to tolerate one failure.
 */
final class FaultTolerance {

  enum Redundancy {
    SINGLE(1),
    DOUBLE(2),
    TRIPLE(3);

    final int replicas;

    Redundancy(int replicas) {
      this.replicas = replicas;
    }

    static Redundancy of(String mode) {
      return switch (mode) {
        case "single" -> SINGLE;
        case "double" -> DOUBLE;
        case "triple" -> TRIPLE;
        default -> throw new IllegalArgumentException("unsupported redundancy mode " + mode);
      };
    }
  }

  /** {@code configure new <redundancy> <storage engine>}, as passed to fdbcli. */
  record ConfigureNew(Redundancy redundancy, String storageEngine) {
    private static final Pattern FORMAT = Pattern.compile("configure new (\\S+) (\\S+)");
    // Storage engine names FoundationDB 7.3 accepts.
    static final Set<String> ENGINES =
        Set.of(
            "memory",
            "memory-radixtree-beta",
            "ssd",
            "ssd-1",
            "ssd-2",
            "ssd-redwood-1",
            "ssd-rocksdb-v1",
            "ssd-sharded-rocksdb");

    static ConfigureNew parse(String command) {
      Matcher m = FORMAT.matcher(command.strip());
      if (!m.matches()) {
        throw new IllegalArgumentException("not 'configure new <mode> <engine>': " + command);
      }
      if (!ENGINES.contains(m.group(2))) {
        throw new IllegalArgumentException("unknown storage engine " + m.group(2));
      }
      return new ConfigureNew(Redundancy.of(m.group(1)), m.group(2));
    }
  }

  private FaultTolerance() {}

  /**
   * Zone failures survived; -1 if the cluster cannot even start (fewer zones than replicas or no
   * coordinator).
   */
  static int toleratedFailures(Redundancy redundancy, int zones, int coordinators) {
    if (zones < redundancy.replicas || coordinators < 1) {
      return -1;
    }
    int quorum = (coordinators - 1) / 2;
    int data = redundancy.replicas - 1;
    int recruitment = zones - redundancy.replicas;
    return Math.min(quorum, Math.min(data, recruitment));
  }
}
