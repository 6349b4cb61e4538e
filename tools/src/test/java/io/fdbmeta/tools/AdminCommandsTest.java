package io.fdbmeta.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.layer.control.ControllerPlan;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin commands as a new user runs them: each call is a separate command line through {@link
 * Main#run}, on a fresh {@code --embedded} directory.
 */
class AdminCommandsTest {
  @TempDir Path tmp;
  private String dir;

  @BeforeEach
  void setUp() {
    dir = tmp.resolve("store").toString();
  }

  private Cli fdbmeta(String... args) {
    List<String> all = new ArrayList<>(List.of("--embedded", dir));
    all.addAll(List.of(args));
    return Cli.run(all.toArray(String[]::new));
  }

  private Cli ok(String... args) {
    Cli r = fdbmeta(args);
    assertThat(r.exitCode()).as("%s: %s", String.join(" ", args), r.err()).isZero();
    assertThat(r.err()).isEmpty();
    return r;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> json(Cli r) {
    assertThat(r.outLines()).as("one JSON line").hasSize(1);
    return (Map<String, Object>) MiniJson.parse(r.out());
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> obj(Object o) {
    return (Map<String, Object>) o;
  }

  @SuppressWarnings("unchecked")
  private static List<Object> arr(Object o) {
    return (List<Object>) o;
  }

  /** One clear line on stderr and the given exit code, nothing on stdout. */
  private Cli fails(int code, String... args) {
    Cli r = fdbmeta(args);
    assertThat(r.exitCode()).as("%s: %s", String.join(" ", args), r.err()).isEqualTo(code);
    assertThat(r.errLines()).as(String.join(" ", args)).hasSize(1);
    assertThat(r.out()).isEmpty();
    return r;
  }

  @Test
  void initListLookupSplitList() {
    Cli init = ok("init");
    assertThat(init.outLines())
        .singleElement()
        .asString()
        .startsWith("initialised cluster 'default' in fdb-embedded " + dir)
        .contains("created root range 1 [\"\", ∞)");
    assertThat(ok("init").outLines())
        .singleElement()
        .asString()
        .contains("already initialised; nothing changed");
    Map<String, Object> again = json(ok("init", "--json"));
    assertThat(again).containsEntry("created", false).containsEntry("cluster", "default");
    assertThat(obj(again.get("range"))).containsEntry("rangeId", 1.0).containsEntry("end", null);

    Cli list = ok("ranges", "list");
    assertThat(list.outLines()).hasSize(3);
    assertThat(list.outLines().get(0))
        .startsWith("RANGE_ID")
        .contains("KEYS", "GEN", "REPLICAS", "LEASEHOLDER", "EPOCH");
    assertThat(list.outLines().get(1)).matches("1 +\\[\"\", ∞\\) +1 +- +- +0");
    assertThat(list.outLines().get(2)).isEqualTo("1 range");

    assertThat(ok("ranges", "lookup", "apple").outLines())
        .singleElement()
        .asString()
        .isEqualTo("\"apple\" is in range 1 [\"\", ∞) gen 1, replicas -, leaseholder -, epoch 0");

    Map<String, Object> split = json(ok("ranges", "split", "1", "m", "--json"));
    assertThat(split)
        .containsEntry("splitRangeId", 1.0)
        .containsEntry("key", "m")
        .containsEntry("keyHex", "6d");
    Map<String, Object> left = obj(split.get("left"));
    Map<String, Object> right = obj(split.get("right"));
    assertThat(left)
        .containsEntry("start", "")
        .containsEntry("end", "m")
        .containsEntry("generation", 2.0)
        .containsKeys("rangeId", "startHex", "endHex", "replicas", "leaseholder", "leaseEpoch");
    assertThat(right)
        .containsEntry("start", "m")
        .containsEntry("end", null)
        .containsEntry("endHex", null);

    Map<String, Object> listed = json(ok("ranges", "list", "--json"));
    assertThat(listed).containsEntry("count", 2.0).containsEntry("truncated", false);
    assertThat(arr(listed.get("ranges"))).containsExactly(left, right);
    assertThat(ok("ranges", "list").outLines()).hasSize(4).last().isEqualTo("2 ranges");

    Map<String, Object> lookup = json(ok("ranges", "lookup", "--hex", "7a00ff", "--json"));
    assertThat(lookup).containsEntry("key", "z\\x00\\xff").containsEntry("keyHex", "7a00ff");
    assertThat(lookup.get("range")).isEqualTo(right);
    assertThat(ok("ranges", "lookup", "apple").out())
        .contains("range " + (long) (double) (Double) left.get("rangeId") + " [\"\", \"m\") gen 2");
  }

  @Test
  void nodesAddAndList() {
    assertThat(ok("nodes", "list").outLines())
        .singleElement()
        .asString()
        .startsWith("no nodes; add one with 'fdbmeta nodes add");
    assertThat(
            ok("nodes", "add", "n1", "--addr", "10.0.0.1:7000", "--zone", "z1", "--rack", "r1")
                .outLines())
        .singleElement()
        .asString()
        .isEqualTo(
            "added node n1 10.0.0.1:7000 (region default, zone z1, rack r1) LIVE, incarnation 1");
    ok(
        "nodes",
        "add",
        "n2",
        "--addr",
        "node2.example:7000",
        "--zone",
        "z2",
        "--rack",
        "r2",
        "--region",
        "eu",
        "--disk-bytes",
        "1000000",
        "--cpu-cores",
        "4");
    Map<String, Object> added =
        obj(
            json(ok(
                    "nodes",
                    "add",
                    "n3",
                    "--addr",
                    "[::1]:7002",
                    "--zone",
                    "z3",
                    "--rack",
                    "r3",
                    "--json"))
                .get("node"));
    assertThat(added)
        .containsEntry("nodeId", "n3")
        .containsEntry("address", "[::1]:7002")
        .containsEntry("status", "LIVE")
        .containsEntry("incarnation", 1.0)
        .containsEntry("livenessExpired", false)
        .containsKey("livenessExpiresAt");

    Cli list = ok("nodes", "list");
    assertThat(list.outLines()).hasSize(5);
    assertThat(list.outLines().get(0))
        .startsWith("NODE_ID")
        .contains("ADDRESS", "ZONE", "RACK", "STATUS", "INCARNATION", "LIVENESS");
    assertThat(list.outLines().get(2))
        .matches("n2 +node2\\.example:7000 +eu +z2 +r2 +LIVE +1 +1000000 +4 +expire.*");
    assertThat(list.outLines().get(4)).isEqualTo("3 nodes");
    Map<String, Object> j = json(ok("nodes", "list", "--json"));
    assertThat(j).containsEntry("count", 3.0).containsEntry("truncated", false);
    List<Object> nodes = arr(j.get("nodes"));
    assertThat(nodes).extracting(n -> obj(n).get("nodeId")).containsExactly("n1", "n2", "n3");
    assertThat(obj(nodes.get(1)))
        .containsEntry("region", "eu")
        .containsEntry("zone", "z2")
        .containsEntry("rack", "r2")
        .containsEntry("diskBytes", 1000000.0)
        .containsEntry("cpuCores", 4.0);
    assertThat(json(ok("nodes", "list", "--limit", "2", "--json")))
        .containsEntry("count", 2.0)
        .containsEntry("truncated", true);
    Map<String, Object> status = json(ok("status", "--json"));
    assertThat(obj(status.get("nodes"))).containsEntry("total", 3.0).containsEntry("LIVE", 3.0);
  }

  @Test
  void badNodeArgumentsAreOneLine() {
    String[] rest = {"--zone", "z", "--rack", "r"};
    for (String addr :
        List.of(
            "10.0.0.1",
            "10.0.0.1:0",
            "10.0.0.1:65536",
            "host:port",
            ":7000",
            "a b:1",
            "10.0.0.1:7000:1")) {
      List<String> args = new ArrayList<>(List.of("nodes", "add", "n1", "--addr", addr));
      args.addAll(List.of(rest));
      assertThat(fails(2, args.toArray(String[]::new)).err())
          .as(addr)
          .startsWith("fdbmeta nodes add: --addr '" + addr + "'");
    }
    assertThat(
            fails(2, "nodes", "add", "n1", "--addr", "h:99999", "--zone", "z", "--rack", "r").err())
        .contains("port 99999 is outside 1-65535");
    assertThat(
            fails(2, "nodes", "add", "bad/id", "--addr", "h:1", "--zone", "z", "--rack", "r").err())
        .contains("node id must be 1-128 characters")
        .contains("'bad/id'");
    assertThat(fails(2, "nodes", "add", "n1", "--addr", "h:1", "--zone", "z").err())
        .contains("Missing required option")
        .contains("--rack");
    assertThat(fails(2, "nodes", "add", "n1", "--addr", "h:1", "--zone", "", "--rack", "r").err())
        .contains("--zone must not be empty");
    assertThat(
            fails(
                    2,
                    "nodes",
                    "add",
                    "n1",
                    "--addr",
                    "h:1",
                    "--zone",
                    "z",
                    "--rack",
                    "r",
                    "--disk-bytes",
                    "-1")
                .err())
        .contains("--disk-bytes must be >= 0");
    assertThat(
            fails(
                    2,
                    "nodes",
                    "add",
                    "n1",
                    "--addr",
                    "h:1",
                    "--zone",
                    "z",
                    "--rack",
                    "r",
                    "--cpu-cores",
                    "many")
                .err())
        .contains("--cpu-cores");
    assertThat(fails(2, "nodes").err()).contains("missing command: add or list");
    ok("nodes", "add", "n1", "--addr", "h:1", "--zone", "z", "--rack", "r");
    assertThat(
            fails(1, "nodes", "add", "n1", "--addr", "h:2", "--zone", "z", "--rack", "r")
                .errLines()
                .get(0))
        .isEqualTo("fdbmeta: node already exists (h:1, LIVE, incarnation 1) [node n1]");
  }

  @Test
  void splitAndMergeByText() {
    ok("init");
    Cli split = ok("ranges", "split", "1", "café");
    assertThat(split.outLines()).hasSize(3);
    assertThat(split.outLines().get(0)).isEqualTo("split range 1 at \"caf\\xc3\\xa9\" into:");
    List<Object> ranges = arr(json(ok("ranges", "list", "--json")).get("ranges"));
    long leftId = (long) (double) (Double) obj(ranges.get(0)).get("rangeId");
    long rightId = (long) (double) (Double) obj(ranges.get(1)).get("rangeId");
    Map<String, Object> merged =
        obj(
            json(ok("ranges", "merge", Long.toString(leftId), Long.toString(rightId), "--json"))
                .get("range"));
    assertThat(merged)
        .containsEntry("start", "")
        .containsEntry("end", null)
        .containsEntry("generation", 3.0)
        .containsEntry("rangeId", (double) leftId);
    assertThat(fails(1, "ranges", "merge", Long.toString(leftId), Long.toString(rightId)).err())
        .contains("no such range")
        .contains("[range " + rightId + "]");
  }

  @Test
  void limitTruncatesTheListing() {
    ok("init");
    ok("ranges", "split", "1", "m");
    Cli one = ok("ranges", "list", "--limit", "1");
    assertThat(one.outLines())
        .hasSize(3)
        .last()
        .isEqualTo("1 range shown; more exist (raise --limit)");
    Map<String, Object> j = json(ok("ranges", "list", "--limit", "1", "--json"));
    assertThat(j).containsEntry("count", 1.0).containsEntry("truncated", true);
    assertThat(json(ok("ranges", "list", "--limit", "2", "--json")))
        .containsEntry("truncated", false);
  }

  @Test
  void statusBeforeAndAfterInit() {
    Cli before = ok("status");
    assertThat(before.out())
        .contains(
            "store:",
            "fdb-embedded " + dir,
            "cluster:",
            "default",
            "initialised:",
            "no: run 'fdbmeta init'");
    Map<String, Object> j0 = json(ok("status", "--json"));
    assertThat(j0)
        .containsEntry("initialised", false)
        .containsEntry("ranges", 0.0)
        .containsEntry("metaVersion", null);
    ok("init");
    ok("ranges", "split", "1", "m");
    Map<String, Object> j = json(ok("status", "--json"));
    assertThat(j)
        .containsEntry("cluster", "default")
        .containsEntry("initialised", true)
        .containsEntry("ranges", 2.0)
        .containsEntry("schemaVersion", (double) io.fdbmeta.layer.SchemaVersion.LATEST);
    assertThat(j.get("store")).asString().contains(dir);
    assertThat(obj(j.get("nodes")))
        .containsEntry("total", 0.0)
        .containsKeys("LIVE", "DRAINING", "DEAD", "DECOMMISSIONED");
    assertThat(j.get("metaVersion")).asString().hasSize(20);
    assertThat(obj(j.get("changelog")))
        .containsEntry("entries", 4.0)
        .containsEntry("floor", null)
        .containsKeys("oldest", "newest");
    assertThat(ok("status").out())
        .contains("ranges:", "2", "meta_version:", "changelog:", "4 entries");
  }

  @Test
  void jsonBeforeTheCommandNameAppliesToCommandsThatHaveIt() {
    ok("init");
    assertThat(json(ok("--json", "status"))).containsEntry("initialised", true);
    Cli noJson = fdbmeta("--json", "demo", "--duration", "1s");
    assertThat(noJson.exitCode()).isEqualTo(2);
    assertThat(noJson.err())
        .isEqualTo(
            "fdbmeta demo: --json: this command prints no JSON (see 'fdbmeta demo --help')\n");
  }

  @Test
  void planSaysWhenALivenessExpiredAsATime() {
    ControllerPlan p =
        new ControllerPlan(
            List.of(new ControllerPlan.DeadNode("n1", 3, 1_796_597_260_283L)),
            List.of(),
            List.of(),
            List.of(),
            List.of(),
            List.of());
    assertThat(PlanCommand.text(p))
        .isEqualTo(
            "mark dead   n1 (incarnation 3, liveness expired at 2026-12-06T22:47:40.283Z)\n");
  }

  @Test
  void clustersInOneStoreAreSeparate() {
    ok("--cluster", "a", "init");
    assertThat(fails(1, "--cluster", "b", "ranges", "list").err())
        .contains("cluster 'b' has no ranges; run init first");
    assertThat(ok("ranges", "list", "--cluster", "a").outLines()).last().isEqualTo("1 range");
  }

  @Test
  void beforeInitCommandsSaySo() {
    assertThat(fails(1, "ranges", "list").errLines().get(0))
        .isEqualTo("fdbmeta: cluster 'default' has no ranges; run init first");
    assertThat(fails(1, "ranges", "lookup", "k").errLines().get(0))
        .isEqualTo("fdbmeta: cluster 'default' has no ranges; run init first");
    assertThat(fails(1, "ranges", "split", "1", "k").err()).contains("no such range");
  }

  @Test
  void badArgumentsAreOneLine() {
    ok("init");
    assertThat(fails(1, "ranges", "split", "1", "").err())
        .startsWith("fdbmeta: split key must lie strictly inside")
        .contains("[range 1]");
    ok("ranges", "split", "1", "m");
    Map<String, Object> left = obj(arr(json(ok("ranges", "list", "--json")).get("ranges")).get(0));
    String leftId = Long.toString((long) (double) (Double) left.get("rangeId"));
    assertThat(fails(1, "ranges", "split", leftId, "x").err())
        .startsWith("fdbmeta: split key must lie strictly inside")
        .contains("[key x]");
    assertThat(fails(1, "ranges", "split", "42", "k").errLines().get(0))
        .isEqualTo("fdbmeta: no such range [range 42]");
    assertThat(fails(2, "ranges", "split", "abc", "k").err())
        .contains("RANGE_ID")
        .contains("'abc'");
    assertThat(fails(2, "ranges", "split", "1").err())
        .contains("Missing required parameter")
        .contains("KEY");
    assertThat(fails(2, "ranges", "lookup", "--hex", "xyz0").err())
        .contains("--hex key 'xyz0' is not hex");
    assertThat(fails(2, "ranges", "lookup", "--hex", "abc").err())
        .contains("odd number of hex digits");
    assertThat(fails(2, "ranges", "list", "--limit", "0").err())
        .contains("--limit must be at least 1");
    assertThat(fails(2, "ranges").err())
        .contains("missing command: list, lookup, split, merge or place");
    assertThat(fails(2, "ranges", "spilt").err())
        .contains("unknown command 'spilt'")
        .contains("split");
  }

  /** A byte that is not UTF-8 reaches Java's argv as U+FFFD: such a key is refused, not stored. */
  @Test
  void nonUtf8KeyIsRefusedNotReplacedByUfffd() {
    ok("init");
    for (String cmd : List.of("lookup", "split")) {
      List<String> args = new ArrayList<>(List.of("ranges", cmd));
      if (cmd.equals("split")) args.add("1");
      args.add("k\uFFFDy");
      assertThat(fails(2, args.toArray(String[]::new)).err())
          .as(cmd)
          .startsWith("fdbmeta ranges " + cmd + ": KEY 'k\uFFFDy' is not valid ")
          .contains("--hex");
    }
    assertThat(arr(json(ok("ranges", "list", "--json")).get("ranges"))).hasSize(1);
  }

  @Test
  void hexKeyTakesNonUtf8BytesExactly() {
    ok("init");
    Map<String, Object> split = json(ok("ranges", "split", "1", "--hex", "6bff00", "--json"));
    assertThat(split).containsEntry("keyHex", "6bff00");
    Map<String, Object> found = json(ok("ranges", "lookup", "--hex", "6bff00", "--json"));
    assertThat(obj(found.get("range"))).containsEntry("startHex", "6bff00");
  }

  @Test
  void nonUtf8NodeArgumentIsRefusedNotReplacedByUfffd() {
    String bad = "z\uFFFD";
    for (String opt : List.of("--zone", "--rack", "--region")) {
      Map<String, String> given =
          new java.util.LinkedHashMap<>(Map.of("--zone", "z", "--rack", "r"));
      given.put(opt, bad);
      List<String> args = new ArrayList<>(List.of("nodes", "add", "n1", "--addr", "h:1"));
      given.forEach((name, value) -> args.addAll(List.of(name, value)));
      assertThat(fails(2, args.toArray(String[]::new)).err())
          .as(opt)
          .startsWith("fdbmeta nodes add: " + opt + " '" + bad + "' is not valid ");
    }
    assertThat(
            fails(2, "nodes", "add", "n\uFFFD1", "--addr", "h:1", "--zone", "z", "--rack", "r")
                .err())
        .startsWith("fdbmeta nodes add: ID 'n\uFFFD1' is not valid ");
    assertThat(json(ok("nodes", "list", "--json")).toString()).doesNotContain("\uFFFD");
  }

  @Test
  void rangesPlaceGivesAFreshClusterItsReplicasOverZonesOnceAndNeedsLiveNodes() {
    ok("init");
    assertThat(fdbmeta("ranges", "place").exitCode()).isEqualTo(1);
    for (int i = 1; i <= 4; i++)
      ok(
          "nodes",
          "add",
          "n" + i,
          "--addr",
          "10.0.0." + i + ":7000",
          "--zone",
          "z" + ((i - 1) % 3 + 1),
          "--rack",
          "r1");
    Cli placed = ok("ranges", "place");
    assertThat(placed.out())
        .contains("replicas n1,n2,n3, leaseholder n1")
        .contains("placed 1 of 1");
    assertThat(ok("ranges", "place").out()).contains("nothing changed");
    assertThat(fails(2, "ranges", "place", "--replication", "0").err())
        .contains("--replication must be at least 1");
  }
}
