package io.fdbmeta.layer;

import com.apple.foundationdb.tuple.ByteArrayUtil;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/*
 * A range table dumped from a SQL database, read and checked before anything is written.
 *
 * Two dialects:
 *  - MYSQL, what `SELECT ... INTO OUTFILE` writes by default: fields separated by a tab, records by
 *    '\n', no quoting, backslash escapes (\0 \b \n \r \t \Z \\, and a backslash before a literal
 *    tab, newline or other character stands for that character), and \N for NULL.
 *  - CSV, what PostgreSQL's `\copy ... TO ... CSV` writes: fields separated by ',', a field in
 *    double quotes may hold commas, newlines and doubled quotes (""), an unquoted empty field is
 *    NULL; '\r\n' line ends are accepted.
 * Detection (format null): a tab in the first line means MYSQL, else CSV.
 *
 * Columns (--columns): one name per column of the file, in order; start, end and replicas must be
 * named once, leaseholder at most once; any other name (id, '-') is a column that is skipped.
 * Keys are text (the field's bytes) or hex (optionally prefixed with \x, as PostgreSQL prints
 * bytea, or 0x); a NULL or empty start is the empty key, a NULL or empty end is the end of the
 * keyspace. Replicas are node ids in one field separated by ';' (or ','; a PostgreSQL array
 * {n1,n2} also works). An empty leaseholder means no lease; otherwise it must be a replica.
 *
 * Problems are reported with the line the record starts on. The tiling check sorts the good rows
 * by start key and reports, on the later line, each gap (keys no row covers) and each overlap, plus
 * a missing start or end of the keyspace. A gap next to a rejected line (one whose keys could not be
 * read, lying between the two rows in the file) is not reported again: that line is already an
 * error, and probably the missing range.
 */
/** A SQL range table (MySQL INTO OUTFILE or PostgreSQL CSV), parsed and checked. */
public final class RangeTable {
  public enum Format {
    MYSQL,
    CSV
  }

  public enum Keys {
    TEXT,
    HEX
  }

  /** How to read the file; {@code format} null detects it. */
  public record Options(@Nullable Format format, Keys keys, List<String> columns, boolean header) {
    public static final List<String> DEFAULT_COLUMNS =
        List.of("start", "end", "replicas", "leaseholder");

    /**
     * @throws IllegalArgumentException if start, end or replicas is not named exactly once, or a
     *     role is named twice
     */
    public Options {
      columns = List.copyOf(columns);
      for (String role : DEFAULT_COLUMNS) {
        long n = columns.stream().filter(role::equals).count();
        if (n > 1) throw new IllegalArgumentException("--columns names " + role + " twice");
        if (n == 0 && !role.equals("leaseholder"))
          throw new IllegalArgumentException(
              "--columns must name start, end and replicas (leaseholder is optional), got "
                  + String.join(",", columns));
      }
    }
  }

  /** One good row: the range [start, end) (end null: to the end of the keyspace). */
  public record Row(
      long line,
      byte[] start,
      byte @Nullable [] end,
      List<String> replicas,
      @Nullable String leaseholder) {}

  /**
   * The rows that parsed (sorted by start key), the problems found, the lines rejected, and the
   * SHA-256 of the file's bytes (hex).
   */
  public record Parsed(
      List<Row> rows, List<ImportProblem> problems, Set<Long> rejectedLines, String sha256) {}

  private static final Pattern NODE_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
  private static final HexFormat HEX = HexFormat.of();

  private RangeTable() {}

  /**
   * Parses {@code file} and checks each row and the tiling of them all; the nodes are checked by
   * {@link #checkNodes}.
   */
  public static Parsed parse(byte[] file, Options options) {
    String text = new String(file, StandardCharsets.ISO_8859_1); // byte for byte
    Format format = options.format();
    if (format == null) {
      int nl = text.indexOf('\n');
      String first = nl < 0 ? text : text.substring(0, nl);
      format = first.indexOf('\t') >= 0 ? Format.MYSQL : Format.CSV;
    }
    Parser p = new Parser(text, format);
    List<ImportProblem> problems = new ArrayList<>();
    Set<Long> rejected = new TreeSet<>();
    List<Row> rows = new ArrayList<>();
    List<String> cols = options.columns();
    boolean skip = options.header();
    while (problems.size() < ImportProblem.MAX) {
      Record r;
      try {
        r = p.next();
      } catch (Bad e) {
        problems.add(new ImportProblem(e.line, e.getMessage()));
        rejected.add(e.line);
        break; // the rest of the file cannot be split into records reliably
      }
      if (r == null) break;
      if (skip) {
        skip = false;
        continue;
      }
      if (r.fields.size() == 1 && r.fields.get(0) != null && r.fields.get(0).isEmpty())
        continue; // a blank line
      try {
        rows.add(row(r, cols, options.keys()));
      } catch (Bad e) {
        problems.add(new ImportProblem(r.line, e.getMessage()));
        rejected.add(r.line);
      }
    }
    rows.sort(
        Comparator.<Row, byte[]>comparing(Row::start, ByteArrayUtil::compareUnsigned)
            .thenComparingLong(Row::line));
    tiling(rows, rejected, problems);
    problems.sort(Comparator.comparingLong(ImportProblem::line));
    return new Parsed(rows, List.copyOf(problems), rejected, sha256(file));
  }

