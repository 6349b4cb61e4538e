package io.fdbmeta.layer;

import com.apple.foundationdb.tuple.Tuple;
import java.util.Objects;

/**
 * A storage node: where it is (address, region, zone, rack), what it can take (capacity), what it
 * carries (load), its status, the incarnation of its current process and when its liveness expires.
 * {@code processToken} is the token of the registration that created the current incarnation; a
 * register retried with the same token finds it and does not count again. {@code priorLivenessEnd}
 * is the liveness expiry the previous incarnation had when this one replaced it while it was not
 * DEAD (0 otherwise): that process may still serve until then, so range leases of older
 * incarnations are free for others only after it (see {@link Lease#isFreeForOthers(long, long,
 * NodeRecord)}).
 */
public final class NodeRecord {
  static final int FORMAT = 1;

  private final String nodeId;
  private final String address;
  private final Locality locality;
  private final Capacity capacity;
  private final Load load;
  private final NodeStatus status;
  private final long incarnation;
  private final long livenessExpiresAt;
  private final String processToken;
  private final long priorLivenessEnd;

  /** Where a node sits, for placement: replicas of a range go to distinct racks and zones. */
  public record Locality(String region, String zone, String rack) {
    public Locality {
      Objects.requireNonNull(region, "region");
      Objects.requireNonNull(zone, "zone");
      Objects.requireNonNull(rack, "rack");
    }
  }

  /** What a node offers: disk bytes and CPU cores. */
  public record Capacity(long diskBytes, double cpuCores) {}

  /** What a node carries, as reported by its heartbeats. */
  public record Load(long rangeCount, double requestsPerSecond, long bytesUsed, double cpuUsed) {
    public static final Load NONE = new Load(0, 0, 0, 0);
  }

  public NodeRecord(
      String nodeId,
      String address,
      Locality locality,
      Capacity capacity,
      Load load,
      NodeStatus status,
      long incarnation,
      long livenessExpiresAt) {
    this(nodeId, address, locality, capacity, load, status, incarnation, livenessExpiresAt, "");
  }

  public NodeRecord(
      String nodeId,
      String address,
      Locality locality,
      Capacity capacity,
      Load load,
      NodeStatus status,
      long incarnation,
      long livenessExpiresAt,
      String processToken) {
    this(
        nodeId,
        address,
        locality,
        capacity,
        load,
        status,
        incarnation,
        livenessExpiresAt,
        processToken,
        0);
  }

  public NodeRecord(
      String nodeId,
      String address,
      Locality locality,
      Capacity capacity,
      Load load,
      NodeStatus status,
      long incarnation,
      long livenessExpiresAt,
      String processToken,
      long priorLivenessEnd) {
    this.priorLivenessEnd = priorLivenessEnd;
    this.nodeId = Objects.requireNonNull(nodeId, "nodeId");
    this.address = Objects.requireNonNull(address, "address");
    this.locality = Objects.requireNonNull(locality, "locality");
    this.capacity = Objects.requireNonNull(capacity, "capacity");
    this.load = Objects.requireNonNull(load, "load");
    this.status = Objects.requireNonNull(status, "status");
    this.incarnation = incarnation;
    this.livenessExpiresAt = livenessExpiresAt;
    this.processToken = Objects.requireNonNull(processToken, "processToken");
  }

  public String nodeId() {
    return nodeId;
  }

  public String address() {
    return address;
  }

  public Locality locality() {
    return locality;
  }

  public Capacity capacity() {
    return capacity;
  }

  public Load load() {
    return load;
  }

  public NodeStatus status() {
    return status;
  }

  public long incarnation() {
    return incarnation;
  }

  /** Epoch millis after which, plus the max clock offset, the node counts as dead. */
  public long livenessExpiresAt() {
    return livenessExpiresAt;
  }

  /** The token of the registration that started this incarnation ("" if it predates tokens). */
  public String processToken() {
    return processToken;
  }

  /**
   * The liveness expiry the previous incarnation had when this one replaced it while it was not
   * DEAD, 0 if it was DEAD or there was none.
   */
  public long priorLivenessEnd() {
    return priorLivenessEnd;
  }

  NodeRecord with(NodeStatus newStatus, long newExpiresAt, Load newLoad) {
    return new NodeRecord(
        nodeId,
        address,
        locality,
        capacity,
        newLoad,
        newStatus,
        incarnation,
        newExpiresAt,
        processToken,
        priorLivenessEnd);
  }

  public NodeRecord withStatus(NodeStatus newStatus) {
    return with(newStatus, livenessExpiresAt, load);
  }

  NodeRecord withHeartbeat(long newExpiresAt, Load newLoad, Capacity newCapacity) {
    return new NodeRecord(
        nodeId,
        address,
        locality,
        newCapacity,
        newLoad,
        status,
        incarnation,
        newExpiresAt,
        processToken,
        priorLivenessEnd);
  }

