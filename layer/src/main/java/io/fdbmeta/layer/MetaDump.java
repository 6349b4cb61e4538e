package io.fdbmeta.layer;

import com.apple.foundationdb.tuple.ByteArrayUtil;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.function.LongConsumer;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/*
 * The dump file `fdbmeta export` writes and `fdbmeta import --in` reads: every record of one
 * cluster as of one read version, one record per line, US-ASCII, lines ending in '\n'.
 *
 *   fdbmeta-dump 1 cluster=<name> read_version=<version>         header: magic, format, origin
 *   schema <value>                                               schema_version (absent if unset)
 *   config <name hex> <value>                                    one per config entry
 *   node <nodeId> <value>                                        NodeRecord
 *   op <opId> <value>                                            OpRecord
 *   range <rangeId> <start> <end> <value>                        RangeDescriptor, in key order
 *   lease <rangeId> <value>                                      its Lease, right after its range
 *   end records=<n> ranges=<n> leases=<n> nodes=<n> ops=<n> config=<n> sha256=<hex>
 *
 * <value> is the record's stored encoding (a tuple whose first element is its format version) in
 * standard base64; it is what the import writes back, so a round trip is exact. <start> and <end>
 * repeat the descriptor's bounds for people and tools reading the file: 'x' then the key in hex
 * ('x' alone is the empty key), and 'end' for the end of the keyspace; the import checks they match
 * the descriptor. The trailer counts the record lines (all but header and trailer) and carries the
 * SHA-256 of every byte before it (header and records, newlines included), so a truncated or edited
 * file is refused. Liveness entries and the range indexes are not in the file: they are derived from
 * nodes and ranges and rebuilt on import. Neither are the changelog, meta_version, the controller
 * lease, replica ready marks and reported range loads: the feed starts afresh, a controller is
 * elected afresh, and storage nodes (restarted against the new store, so with new incarnations
 * that void every old mark) mark and report again.
 */
/** The line-oriented dump of one cluster's metadata: the model, its writer and its reader. */
public final class MetaDump {
  public static final int FORMAT = 1;
  public static final String MAGIC = "fdbmeta-dump";