  /** Problems for replicas and leaseholders that are not among {@code knownNodes}. */
  public static List<ImportProblem> checkNodes(List<Row> rows, Set<String> knownNodes) {
    List<ImportProblem> problems = new ArrayList<>();
    for (Row r : rows) {
      Set<String> unknown = new LinkedHashSet<>();
      for (String n : r.replicas()) if (!knownNodes.contains(n)) unknown.add(n);
      if (!unknown.isEmpty() && problems.size() < ImportProblem.MAX)
        problems.add(
            new ImportProblem(
                r.line(),
                "unknown node"
                    + (unknown.size() > 1 ? "s " : " ")
                    + String.join(", ", unknown)
                    + ": register "
                    + (unknown.size() > 1 ? "them" : "it")
                    + " first (fdbmeta nodes add)"));
    }
    return problems;
  }

  private static void tiling(List<Row> rows, Set<Long> rejected, List<ImportProblem> problems) {
    if (rows.isEmpty()) {
      if (rejected.isEmpty()) problems.add(new ImportProblem(0, "the file holds no ranges"));
      return;
    }
    Row first = rows.get(0);
    if (first.start().length > 0 && !rejectedBetween(rejected, 0, first.line()))
      problems.add(
          new ImportProblem(
              first.line(),
              "gap: no range covers the keys before "
                  + show(first.start())
                  + " (the first range must start at the empty key)"));
    for (int i = 1; i < rows.size(); i++) {
      Row a = rows.get(i - 1);
      Row b = rows.get(i);
      byte[] aEnd = a.end();
      int c = aEnd == null ? 1 : ByteArrayUtil.compareUnsigned(aEnd, b.start());
      if (c > 0)
        problems.add(
            new ImportProblem(
                b.line(),
                "overlap: this range starts at "
                    + show(b.start())
                    + ", inside line "
                    + a.line()
                    + "'s range, which ends at "
                    + (aEnd == null ? "the end of the keyspace" : show(aEnd))));
      else if (c < 0
          && !rejectedBetween(rejected, Math.min(a.line(), b.line()), Math.max(a.line(), b.line())))
        problems.add(
            new ImportProblem(
                b.line(),
                "gap: no range covers ["
                    + show(aEnd)
                    + ", "
                    + show(b.start())
                    + "), between line "
                    + a.line()
                    + "'s end and this range's start"));
    }
    Row last = rows.get(rows.size() - 1);
    if (last.end() != null && !rejectedBetween(rejected, last.line(), Long.MAX_VALUE))
      problems.add(
          new ImportProblem(
              last.line(),
              "gap: no range covers the keys from "
                  + show(last.end())
                  + " to the end of the keyspace (the last range needs an empty or NULL end)"));
  }

  private static boolean rejectedBetween(Set<Long> rejected, long from, long to) {
    for (long l : rejected) if (l > from && l < to) return true;
    return false;
  }

  private static String show(byte[] key) {
    return key.length == 0 ? "the empty key" : "'" + ByteArrayUtil.printable(key) + "'";
  }

  private static Row row(Record r, List<String> cols, Keys keys) {
    if (r.fields.size() != cols.size())
      throw new Bad(
          r.line,
          "has "
              + r.fields.size()
              + " field"
              + (r.fields.size() == 1 ? "" : "s")
              + ", --columns names "
              + cols.size());
    byte[] start = new byte[0];
    byte[] end = null;
    List<String> replicas = List.of();
    String leaseholder = null;
    for (int i = 0; i < cols.size(); i++) {
      String v = r.fields.get(i);
      switch (cols.get(i)) {
        case "start" -> start = v == null || v.isEmpty() ? new byte[0] : key(v, keys, "start", r);
        case "end" -> end = v == null || v.isEmpty() ? null : key(v, keys, "end", r);
        case "replicas" -> replicas = replicas(v, r);
        case "leaseholder" -> leaseholder = v == null || v.isBlank() ? null : v.trim();
        default -> {}
      }
    }
    if (end != null && ByteArrayUtil.compareUnsigned(start, end) >= 0)
      throw new Bad(r.line, "bad range: start " + show(start) + " is not before end " + show(end));
    if (leaseholder != null && !replicas.contains(leaseholder))
      throw new Bad(
          r.line, "leaseholder " + leaseholder + " is not one of the replicas " + replicas);
    return new Row(r.line, start, end, replicas, leaseholder);
  }

