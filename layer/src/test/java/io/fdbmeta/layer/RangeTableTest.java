package io.fdbmeta.layer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RangeTableTest {
  static final RangeTable.Options HEX_CSV =
      new RangeTable.Options(
          RangeTable.Format.CSV, RangeTable.Keys.HEX, RangeTable.Options.DEFAULT_COLUMNS, true);

  static RangeTable.Parsed parse(String text, RangeTable.Options o) {
    return RangeTable.parse(text.getBytes(StandardCharsets.ISO_8859_1), o);
  }

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  @Test
  void aGapAnOverlapAndABadKeyAreThreeProblemsWithTheirLines() {
    String csv =
        "start,end,replicas,leaseholder\n"
            + ",6b31,a;b;c,a\n" // 2: ["", k1)
            + "6b31,6b33,a;b;c,b\n" // 3: [k1, k3)
            + "6b34,6b36,a;b;c,\n" // 4: gap [k3, k4)
            + "6b35,6b37,a;b;c,c\n" // 5: overlaps [k4, k6)
            + "zz,6b39,a;b;c,a\n" // 6: bad key (the gap [k7, k9) it leaves is not reported again)
            + "6b39,,a;b;c,a\n"; // 7: [k9, end)
    RangeTable.Parsed p = parse(csv, HEX_CSV);
    assertThat(p.problems()).extracting(ImportProblem::line).containsExactly(4L, 5L, 6L);
    assertThat(p.problems().get(0).message()).startsWith("gap: no range covers ['k3', 'k4')");
    assertThat(p.problems().get(1).message()).startsWith("overlap:").contains("line 4");
    assertThat(p.problems().get(2).message()).startsWith("bad start key 'zz'");
  }

  @Test
  void unknownNodesAndAMissingEndAreReported() {
    String csv = "start,end,replicas,leaseholder\n,6b31,a;b,a\n6b31,6b32,a;x;y,\n";
    RangeTable.Parsed p = parse(csv, HEX_CSV);
    assertThat(p.problems())
        .singleElement()
        .asString()
        .startsWith("line 3: gap")
        .contains("end of the keyspace");
    assertThat(RangeTable.checkNodes(p.rows(), Set.of("a", "b")))
        .singleElement()
        .asString()
        .isEqualTo("line 3: unknown nodes x, y: register them first (fdbmeta nodes add)");
  }

  @Test
  void readsMysqlOutfileWithEscapesAndNullAndPostgresCsvWithQuotes() {
    // MySQL INTO OUTFILE: tabs, \N for NULL, backslash escapes; an id column skipped
    String mysql = "7\t\\N\tm\\tx\tn1;n2\tn1\n8\tm\\tx\t\\N\tn2;n1\t\\N\n";
    RangeTable.Parsed my =
        parse(
            mysql,
            new RangeTable.Options(
                null,
                RangeTable.Keys.TEXT,
                List.of("id", "start", "end", "replicas", "leaseholder"),
                false));
    assertThat(my.problems()).isEmpty();
    assertThat(my.rows()).hasSize(2);
    assertThat(my.rows().get(0).start()).isEmpty();
    assertThat(my.rows().get(0).end()).isEqualTo(b("m\tx"));
    assertThat(my.rows().get(0).leaseholder()).isEqualTo("n1");
    assertThat(my.rows().get(1).start()).isEqualTo(b("m\tx"));
    assertThat(my.rows().get(1).end()).isNull();
    assertThat(my.rows().get(1).replicas()).containsExactly("n2", "n1");
    assertThat(my.rows().get(1).leaseholder()).isNull();

    // PostgreSQL \copy ... CSV HEADER: quoted fields with commas, quotes and a newline; bytea hex
    String pg =
        "start_key,end_key,replicas,leaseholder\r\n"
            + ",\"\\x612c62\",\"{n1,n2}\",n2\r\n"
            + "\"\\x612c62\",\\x7a0a,n1;n2,\r\n"
            + "\\x7a0a,,\"n1\",n1\r\n";
    RangeTable.Parsed p = parse(pg, HEX_CSV);
    assertThat(p.problems()).isEmpty();
    assertThat(p.rows()).extracting(RangeTable.Row::line).containsExactly(2L, 3L, 4L);
    assertThat(p.rows().get(0).end()).isEqualTo(b("a,b"));
    assertThat(p.rows().get(0).replicas()).containsExactly("n1", "n2");
    assertThat(p.rows().get(2).end()).isNull();

    String text =
        "start,end,replicas\n,\"say \"\"hi\"\"\nthere\",n1\n\"say \"\"hi\"\"\nthere\",,n1\n";
    RangeTable.Parsed t =
        parse(
            text,
            new RangeTable.Options(
                RangeTable.Format.CSV,
                RangeTable.Keys.TEXT,
                List.of("start", "end", "replicas"),
                true));
    assertThat(t.problems()).isEmpty();
    assertThat(t.rows().get(0).end()).isEqualTo(b("say \"hi\"\nthere"));
    assertThat(t.rows().get(1).line()).isEqualTo(4); // the quoted newline counts as a line
  }

  static String table(int n) {
    StringBuilder sb = new StringBuilder("start,end,replicas,leaseholder\n");
    for (int i = 0; i < n; i++) {
      String start = i == 0 ? "" : String.format("r%04d", i);
      String end = i == n - 1 ? "" : String.format("r%04d", i + 1);
      sb.append(start)
          .append(',')
          .append(end)
          .append(",a;b;c,")
          .append("abc".charAt(i % 3))
          .append('\n');
    }
    return sb.toString();
  }

  @Test
  void importsATableWithLeasesOnLivenessAndAKilledImportResumes() {
    try (Fixture f = new Fixture()) {
      for (String n : List.of("a", "b", "c")) f.register(n);
      RangeTable.Parsed p =
          parse(
              table(50),
              new RangeTable.Options(
                  RangeTable.Format.CSV,
                  RangeTable.Keys.TEXT,
                  RangeTable.Options.DEFAULT_COLUMNS,
                  true));
      assertThat(p.problems()).isEmpty();
      RangeTableImport importer = new RangeTableImport(f.catalog, 7);
      assertThat(importer.check(f.db, p.rows())).isEmpty();
      Progress killer =
          new Progress() {
            @Override
            public void phase(String name, long total) {}

            @Override
            public void at(long done) {
              if (done >= 21) throw new IllegalStateException("killed");
            }
          };
      assertThatThrownBy(() -> importer.importTable(f.db, p, "t.csv", killer))
          .hasMessageContaining("killed");
      assertThat(ImportMarker.get(f.db, f.ks)).isNotNull();
      assertThat(importer.importTable(f.db, p, "t.csv", Progress.NONE)).isTrue();
      assertThat(ImportMarker.get(f.db, f.ks)).isNull();

      List<RangeDescriptor> ranges = f.catalog.list(f.db, null, 1000).items();
      assertThat(ranges).hasSize(50);
      byte[] start = new byte[0];
      for (int i = 0; i < 50; i++) {
        RangeDescriptor d = ranges.get(i);
        assertThat(d.startKey()).isEqualTo(start);
        assertThat(d.leaseholder()).isEqualTo(String.valueOf("abc".charAt(i % 3)));
        Lease lease = f.leases.get(f.db, d.rangeId()).orElseThrow();
        assertThat(lease.ridesOnLiveness()).isTrue();
        assertThat(lease.holder()).isEqualTo(d.leaseholder());
        start = d.endKey();
      }
      assertThat(start).isNull();
      assertThat(f.catalog.lookup(f.db, b("r0042x")).startKey()).isEqualTo(b("r0042"));
      // a second import is refused: the catalog is no longer fresh
      assertThatThrownBy(() -> importer.importTable(f.db, p, "t.csv", Progress.NONE))
          .hasMessageContaining("is not empty");
    }
  }
}
