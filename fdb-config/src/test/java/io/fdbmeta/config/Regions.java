package io.fdbmeta.config;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A document for {@code fdbcli fileconfigure [new] FILE}: the "configuration" object of {@code
 * status json}, here carrying a region layout. {@link #parse} enforces the rules of FoundationDB's
 * "Configuring regions" documentation; it throws on the first violation.
 */
record Regions(
    FaultTolerance.Redundancy redundancy,
    String storageEngine,
    int usableRegions,
    List<Region> regions) {

  record Datacenter(String id, int priority, boolean satellite) {}

  /** One primary datacenter (full replica) and its satellites (mutation log copies only). */
  record Region(Datacenter primary, List<Datacenter> satellites, String satelliteMode) {

    /** Log copies kept in each satellite in use. */
    int copiesPerSatellite() {
      return switch (satelliteMode) {
        case "one_satellite_single" -> 1;
        case "one_satellite_double", "two_satellite_safe", "two_satellite_fast" -> 2;
        case "one_satellite_triple" -> 3;
        default -> 0;
      };
    }
  }

  private static final Set<String> TOP_LEVEL =
      Set.of(
          "redundancy_mode",
          "storage_engine",
          "usable_regions",
          "regions",
          "logs",
          "log_routers",
          "remote_logs",
          "remote_redundancy_mode",
          "commit_proxies",
          "grv_proxies",
          "resolvers");
  private static final Set<String> REGION_KEYS =
      Set.of("datacenters", "satellite_redundancy_mode", "satellite_logs");
  private static final Set<String> DATACENTER_KEYS =
      Set.of("id", "priority", "satellite", "satellite_logs");
  private static final Set<String> SATELLITE_MODES =
      Set.of(
          "one_satellite_single",
          "one_satellite_double",
          "one_satellite_triple",
          "two_satellite_safe",
          "two_satellite_fast");

  static Regions parse(Map<String, Object> doc) {
    requireKnownKeys("top level", doc, TOP_LEVEL);
    String engine = string(doc, "storage_engine");
    if (!FaultTolerance.ConfigureNew.ENGINES.contains(engine)) {
      throw new IllegalArgumentException("unknown storage_engine " + engine);
    }
    var redundancy = FaultTolerance.Redundancy.of(string(doc, "redundancy_mode"));
    List<Object> regionList = list(doc, "regions");
    if (regionList.isEmpty() || regionList.size() > 2) {
      throw new IllegalArgumentException(
          "FoundationDB supports one or two regions, got " + regionList.size());
    }
    int usable = integer(doc, "usable_regions");
    if (usable < 1 || usable > regionList.size()) {
      throw new IllegalArgumentException(
          "usable_regions " + usable + " with " + regionList.size() + " regions");
    }
    Set<String> ids = new HashSet<>();
    List<Region> regions = new ArrayList<>();
    for (Object o : regionList) {
      Map<String, Object> region = map(o, "region");
      requireKnownKeys("region", region, REGION_KEYS);
      Datacenter primary = null;
      List<Datacenter> satellites = new ArrayList<>();
      List<Map<String, Object>> satelliteMaps = new ArrayList<>();
      for (Object d : list(region, "datacenters")) {
        Map<String, Object> dc = map(d, "datacenter");
        requireKnownKeys("datacenter", dc, DATACENTER_KEYS);
        String id = string(dc, "id");
        if (!id.matches("[A-Za-z0-9]+") || !ids.add(id)) {
          throw new IllegalArgumentException(
              "datacenter id must be alphanumeric and unique: " + id);
        }
        int satellite = dc.containsKey("satellite") ? integer(dc, "satellite") : 0;
        if (satellite != 0 && satellite != 1) {
          throw new IllegalArgumentException(id + ": satellite must be 0 or 1");
        }
        Datacenter datacenter = new Datacenter(id, integer(dc, "priority"), satellite == 1);
        if (datacenter.satellite()) {
          satellites.add(datacenter);
          satelliteMaps.add(dc);
        } else if (primary != null) {
          throw new IllegalArgumentException(
              "a region has one primary datacenter, got " + primary.id() + " and " + id);
        } else {
          primary = datacenter;
        }
      }
      if (primary == null) {
        throw new IllegalArgumentException("region without a primary datacenter: " + region);
      }
      String mode = (String) region.get("satellite_redundancy_mode");
      if (satellites.isEmpty() != (mode == null)) {
        throw new IllegalArgumentException(
            primary.id()
                + ": satellite_redundancy_mode goes with satellite datacenters, no more, no less");
      }
      Region parsed = new Region(primary, List.copyOf(satellites), mode == null ? "" : mode);
      if (mode != null) {
        if (!SATELLITE_MODES.contains(mode)) {
          throw new IllegalArgumentException("unknown satellite_redundancy_mode " + mode);
        }
        if (mode.startsWith("two_satellite") && satellites.size() < 2) {
          throw new IllegalArgumentException(mode + " needs two satellite datacenters");
        }
        for (Map<String, Object> dc : satelliteMaps) {
          Object logs = dc.getOrDefault("satellite_logs", region.get("satellite_logs"));
          if (logs != null && (Integer) logs < parsed.copiesPerSatellite()) {
            throw new IllegalArgumentException(
                dc.get("id")
                    + ": satellite_logs "
                    + logs
                    + " below the "
                    + parsed.copiesPerSatellite()
                    + " copies "
                    + mode
                    + " keeps");
          }
        }
      }
      regions.add(parsed);
    }
    if (regions.stream().allMatch(r -> r.primary().priority() < 0)) {
      throw new IllegalArgumentException(
          "no primary datacenter with priority >= 0: nothing can be active");
    }
    return new Regions(redundancy, engine, usable, List.copyOf(regions));
  }

  private static void requireKnownKeys(String what, Map<String, Object> map, Set<String> known) {
    for (String key : map.keySet()) {
      if (!known.contains(key)) {
        throw new IllegalArgumentException("unknown " + what + " key " + key);
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object o, String what) {
    if (!(o instanceof Map)) {
      throw new IllegalArgumentException(what + " must be an object: " + o);
    }
    return (Map<String, Object>) o;
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(Map<String, Object> map, String key) {
    if (!(map.get(key) instanceof List)) {
      throw new IllegalArgumentException(key + " must be an array");
    }
    return (List<Object>) map.get(key);
  }

  private static String string(Map<String, Object> map, String key) {
    if (!(map.get(key) instanceof String s)) {
      throw new IllegalArgumentException(key + " must be a string");
    }
    return s;
  }

  private static int integer(Map<String, Object> map, String key) {
    if (!(map.get(key) instanceof Integer i)) {
      throw new IllegalArgumentException(key + " must be an integer");
    }
    return i;
  }
}