  private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9._:-]+");
  private static final HexFormat HEX = HexFormat.of();

  /** One config entry: its name and stored value. */
  public record Setting(String name, byte[] value) {}

  private final String cluster;
  private final long readVersion;
  private final byte @Nullable [] schemaVersion;
  private final List<Setting> config;
  private final List<NodeRecord> nodes;
  private final List<OpRecord> ops;
  private final List<CatalogImport.RestoredRange> ranges;

  /**
   * A dump; {@code ranges} in key order, tiling the keyspace.
   *
   * @throws IllegalArgumentException if a node id or op id is not a plain token
   */
  public MetaDump(
      String cluster,
      long readVersion,
      byte @Nullable [] schemaVersion,
      List<Setting> config,
      List<NodeRecord> nodes,
      List<OpRecord> ops,
      List<CatalogImport.RestoredRange> ranges) {
    this.cluster = cluster;
    this.readVersion = readVersion;
    this.schemaVersion = schemaVersion == null ? null : schemaVersion.clone();
    this.config = List.copyOf(config);
    this.nodes = List.copyOf(nodes);
    this.ops = List.copyOf(ops);
    this.ranges = List.copyOf(ranges);
    for (NodeRecord n : nodes) token(n.nodeId(), "node id");
    for (OpRecord o : ops) token(o.opId(), "op id");
  }

  private static String token(String s, String what) {
    if (!TOKEN.matcher(s).matches())
      throw new IllegalArgumentException(what + " '" + s + "' is not a plain token");
    return s;
  }

  public String cluster() {
    return cluster;
  }

  /** The read version the records are the state at. */
  public long readVersion() {
    return readVersion;
  }

  public byte @Nullable [] schemaVersion() {
    return schemaVersion == null ? null : schemaVersion.clone();
  }

  public List<Setting> config() {
    return config;
  }

  public List<NodeRecord> nodes() {
    return nodes;
  }

  public List<OpRecord> ops() {
    return ops;
  }

  public List<CatalogImport.RestoredRange> ranges() {
    return ranges;
  }

  public long leases() {
    return ranges.stream().filter(r -> r.lease() != null).count();
  }

  /** Record lines: everything but header and trailer. */
  public long records() {
    return (schemaVersion == null ? 0 : 1)
        + config.size()
        + nodes.size()
        + ops.size()
        + ranges.size()
        + leases();
  }

  // ---------------------------------------------------------------- writing

  /**
   * Writes the dump to {@code out} (not closed), calling {@code progress} with the number of ranges
   * written every 10,000 ranges and at the end.
   *
   * @return the SHA-256 in the trailer, hex
   */
  public String write(OutputStream out, LongConsumer progress) throws IOException {
    MessageDigest sha = sha256();
    StringBuilder line = new StringBuilder(256);
    Base64.Encoder b64 = Base64.getEncoder();
    line.append(MAGIC)
        .append(' ')
        .append(FORMAT)
        .append(" cluster=")
        .append(cluster)
        .append(" read_version=")
        .append(readVersion);
    emit(out, sha, line);
    if (schemaVersion != null) emit(out, sha, line.append("schema ").append(b64(schemaVersion)));
    for (Setting s : config)
      emit(
          out,
          sha,
          line.append("config ")
              .append(HEX.formatHex(s.name().getBytes(StandardCharsets.UTF_8)))
              .append(' ')
              .append(b64.encodeToString(s.value())));
    for (NodeRecord n : nodes)
      emit(
          out,
          sha,
          line.append("node ")
              .append(n.nodeId())
              .append(' ')
              .append(b64.encodeToString(n.encode())));
    for (OpRecord o : ops)
      emit(
          out,
          sha,
          line.append("op ").append(o.opId()).append(' ').append(b64.encodeToString(o.encode())));
    long written = 0;
    for (CatalogImport.RestoredRange r : ranges) {
      RangeDescriptor d = r.descriptor();
      line.append("range ").append(d.rangeId()).append(' ');
      key(line, d.startKey()).append(' ');
      (d.endKey() == null ? line.append("end") : key(line, d.endKey()))
          .append(' ')
          .append(b64.encodeToString(d.encode()));
      emit(out, sha, line);
      if (r.lease() != null)
        emit(
            out,
            sha,
            line.append("lease ")
                .append(d.rangeId())
                .append(' ')
                .append(b64.encodeToString(r.lease().encode())));
      if (++written % 10_000 == 0) progress.accept(written);
    }
    String digest = HEX.formatHex(sha.digest());
    line.append(
            trailer(records(), ranges.size(), leases(), nodes.size(), ops.size(), config.size()))
        .append(" sha256=")
        .append(digest);
    emit(out, null, line);
    progress.accept(written);
    return digest;
  }

  private static String b64(byte[] v) {
    return Base64.getEncoder().encodeToString(v);
  }

  private static String trailer(
      long records, long ranges, long leases, long nodes, long ops, long config) {
    return "end records="
        + records
        + " ranges="
        + ranges
        + " leases="
        + leases
        + " nodes="
        + nodes
        + " ops="
        + ops
        + " config="
        + config;
  }

  private static StringBuilder key(StringBuilder line, byte[] key) {
    return line.append('x').append(HEX.formatHex(key));
  }

  private static void emit(OutputStream out, @Nullable MessageDigest sha, StringBuilder line)
      throws IOException {
    line.append('\n');
    byte[] bytes = line.toString().getBytes(StandardCharsets.ISO_8859_1);
    if (sha != null) sha.update(bytes);
    out.write(bytes);
    line.setLength(0);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  // ---------------------------------------------------------------- reading

  /**
   * What {@link #read} found: the dump if the file is valid, else every problem (up to {@link
   * ImportProblem#MAX}) with its line; {@code sha256} is the trailer's checksum (or of the bytes
   * read, when there is no trailer).
   */
  public record Parsed(@Nullable MetaDump dump, List<ImportProblem> problems, String sha256) {
    public boolean ok() {
      return dump != null && problems.isEmpty();
    }
  }

  /**
   * Reads and checks a whole dump: header, every record, the order and tiling of the ranges, the
   * trailer's counts and checksum. Nothing is returned unless all of it holds.
   *
   * @param in read as ISO-8859-1 (the file is US-ASCII; anything else is reported)
   * @param progress called with the number of ranges read, every 10,000 and at the end
   */
  public static Parsed read(BufferedReader in, LongConsumer progress) throws IOException {
    return new Reader(in, progress).read();
  }

  private static final class Reader {
    private final BufferedReader in;
    private final LongConsumer progress;
    private final List<ImportProblem> problems = new ArrayList<>();
    private final MessageDigest sha = sha256();
    private final Base64.Decoder b64 = Base64.getDecoder();
    private long lineNo;

    private String cluster = "";
    private long readVersion;
    private byte @Nullable [] schema;
    private final List<Setting> config = new ArrayList<>();
    private final List<NodeRecord> nodes = new ArrayList<>();
    private final List<OpRecord> ops = new ArrayList<>();
    private final List<CatalogImport.RestoredRange> ranges = new ArrayList<>();
    private final Set<Long> rangeIds = new HashSet<>();
    private final Set<String> names = new HashSet<>();
    private long leases;
    private long records;
    private byte @Nullable [] nextStart = new byte[0]; // null once a range reached the end
    private @Nullable RangeDescriptor pendingLease; // the range line a lease line may follow

    Reader(BufferedReader in, LongConsumer progress) {
      this.in = in;
      this.progress = progress;
    }

    private void problem(String message) {
      if (problems.size() < ImportProblem.MAX) problems.add(new ImportProblem(lineNo, message));
    }

    Parsed read() throws IOException {
      String header = in.readLine();
      lineNo = 1;
      if (header == null) {
        problems.add(new ImportProblem(0, "the file is empty"));
        return new Parsed(null, problems, "");
      }
      if (!header(header)) return new Parsed(null, problems, "");
      digest(header);
      String line;
      String trailer = null;
      while ((line = in.readLine()) != null) {
        lineNo++;
        if (trailer != null) {
          problem("a line after the end line");
          break;
        }
        if (line.startsWith("end ")) {
          trailer = line;
          continue;
        }
        digest(line);
        record(line);
        if (problems.size() >= ImportProblem.MAX) break;
      }
      String digest = HEX.formatHex(sha.digest());
      progress.accept(ranges.size());
      if (trailer == null) {
        problems.add(
            new ImportProblem(
                0,
                "the file is truncated: it ends at line "
                    + lineNo
                    + " without its end line (counts and checksum)"));
        return new Parsed(null, problems, digest);
      }
      if (nextStart != null && problems.isEmpty())
        problems.add(
            new ImportProblem(
                0,
                "the ranges stop at x"
                    + HEX.formatHex(nextStart)
                    + ": no range reaches the end of the keyspace"));
      String expected =
          trailer(records, ranges.size(), leases, nodes.size(), ops.size(), config.size())
              + " sha256="
              + digest;
      if (!trailer.equals(expected)) {
        long trailerLine = lineNo;
        problems.add(
            new ImportProblem(
                trailerLine,
                "the end line does not match the file (edited or truncated): it says '"
                    + trailer
                    + "', the records give '"
                    + expected
                    + "'"));
      }
      if (!problems.isEmpty()) return new Parsed(null, problems, digest);
      return new Parsed(
          new MetaDump(cluster, readVersion, schema, config, nodes, ops, ranges), problems, digest);
    }

    private void digest(String line) {
      sha.update(line.getBytes(StandardCharsets.ISO_8859_1));
      sha.update((byte) '\n');
    }

    private boolean header(String line) {
      String[] f = line.split(" ", -1);
      if (f.length < 2 || !f[0].equals(MAGIC)) {
        problem(
            "not an fdbmeta dump: the first line must start with '" + MAGIC + " " + FORMAT + "'");
        return false;
      }
      if (!f[1].equals(String.valueOf(FORMAT))) {
        problem("dump format " + f[1] + " is not one this build reads (it reads " + FORMAT + ")");
        return false;
      }
      for (int i = 2; i < f.length; i++) {
        if (f[i].startsWith("cluster=")) cluster = f[i].substring(8);
        else if (f[i].startsWith("read_version=")) {
          try {
            readVersion = Long.parseLong(f[i].substring(13));
          } catch (NumberFormatException e) {
            problem("bad read_version '" + f[i].substring(13) + "'");
            return false;
          }
        }
      }
      return true;
    }

    private void record(String line) {
      String[] f = line.split(" ", -1);
      String kind = f[0];
      records++;
      try {
        switch (kind) {
          case "schema" -> {
            fields(f, 2);
            if (schema != null) throw new Bad("a second schema line");
            schema = value(f[1]);
            long version = SchemaVersion.decode(schema);
            if (version < SchemaVersion.OLDEST || version > SchemaVersion.LATEST)
              throw new Bad(
                  "schema version "
                      + version
                      + ": this build imports versions "
                      + SchemaVersion.OLDEST
                      + " to "
                      + SchemaVersion.LATEST);
          }
          case "config" -> {
            fields(f, 3);
            String name = new String(hex(f[1], "config name"), StandardCharsets.UTF_8);
            if (!names.add("config " + name)) throw new Bad("config '" + name + "' appears twice");
            config.add(new Setting(name, value(f[2])));
          }
          case "node" -> {
            fields(f, 3);
            NodeRecord n = NodeRecord.decode(value(f[2]));
            if (!n.nodeId().equals(f[1]))
              throw new Bad("node " + f[1] + " holds the record of " + n.nodeId());
            if (!names.add("node " + n.nodeId()))
              throw new Bad("node " + n.nodeId() + " appears twice");
            nodes.add(n);
          }
          case "op" -> {
            fields(f, 3);
            OpRecord o = OpRecord.decode(value(f[2]));
            if (!o.opId().equals(f[1])) throw new Bad("op " + f[1] + " holds op " + o.opId());
            if (!names.add("op " + o.opId())) throw new Bad("op " + o.opId() + " appears twice");
            ops.add(o);
          }
          case "range" -> range(f);
          case "lease" -> {
            fields(f, 3);
            RangeDescriptor d = pendingLease;
            pendingLease = null;
            long id = number(f[1], "range id");
            if (d == null || d.rangeId() != id)
              throw new Bad("lease of range " + id + " does not follow that range's line");
            Lease lease = Lease.decode(value(f[2]));
            ranges.set(ranges.size() - 1, new CatalogImport.RestoredRange(d, lease));
            leases++;
          }
          default -> throw new Bad("unknown record kind '" + kind + "'");
        }
        if (!kind.equals("range")) {
          if (!kind.equals("lease")) pendingLease = null;
        }
      } catch (Bad e) {
        problem(e.getMessage());
      } catch (MetaException | IllegalArgumentException e) {
        problem(kind + ": " + e.getMessage());
      }
    }

    private void range(String[] f) {
      fields(f, 5);
      pendingLease = null;
      long id = number(f[1], "range id");
      byte[] start = keyToken(f[2]);
      byte[] end = f[3].equals("end") ? null : keyToken(f[3]);
      RangeDescriptor d = RangeDescriptor.decode(value(f[4]));
      if (d.rangeId() != id)
        throw new Bad("range " + id + " holds the descriptor of " + d.rangeId());
      if (!Arrays.equals(d.startKey(), start) || !Arrays.equals(d.endKey(), end))
        throw new Bad("range " + id + ": the bounds on the line differ from its descriptor's");
      if (id == CatalogImport.RESERVED_REST_RANGE_ID)
        throw new Bad("range id " + id + " is reserved for imports");
      if (!rangeIds.add(id)) throw new Bad("range " + id + " appears twice");
      if (nextStart == null) {
        throw new Bad(
            "range " + id + " comes after the range that reaches the end of the keyspace");
      }
      int c = ByteArrayUtil.compareUnsigned(start, nextStart);
      // reported, and the range still taken as the new tiling point, so one gap is one problem
      if (c > 0)
        problem(
            "gap: range "
                + id
                + " starts at "
                + printable(start)
                + ", the previous range ends at "
                + printable(nextStart));
      if (c < 0)
        problem(
            "overlap: range "
                + id
                + " starts at "
                + printable(start)
                + ", before the previous range's end "
                + printable(nextStart));
      nextStart = end;
      ranges.add(new CatalogImport.RestoredRange(d, null));
      pendingLease = d;
      if (ranges.size() % 10_000 == 0) progress.accept(ranges.size());
    }

    private static String printable(byte[] key) {
      return "x" + HEX.formatHex(key);
    }

    private void fields(String[] f, int n) {
      if (f.length != n)
        throw new Bad("a " + f[0] + " line has " + n + " fields, this one has " + f.length);
    }

    private byte[] value(String s) {
      try {
        return b64.decode(s);
      } catch (IllegalArgumentException e) {
        throw new Bad("bad base64 value: " + e.getMessage());
      }
    }

    private static long number(String s, String what) {
      try {
        return Long.parseLong(s);
      } catch (NumberFormatException e) {
        throw new Bad("bad " + what + " '" + s + "'");
      }
    }

    private static byte[] keyToken(String s) {
      if (!s.startsWith("x")) throw new Bad("bad key '" + s + "': keys are 'x' then hex");
      return hex(s.substring(1), "key");
    }

    private static byte[] hex(String s, String what) {
      try {
        return HEX.parseHex(s);
      } catch (IllegalArgumentException e) {
        throw new Bad("bad " + what + " hex '" + s + "'");
      }
    }
  }

  /** A problem with one line, reported with its number. */
  private static final class Bad extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Bad(String message) {
      super(message, null, false, false);
    }
  }
}