  private static byte[] key(String v, Keys keys, String which, Record r) {
    byte[] k;
    if (keys == Keys.HEX) {
      String digits = v.trim();
      if (digits.startsWith("\\x") || digits.startsWith("0x") || digits.startsWith("0X"))
        digits = digits.substring(2);
      try {
        k = HEX.parseHex(digits.toLowerCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new Bad(r.line, "bad " + which + " key '" + v + "': not hex (--keys hex)");
      }
    } else {
      k = v.getBytes(StandardCharsets.ISO_8859_1);
    }
    if (k.length > Validation.MAX_USER_KEY_BYTES)
      throw new Bad(
          r.line,
          "bad "
              + which
              + " key: "
              + k.length
              + " bytes, more than the "
              + Validation.MAX_USER_KEY_BYTES
              + "-byte limit");
    return k;
  }

  private static List<String> replicas(@Nullable String v, Record r) {
    String s = v == null ? "" : v.trim();
    if (s.startsWith("{") && s.endsWith("}")) s = s.substring(1, s.length() - 1);
    List<String> out = new ArrayList<>();
    for (String part : s.split("[;,]")) {
      String n = part.trim();
      if (n.startsWith("\"") && n.endsWith("\"") && n.length() >= 2)
        n = n.substring(1, n.length() - 1);
      if (n.isEmpty()) continue;
      if (!NODE_ID.matcher(n).matches())
        throw new Bad(r.line, "bad node id '" + n + "' in replicas");
      if (out.contains(n)) throw new Bad(r.line, "replica " + n + " appears twice");
      out.add(n);
    }
    if (out.isEmpty()) throw new Bad(r.line, "no replicas (give them as n1;n2;n3)");
    return out;
  }

  private static String sha256(byte[] file) {
    try {
      return HEX.formatHex(MessageDigest.getInstance("SHA-256").digest(file));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  // ---------------------------------------------------------------- records

  /** One record: its fields (null for NULL) and the line it starts on. */
  private record Record(long line, List<@Nullable String> fields) {}

  private static final class Parser {
    private final String s;
    private final Format format;
    private int pos;
    private long line = 1;

    Parser(String s, Format format) {
      this.s = s;
      this.format = format;
    }

    @Nullable Record next() {
      if (pos >= s.length()) return null;
      return format == Format.MYSQL ? mysql() : csv();
    }

    private Record mysql() {
      long at = line;
      List<@Nullable String> fields = new ArrayList<>();
      StringBuilder f = new StringBuilder();
      boolean isNull = false;
      while (true) {
        if (pos >= s.length()) {
          fields.add(isNull ? null : f.toString());
          return new Record(at, fields);
        }
        char c = s.charAt(pos++);
        if (c == '\n') {
          line++;
          fields.add(isNull ? null : f.toString());
          return new Record(at, fields);
        } else if (c == '\t') {
          fields.add(isNull ? null : f.toString());
          f.setLength(0);
          isNull = false;
        } else if (c == '\\') {
          if (pos >= s.length()) throw new Bad(at, "the file ends inside an escape (\\)");
          char e = s.charAt(pos++);
          switch (e) {
            case 'N' -> {
              if (f.length() > 0) f.append('N');
              else isNull = true;
            }
            case '0' -> f.append('\0');
            case 'b' -> f.append('\b');
            case 'n' -> f.append('\n');
            case 'r' -> f.append('\r');
            case 't' -> f.append('\t');
            case 'Z' -> f.append((char) 0x1a);
            case '\n' -> {
              line++;
              f.append('\n');
            }
            default -> f.append(e);
          }
        } else {
          if (isNull) throw new Bad(at, "\\N followed by more characters in one field");
          f.append(c);
        }
      }
    }

    private Record csv() {
      long at = line;
      List<@Nullable String> fields = new ArrayList<>();
      while (true) {
        // one field
        if (pos < s.length() && s.charAt(pos) == '"') {
          long opened = line;
          pos++;
          StringBuilder f = new StringBuilder();
          while (true) {
            if (pos >= s.length())
              throw new Bad(opened, "a quoted field is not closed before the end of the file");
            char c = s.charAt(pos++);
            if (c == '"') {
              if (pos < s.length() && s.charAt(pos) == '"') {
                f.append('"');
                pos++;
              } else break;
            } else {
              if (c == '\n') line++;
              f.append(c);
            }
          }
          fields.add(f.toString());
          if (pos < s.length() && s.charAt(pos) == '\r') pos++;
          if (pos >= s.length()) return new Record(at, fields);
          char c = s.charAt(pos++);
          if (c == ',') continue;
          if (c == '\n') {
            line++;
            return new Record(at, fields);
          }
          throw new Bad(at, "a character after a closing quote: '" + c + "'");
        }
        int startPos = pos;
        while (pos < s.length() && s.charAt(pos) != ',' && s.charAt(pos) != '\n') pos++;
        String raw = s.substring(startPos, pos);
        if (raw.endsWith("\r")) raw = raw.substring(0, raw.length() - 1);
        fields.add(raw.isEmpty() ? null : raw);
        if (pos >= s.length()) return new Record(at, fields);
        char c = s.charAt(pos++);
        if (c == '\n') {
          line++;
          if (fields.size() == 1 && fields.get(0) == null) fields.set(0, ""); // a blank line
          return new Record(at, fields);
        }
      }
    }
  }

  /** A problem with one record. */
  private static final class Bad extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final long line;

    Bad(long line, String message) {
      super(message, null, false, false);
      this.line = line;
    }
  }
}
