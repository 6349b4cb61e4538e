package io.fdbmeta.layer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.KeyValue;
import com.apple.foundationdb.subspace.Subspace;
import com.apple.foundationdb.tuple.Tuple;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class CatalogExportTest {
  static byte[] key(int i) {
    return String.format("k%06d", i).getBytes(StandardCharsets.UTF_8);
  }

  /** A cluster of {@code n} ranges over 3 nodes with leases, an op record and a config entry. */
  static void populate(Fixture f, int n) {
    RangeDescriptor root = f.rootWithReplicas("a", "b", "c");
    f.leases.acquireAsync(f.db, root.rangeId(), "a").join();
    List<byte[]> keys = new ArrayList<>();
    List<Long> ids = new ArrayList<>();
    for (int i = 1; i < n; i++) keys.add(key(i * 10));
    for (int i = 0; i < n; i++) ids.add(5000L + i);
    f.catalog.splitManyAsync(f.db, Ids.newOpId(), root.rangeId(), keys, ids).join();
    f.register("d");
    f.catalog.addReplicaAsync(f.db, 5003, "d", -1).join();
    f.catalog.removeReplicaAsync(f.db, 5003, "b", -1).join();
    f.catalog.split(f.db, 5007, key(75));
    f.db.run(
        tr -> {
          tr.set(f.ks.configKey("placement"), Tuple.from(1L, "zones=2").pack());
          return null;
        });
  }

  static String dumpText(MetaDump d) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    d.write(out, n -> {});
    return out.toString(StandardCharsets.ISO_8859_1);
  }

  static MetaDump.Parsed parse(String text) throws IOException {
    return MetaDump.read(new BufferedReader(new StringReader(text)), n -> {});
  }

  /** Everything under a cluster's directory in one family, keys relative to the family. */
  static List<String> family(Database db, Subspace s) {
    List<String> out = new ArrayList<>();
    for (KeyValue kv : db.read(tr -> tr.getRange(s.range()).asList().join())) {
      byte[] rel = java.util.Arrays.copyOfRange(kv.getKey(), s.getKey().length, kv.getKey().length);
      out.add(HexFormat.of().formatHex(rel) + "=" + HexFormat.of().formatHex(kv.getValue()));
    }
    return out;
  }

  static List<String> allFamilies(Database db, Keyspace ks) {
    List<String> out = new ArrayList<>();
    for (Subspace s :
        List.of(
            ks.rangeSubspace(),
            ks.rangeByIdSubspace(),
            ks.rangeByNodeSubspace(),
            ks.leaseSubspace(),
            ks.nodeSubspace(),
            ks.livenessSubspace(),
            ks.opsSubspace(),
            ks.configSubspace())) {
      out.add("--");
      out.addAll(family(db, s));
    }
    byte[] schema = db.read(tr -> tr.get(ks.schemaVersionKey()).join());
    out.add("schema=" + (schema == null ? "none" : HexFormat.of().formatHex(schema)));
    return out;
  }

  static String withoutHeader(String text) {
    return text.substring(text.indexOf('\n') + 1, text.lastIndexOf("sha256="));
  }

  @Test
  void exportThenImportIntoAnEmptyClusterRoundTripsEveryRecordExactly() throws IOException {
    try (Fixture f = new Fixture()) {
      populate(f, 300);
      MetaDump dump = new CatalogExport(f.ks, 7).export(f.db, Progress.NONE);
      assertThat(dump.ranges()).hasSize(301);
      assertThat(dump.nodes()).hasSize(4);
      assertThat(dump.ops()).hasSameSizeAs(f.catalog.ops().listAsync(f.db).join()).isNotEmpty();
      String text = dumpText(dump);
      MetaDump.Parsed parsed = parse(text);
      assertThat(parsed.problems()).isEmpty();

      Keyspace copy = Keyspace.open(f.db, "copy");
      RangeCatalog copyCatalog = new RangeCatalog(copy, f.config);
      boolean resumed =
          new CatalogRestore(copyCatalog, 13)
              .restore(f.db, parsed.dump(), parsed.sha256(), "test", Progress.NONE);
      assertThat(resumed).isFalse();

      assertThat(allFamilies(f.db, copy)).isEqualTo(allFamilies(f.db, f.ks));
      String again = dumpText(new CatalogExport(copy, 11).export(f.db, Progress.NONE));
      assertThat(withoutHeader(again)).isEqualTo(withoutHeader(text));
      assertThat(ImportMarker.get(f.db, copy)).isNull();

      // a second import into the now non-empty cluster is refused, and changes nothing
      assertThatThrownBy(
              () ->
                  new CatalogRestore(copyCatalog)
                      .restore(f.db, parsed.dump(), "other", "test", Progress.NONE))
          .isInstanceOf(MetaException.class)
          .hasMessageContaining("is not empty");
      assertThat(allFamilies(f.db, copy)).isEqualTo(allFamilies(f.db, f.ks));
    }
  }

  @Test
  void anInterruptedImportLeavesAMarkerBlocksExportAndResumesWithTheSameFile() throws IOException {
    try (Fixture f = new Fixture()) {
      populate(f, 120);
      MetaDump.Parsed parsed = parse(dumpText(new CatalogExport(f.ks).export(f.db, Progress.NONE)));
      Keyspace copy = Keyspace.open(f.db, "copy");
      RangeCatalog copyCatalog = new RangeCatalog(copy, f.config);
      // the "kill": the store fails every transaction after the third range chunk
      Progress killer =
          new Progress() {
            String phase = "";

            @Override
            public void phase(String name, long total) {
              phase = name;
            }

            @Override
            public void at(long done) {
              if (phase.equals("ranges") && done >= 30) throw new IllegalStateException("killed");
            }
          };
      assertThatThrownBy(
              () ->
                  new CatalogRestore(copyCatalog, 10)
                      .restore(f.db, parsed.dump(), parsed.sha256(), "dump.txt", killer))
          .hasMessageContaining("killed");
      ImportMarker m = ImportMarker.get(f.db, copy);
      assertThat(m).isNotNull();
      assertThat(m.source()).isEqualTo("dump.txt");
      assertThatThrownBy(() -> new CatalogExport(copy).export(f.db, Progress.NONE))
          .hasMessageContaining("incomplete import");
      assertThatThrownBy(
              () ->
                  new CatalogRestore(copyCatalog)
                      .restore(f.db, parsed.dump(), "another-sha", "b.txt", Progress.NONE))
          .hasMessageContaining("incomplete import of dump.txt");

      boolean resumed =
          new CatalogRestore(copyCatalog, 10)
              .restore(f.db, parsed.dump(), parsed.sha256(), "dump.txt", Progress.NONE);
      assertThat(resumed).isTrue();
      assertThat(ImportMarker.get(f.db, copy)).isNull();
      assertThat(allFamilies(f.db, copy)).isEqualTo(allFamilies(f.db, f.ks));
    }
  }

  /** A consistent state of the catalog: the read version it was read at, ranges, leases and ops. */
  record State(long readVersion, List<String> records) {}

  static State state(Fixture f) {
    return f.db.read(
        tr -> {
          List<String> out = new ArrayList<>();
          for (KeyValue kv : tr.getRange(f.ks.rangeIndex()).asList().join()) {
            RangeDescriptor d = RangeDescriptor.decode(kv.getValue());
            byte[] lease = tr.get(f.ks.leaseKey(d.rangeId())).join();
            out.add(
                HexFormat.of().formatHex(d.encode())
                    + "/"
                    + (lease == null ? "-" : HexFormat.of().formatHex(lease)));
          }
          for (KeyValue kv : tr.getRange(f.ks.opsRange()).asList().join())
            out.add("op " + HexFormat.of().formatHex(kv.getValue()));
          return new State(tr.getReadVersion().join(), out);
        });
  }

  static List<String> records(MetaDump d) {
    List<String> out = new ArrayList<>();
    for (CatalogImport.RestoredRange r : d.ranges())
      out.add(
          HexFormat.of().formatHex(r.descriptor().encode())
              + "/"
              + (r.lease() == null ? "-" : HexFormat.of().formatHex(r.lease().encode())));
    for (OpRecord o : d.ops()) out.add("op " + HexFormat.of().formatHex(o.encode()));
    return out;
  }

  @Test
  void anExportWhileRangesSplitAndMoveEqualsTheCatalogAtItsReadVersion() throws Exception {
    try (Fixture f = new Fixture()) {
      populate(f, 200);
      List<State> states = new CopyOnWriteArrayList<>();
      states.add(state(f));
      AtomicBoolean stop = new AtomicBoolean();
      Random random = new Random(18);
      Thread mutator =
          new Thread(
              () -> {
                int next = 1_000_000;
                while (!stop.get()) {
                  List<RangeDescriptor> all = f.catalog.list(f.db, null, 10_000).items();
                  RangeDescriptor d = all.get(random.nextInt(all.size() - 1));
                  byte[] start = d.startKey();
                  byte[] splitKey = java.util.Arrays.copyOf(start, start.length + 1);
                  splitKey[start.length] = (byte) (next++ % 200 + 1);
                  if (random.nextBoolean() && d.isInterior(splitKey)) {
                    // both phases, each its own commit and so its own state
                    String op = Ids.newOpId();
                    f.catalog
                        .prepareSplitAsync(
                            f.db, op, d.rangeId(), splitKey, -1, Ids.newRangeId(), Ids.newRangeId())
                        .join();
                    states.add(state(f));
                    f.catalog.commitSplitAsync(f.db, op).join();
                  } else if (d.replicas().contains("d")) {
                    f.catalog.removeReplicaAsync(f.db, d.rangeId(), "d", -1).join();
                  } else {
                    f.catalog.addReplicaAsync(f.db, d.rangeId(), "d", -1).join();
                  }
                  states.add(state(f));
                }
              });
      mutator.start();
      int exportsThatSawChanges = 0;
      try {
        for (int i = 0; i < 6; i++) {
          int before = states.size();
          // between pages, wait for the mutator to commit again: changes land mid-export
          Progress interleave =
              new Progress() {
                String phase = "";
                int pages;

                @Override
                public void phase(String name, long total) {
                  phase = name;
                }

                @Override
                public void at(long done) {
                  if (!phase.equals("ranges") && !phase.equals("leases")) return;
                  if (pages++ % 8 != 3) return;
                  int seen = states.size();
                  long until = System.nanoTime() + 2_000_000_000L;
                  while (states.size() == seen && System.nanoTime() < until)
                    java.util.concurrent.locks.LockSupport.parkNanos(200_000);
                }
              };
          MetaDump dump = new CatalogExport(f.ks, 5).export(f.db, interleave);
          int after = states.size();
          if (after > before + 1) exportsThatSawChanges++;
          // the mutator records each state after its commit: wait for one read after the dump's
          long deadline = System.nanoTime() + 10_000_000_000L;
          while (states.get(states.size() - 1).readVersion() <= dump.readVersion()
              && System.nanoTime() < deadline) Thread.sleep(1);
          // the state at the dump's read version: the last one read at or before it, or the one
          // after it (whose commit may precede the dump's read version)
          int k = -1;
          for (int j = 0; j < states.size(); j++)
            if (states.get(j).readVersion() <= dump.readVersion()) k = j;
          assertThat(k).isGreaterThanOrEqualTo(0);
          List<String> got = records(dump);
          List<List<String>> candidates = new ArrayList<>();
          candidates.add(states.get(k).records());
          if (k + 1 < states.size()) candidates.add(states.get(k + 1).records());
          if (!candidates.contains(got)) {
            StringBuilder diffs = new StringBuilder();
            for (List<String> c : candidates) {
              List<String> missing = new ArrayList<>(c);
              missing.removeAll(got);
              List<String> extra = new ArrayList<>(got);
              extra.removeAll(c);
              diffs.append("\n missing ").append(missing).append(", extra ").append(extra);
            }
            throw new AssertionError(
                "export "
                    + i
                    + " at version "
                    + dump.readVersion()
                    + " (state "
                    + k
                    + " of "
                    + states.size()
                    + ") differs from the catalog then:"
                    + diffs);
          }
        }
      } finally {
        stop.set(true);
        mutator.join();
      }
      assertThat(exportsThatSawChanges).as("exports during which the catalog changed").isEqualTo(6);
    }
  }

  @Test
  void aLeaseRenewedAloneDuringTheExportIsReadAtTheExportsVersion() {
    try (Fixture f = new Fixture()) {
      populate(f, 50);
      long id = 5010;
      Lease expiring = new Lease("a", 1, Fixture.START + 9_000, 7);
      f.db.run(
          tr -> {
            tr.set(f.ks.leaseKey(id), expiring.encode());
            return null;
          });
      Lease renewed = new Lease("a", 1, Fixture.START + 18_000, 7);
      // an expiring lease's renewal rewrites only the lease record: no changelog entry
      Progress renewAfterThePages =
          new Progress() {
            @Override
            public void phase(String name, long total) {
              if (name.equals("catch-up"))
                f.db.run(
                    tr -> {
                      tr.set(f.ks.leaseKey(id), renewed.encode());
                      return null;
                    });
            }

            @Override
            public void at(long done) {}
          };
      MetaDump dump = new CatalogExport(f.ks, 7).export(f.db, renewAfterThePages);
      Lease exported =
          dump.ranges().stream()
              .filter(r -> r.descriptor().rangeId() == id)
              .findFirst()
              .orElseThrow()
              .lease();
      assertThat(exported).isEqualTo(renewed);
    }
  }

  @Test
  void aTruncatedOrEditedDumpIsRefusedWithTheLine() throws IOException {
    try (Fixture f = new Fixture()) {
      populate(f, 20);
      String text = dumpText(new CatalogExport(f.ks).export(f.db, Progress.NONE));
      String truncated = text.substring(0, text.lastIndexOf("end "));
      assertThat(parse(truncated).problems()).singleElement().asString().contains("truncated");
      List<String> lines = new ArrayList<>(text.lines().toList());
      int rangeLine = -1;
      for (int i = 0; i < lines.size(); i++)
        if (lines.get(i).startsWith("range ") && rangeLine < 0 && i > 8) rangeLine = i;
      lines.remove(rangeLine); // a gap, and counts and checksum no longer match
      if (lines.get(rangeLine).startsWith("lease ")) lines.remove(rangeLine);
      MetaDump.Parsed p = parse(String.join("\n", lines) + "\n");
      assertThat(p.dump()).isNull();
      assertThat(p.problems().get(0).line()).isEqualTo(rangeLine + 1);
      assertThat(p.problems().get(0).message()).startsWith("gap");
      assertThat(p.problems().get(p.problems().size() - 1).message()).contains("does not match");
    }
  }
}