  /**
   * The tuple (FORMAT, nodeId, address, region, zone, rack, diskBytes, cpuCores, rangeCount,
   * requestsPerSecond, bytesUsed, cpuUsed, status, incarnation, livenessExpiresAt, processToken [,
   * priorLivenessEnd if not 0]), packed. Written with TupleBytes because every heartbeat does this;
   * the bytes are Tuple's.
   */
  public byte[] encode() {
    int size =
        TupleBytes.sizeOf(FORMAT)
            + TupleBytes.sizeOf(nodeId)
            + TupleBytes.sizeOf(address)
            + TupleBytes.sizeOf(locality.region)
            + TupleBytes.sizeOf(locality.zone)
            + TupleBytes.sizeOf(locality.rack)
            + TupleBytes.sizeOf(capacity.diskBytes)
            + TupleBytes.sizeOf(load.rangeCount)
            + TupleBytes.sizeOf(load.bytesUsed)
            + 3 * TupleBytes.DOUBLE_SIZE
            + TupleBytes.sizeOf(status.name())
            + TupleBytes.sizeOf(incarnation)
            + TupleBytes.sizeOf(livenessExpiresAt)
            + TupleBytes.sizeOf(processToken)
            + (priorLivenessEnd == 0 ? 0 : TupleBytes.sizeOf(priorLivenessEnd));
    TupleBytes.Writer w =
        new TupleBytes.Writer(new byte[0], size)
            .integer(FORMAT)
            .string(nodeId)
            .string(address)
            .string(locality.region)
            .string(locality.zone)
            .string(locality.rack)
            .integer(capacity.diskBytes)
            .floating(capacity.cpuCores)
            .integer(load.rangeCount)
            .floating(load.requestsPerSecond)
            .integer(load.bytesUsed)
            .floating(load.cpuUsed)
            .string(status.name())
            .integer(incarnation)
            .integer(livenessExpiresAt)
            .string(processToken);
    if (priorLivenessEnd != 0) w.integer(priorLivenessEnd);
    return w.toBytes();
  }

  /**
   * Decodes {@link #encode}'s bytes.
   *
   * @throws MetaException CORRUPT_RECORD if they are not a node record this build can read
   */
  public static NodeRecord decode(byte[] value) {
    try {
      return decodeSimple(value);
    } catch (RuntimeException notSimple) {
      return decodeTuple(value); // anything unusual: Tuple decides, and reports what is wrong
    }
  }

  /** The short path for the usual shape: ASCII strings, longs and doubles, the current format. */
  private static NodeRecord decodeSimple(byte[] value) {
    TupleBytes.Reader r = new TupleBytes.Reader(value);
    if (r.integer() != FORMAT) throw new IllegalArgumentException("format");
    NodeRecord n =
        new NodeRecord(
            r.string(),
            r.string(),
            new Locality(r.string(), r.string(), r.string()),
            new Capacity(r.integer(), r.floating()),
            new Load(r.integer(), r.floating(), r.integer(), r.floating()),
            NodeStatus.valueOf(r.string()),
            r.integer(),
            r.integer(),
            r.atEnd() ? "" : r.string(),
            r.atEnd() ? 0 : r.integer());
    if (!r.atEnd()) throw new IllegalArgumentException("trailing elements");
    return n;
  }

  private static NodeRecord decodeTuple(byte[] value) {
    String what = "node record";
    Tuple t = Records.unpack(value, what, FORMAT);
    try {
      return new NodeRecord(
          t.getString(1),
          t.getString(2),
          new Locality(t.getString(3), t.getString(4), t.getString(5)),
          new Capacity(t.getLong(6), t.getDouble(7)),
          new Load(t.getLong(8), t.getDouble(9), t.getLong(10), t.getDouble(11)),
          NodeStatus.valueOf(t.getString(12)),
          t.getLong(13),
          t.getLong(14),
          t.size() > 15 ? t.getString(15) : "", // fields 15 and 16 were added within format 1
          t.size() > 16 ? t.getLong(16) : 0);
    } catch (RuntimeException e) {
      throw MetaException.of(MetaException.Code.CORRUPT_RECORD, "cannot decode " + what + ": " + e);
    }
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) return true;
    if (!(o instanceof NodeRecord)) return false;
    NodeRecord n = (NodeRecord) o;
    return incarnation == n.incarnation
        && livenessExpiresAt == n.livenessExpiresAt
        && nodeId.equals(n.nodeId)
        && address.equals(n.address)
        && locality.equals(n.locality)
        && capacity.equals(n.capacity)
        && load.equals(n.load)
        && status == n.status
        && processToken.equals(n.processToken)
        && priorLivenessEnd == n.priorLivenessEnd;
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        nodeId,
        address,
        locality,
        capacity,
        load,
        status,
        incarnation,
        livenessExpiresAt,
        processToken,
        priorLivenessEnd);
  }

  @Override
  public String toString() {
    return "Node{"
        + nodeId
        + " "
        + address
        + " "
        + locality
        + " "
        + status
        + " inc="
        + incarnation
        + " expires="
        + livenessExpiresAt
        + "}";
  }
}
