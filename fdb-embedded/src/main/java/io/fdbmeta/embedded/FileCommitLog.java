package io.fdbmeta.embedded;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;
import org.jspecify.annotations.Nullable;

/*
 * A write-ahead log with group commit and checkpoints, kept in one directory.
 *
 * Why group commit. An fsync costs far more than writing a commit's bytes, and the engine calls
 * append() under its commit lock, so append() only queues. One writer thread takes everything
 * queued so far, writes it as one batch record, calls force(false) once, and then completes all of
 * that batch's futures on a separate ack thread (never under a lock, and never on the writer, so a
 * callback that blocks cannot stall durability). While one fsync is in flight the next batch
 * accumulates, so N concurrent committers share one fsync. If a write or fsync fails, nothing later
 * can be trusted (the page cache may have dropped the data), so the log is poisoned: that batch and
 * every later append fail with an IOException carrying the cause.
 *
 * Why segments. A checkpoint must drop the log records it covers without rewriting the log.
 * beginCheckpoint(v) queues a "roll" behind every append so far: the writer starts a new segment,
 * so every record with version <= v lies in older segments, which can later simply be deleted.
 *
 * Segment creation. A segment is written complete (header and first progress record), fsynced
 * under its temporary name wal-<seq>.log.tmp, renamed into place and the directory fsynced, all
 * before anything is appended to it; only then is the previous segment sealed (a progress record
 * with the SEALED flag, fsynced). So every wal-*.log has a valid header: a damaged one is damage,
 * never a half-created segment, and a sealed last segment means that a newer one was lost.
 *
 * Checkpoint protocol (each step leaves a recoverable directory):
 *   1. roll: create wal-(n+1) as above, seal wal-n;
 *   2. write snapshot-v.snap.tmp (every live key at v), fsync it;
 *   3. rename it to snapshot-v.snap (atomic), fsync the directory;
 *   4. delete segments below n+1 and older snapshots.
 * A snapshot records the first segment it does not cover (n+1). Recovery takes the newest
 * snapshot, replays the remaining segments, which must be numbered contiguously from n+1, and
 * only after all of that succeeded deletes its own leftovers: the two temporary names above
 * (never any other file), older snapshots and covered segments. A crash before step 3 leaves the
 * old snapshot plus all its segments; after step 3 the leftovers of step 4 are ignored.
 *
 * What was acknowledged. A batch is one record: [salt u64][length u32][crc32c u32][body]. The salt
 * is random per segment, so bytes from another segment or file never parse as a record. Each batch
 * is written only after the previous one is durable, so a crash can damage only the last record of
 * the last segment, and because a whole batch is one record, a torn batch is dropped whole (none
 * of its commits was acknowledged). To tell that torn write from damage or from a log that lost
 * acknowledged records, each segment holds a progress record: [generation][synced end][synced
 * version][flags] with a crc32c seeded with the salt, in two slots that alternate by generation (a
 * torn slot write leaves the other one). The writer rewrites it before each batch, claiming only
 * what an earlier fsync made durable (the end and last version before this batch), so it rides on
 * this batch's fsync and costs no extra one; close() records the final end. Recovery reads records
 * until one fails its checks and accepts the rest as a torn tail only if it lies in the last
 * segment, at or after the newest synced end, with no valid record after it; it then truncates it
 * durably. Anything else refuses to open, naming the file, the offset and what is wrong, and
 * changes nothing: a header or both progress slots damaged, a file shorter than its synced end
 * (truncated), a bad record before the synced end, in an older segment or followed by a valid
 * record, fewer versions than were synced, a missing segment. A truncation that removes only the
 * last batch of a crashed run is indistinguishable from a torn write and accepted. CommitLogSalvage
 * is the explicit way to open such a directory: it keeps every commit before the first damage and
 * moves the originals into salvage-<time>/. Lengths are checked against the file size before any
 * allocation.
 *
 * File formats (all integers big-endian; segments format 2, snapshots format 1):
 *   LOCK                      the holder's pid, as text; locked with FileChannel.tryLock
 *   wal-<seq, 20 digits>.log  header: "FDBMWAL\0" u32 format, u64 seq, u64 salt, u32 crc32c of
 *                             the preceding 28 bytes; two 32-byte progress slots at 32 and 64:
 *                             u64 generation (slot = generation % 2), u64 synced end offset,
 *                             u64 synced version, u32 flags (1 = sealed), u32 crc32c of the salt
 *                             and the preceding 28 bytes; then batch records from offset 96. A
 *                             batch body is u32 commits, then per commit: u64 version,
 *                             u32 effects, then per effect: u8 kind (1 set, 2 clear), u32 len,
 *                             key, u32 len, value|end. The record crc covers the length field and
 *                             the body. Format 1 segments (no progress slots, records from offset
 *                             32) are still read, with only the checks the records allow; a log
 *                             whose last segment is format 1 continues in a new format 2 segment.
 *   snapshot-<version, 20 digits>.snap
 *                             header: "FDBMSNAP" u32 format, u64 version, u64 first live segment,
 *                             u32 crc32c of the preceding 28 bytes; then entries in key order:
 *                             u32 keyLen, u32 valueLen, key, value, u32 crc32c of all of those;
 *                             then the trailer: u32 0xFFFFFFFF, u64 entry count, u32 crc32c of
 *                             the trailer's first 12 bytes. A snapshot without a trailer is
 *                             corrupt (snapshots only appear by atomic rename once complete).
 */

/**
 * The durable {@link CommitLog}: a write-ahead log with group commit, segments and checkpoints in
 * one directory, which one process at a time may open. See the comment at the top of the source for
 * the formats and the checkpoint protocol.
 *
 * <p>Errors: {@link #open} throws {@link IllegalStateException} if the directory is held by another
 * process or another open log in this JVM. {@link #recover} throws {@link UncheckedIOException} for
 * corrupt content and {@link IOException} for I/O failures; either way nothing has been deleted,
 * and the caller must still {@link #close} the log. A future returned by {@link #append} completes
 * exceptionally with an {@link IOException} (cause attached) once a write or fsync has failed,
 * which also fails every later append, or with an {@link IllegalStateException} after close.
 * Futures complete in version order on the log's ack thread; callbacks that may block should use
 * the {@code *Async} variants with their own executor.
 */
final class FileCommitLog implements CommitLog {
  private static final System.Logger LOG = System.getLogger(FileCommitLog.class.getName());

  static final String LOCK_FILE = "LOCK";

  /** Segment format 2 added the progress records; format 1 segments are still read. */
  static final int SEGMENT_FORMAT = 2;

  static final int LEGACY_SEGMENT_FORMAT = 1;
  static final int SNAPSHOT_FORMAT = 1;
  private static final byte[] SEGMENT_MAGIC = "FDBMWAL\0".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] SNAPSHOT_MAGIC = "FDBMSNAP".getBytes(StandardCharsets.US_ASCII);
  static final int FILE_HEADER_BYTES = 32;
  static final int RECORD_HEADER_BYTES = 16;
  static final int PROGRESS_BYTES = 32;

  /** Where a segment's records start: after its header and its two progress records. */
  static final long SEGMENT_DATA_START = FILE_HEADER_BYTES + 2 * PROGRESS_BYTES;

  private static final int SEALED = 1;

  /** Upper bound on one batch record; a single commit is far below it (10 MB transactions). */
  static final int MAX_RECORD_BYTES = 256 << 20;

  /** The writer stops adding commits to a batch once it is this big. */
  private static final int BATCH_TARGET_BYTES = 4 << 20;

  private static final int MAX_SNAPSHOT_KEY_BYTES = 1 << 20;
  private static final int MAX_SNAPSHOT_VALUE_BYTES = 16 << 20;
  private static final int SNAPSHOT_END = -1;
  private static final byte KIND_SET = 1;
  private static final byte KIND_CLEAR = 2;
  private static final Pattern SEGMENT_NAME = Pattern.compile("wal-(\\d{20})\\.log");
  private static final Pattern SNAPSHOT_NAME = Pattern.compile("snapshot-(\\d{20})\\.snap");

  /** The temporary names this log writes; recovery deletes only these. */
  private static final Pattern OWN_TEMPORARY =
      Pattern.compile("(wal-\\d{20}\\.log|snapshot-\\d{20}\\.snap)\\.tmp");

  /**
   * Directories open in this JVM: checked before touching LOCK, because closing any channel to a
   * file drops every POSIX lock this process holds on it, including the first opener's.
   */
  private static final Set<Path> OPEN_DIRS = ConcurrentHashMap.newKeySet();

  private final Path dir;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final ExecutorService acks;
  private volatile @Nullable Thread ackThread;

  private final ReentrantLock mu = new ReentrantLock();
  private final Condition work = mu.newCondition();
  // Guarded by mu.
  private final ArrayDeque<Object> queue = new ArrayDeque<>();
  private boolean recovered;
  private boolean closing;
  private boolean closed;
  private @Nullable IOException poison;
  private long lastVersion;
  private long appendedBytes;
  private long checkpointedBytes;

  private @Nullable Thread writer;
  // Owned by the writer thread once it starts (set up by recover before that).
  private @Nullable FileChannel segment;
  private long segmentSeq;
  private long segmentSalt;
  private long segmentEnd;
  private long progressGeneration; // of the newest progress record in the current segment
  private long progressEnd; // the synced end that record claims
  private long syncedVersion; // the version of the last commit an fsync made durable
  private @Nullable ByteBuffer batchBuffer;

  private FileCommitLog(Path dir, FileChannel lockChannel, FileLock lock) {
    this.dir = dir;
    this.lockChannel = lockChannel;
    this.lock = lock;
    this.acks =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "fdb-embedded-wal-ack " + dir);
              t.setDaemon(true);
              ackThread = t;
              return t;
            });
  }

  /**
   * Opens (creating if needed) the log in {@code dir} and locks the directory. Call {@link
   * #recover} next.
   *
   * @throws IllegalStateException if another process, or another open log in this JVM, holds the
   *     directory
   * @throws UncheckedIOException if the directory cannot be created or locked
   */
  static FileCommitLog open(Path dir) {
    Path real;
    try {
      Files.createDirectories(dir);
      real = dir.toRealPath();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create fdb-embedded directory " + dir + ": " + e, e);
    }
    if (!OPEN_DIRS.add(real)) {
      throw inUseHere(real);
    }
    @Nullable FileChannel ch = null;
    try {
      ch =
          FileChannel.open(
              real.resolve(LOCK_FILE),
              StandardOpenOption.CREATE,
              StandardOpenOption.READ,
              StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = ch.tryLock();
      } catch (OverlappingFileLockException e) {
        throw inUseHere(real);
      }
      if (lock == null) {
        String pid = readPid(ch);
        throw new IllegalStateException(
            "fdb-embedded directory "
                + real
                + " is in use by another process"
                + (pid == null ? "" : " (pid " + pid + ")")
                + "; only one process may open it at a time");
      }
      ch.truncate(0);
      ch.write(
          ByteBuffer.wrap(
              (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)),
          0);
      ch.force(false);
      return new FileCommitLog(real, ch, lock);
    } catch (IOException | RuntimeException e) {
      OPEN_DIRS.remove(real);
      closeQuietly(ch);
      if (e instanceof IOException io) {
        throw new UncheckedIOException(
            "cannot lock fdb-embedded directory " + real + ": " + io, io);
      }
      throw (RuntimeException) e;
    }
  }

  /**
   * Makes a directory that recovery refuses open again; see {@link CommitLogSalvage}.
   *
   * @throws IllegalStateException if the directory is in use
   * @throws IOException if it cannot be salvaged (a damaged snapshot) or on I/O failure
   */
  static EmbeddedFdb.SalvageReport salvage(Path dir) throws IOException {
    try (FileCommitLog log = open(dir)) {
      return CommitLogSalvage.run(log.dir);
    }
  }

  private static IllegalStateException inUseHere(Path dir) {
    return new IllegalStateException(
        "fdb-embedded directory "
            + dir
            + " is already open in this process (pid "
            + ProcessHandle.current().pid()
            + "); close it first, only one process may open it at a time");
  }

  private static @Nullable String readPid(FileChannel ch) {
    try {
      ByteBuffer b = ByteBuffer.allocate(32);
      ch.read(b, 0);
      String s = new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII).trim();
      return s.matches("\\d{1,19}") ? s : null;
    } catch (IOException e) {
      return null;
    }
  }

  // ---------------------------------------------------------------------------------- recovery

  @Override
  public long recover(RecoverySink sink) throws IOException {
    mu.lock();
    try {
      if (closing) throw new IllegalStateException("commit log in " + dir + " is closed");
      if (recovered) throw new IllegalStateException("recover may be called only once");
      recovered = true;
    } finally {
      mu.unlock();
    }
    Listing files = list(dir);
    long snapshotVersion = 0;
    long firstLive = 1;
    if (!files.snapshots.isEmpty()) {
      var newest = files.snapshots.lastEntry();
      firstLive = loadSnapshot(newest.getValue(), newest.getKey(), sink);
      snapshotVersion = newest.getKey();
    }

    long[] last = {0}; // the last version read from the log, to check versions only increase
    long expected = firstLive;
    var live = new ArrayList<>(files.segments.tailMap(firstLive).entrySet());
    long bytes = 0;
    @Nullable Scan end = null;
    for (int i = 0; i < live.size(); i++) {
      var e = live.get(i);
      if (e.getKey() != expected) {
        throw corrupt(
            dir.resolve(segmentName(expected)),
            "log segment is missing (found " + e.getValue().getFileName() + " after it)");
      }
      expected++;
      end =
          scan(e.getValue(), e.getKey(), i == live.size() - 1, false, snapshotVersion, last, sink);
      if (end.damage != null) throw corrupt(end.path, end.damage);
      bytes += end.goodEnd - end.dataStart;
    }
    if (live.isEmpty() && !files.snapshots.isEmpty()) {
      // The roll made this segment durable before the snapshot existed; only deletion loses it.
      throw corrupt(dir.resolve(segmentName(firstLive)), "log segment is missing");
    }

    // Only now that everything replayed: drop our own leftovers of a crash.
    for (Path tmp : files.ownTemporaries) Files.deleteIfExists(tmp);
    for (Path old : files.snapshots.headMap(snapshotVersion).values()) Files.deleteIfExists(old);
    for (Path covered : files.segments.headMap(firstLive).values()) Files.deleteIfExists(covered);
    syncedVersion = last[0];
    if (end == null) {
      createSegment(firstLive);
    } else {
      continueSegment(end);
    }

    long recoveredVersion = Math.max(snapshotVersion, last[0]);
    mu.lock();
    try {
      lastVersion = recoveredVersion;
      appendedBytes = bytes;
      Thread t = new Thread(this::runWriter, "fdb-embedded-wal-writer " + dir);
      t.setDaemon(true);
      writer = t;
      t.start();
    } finally {
      mu.unlock();
    }
    return recoveredVersion;
  }

  /** The files of a log directory that this log knows; every other file is left alone. */
  record Listing(
      TreeMap<Long, Path> snapshots, TreeMap<Long, Path> segments, List<Path> ownTemporaries) {}

  static Listing list(Path dir) throws IOException {
    var listing = new Listing(new TreeMap<>(), new TreeMap<>(), new ArrayList<>());
    try (var files = Files.list(dir)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        String name = p.getFileName().toString();
        Matcher m;
        if (OWN_TEMPORARY.matcher(name).matches()) {
          listing.ownTemporaries.add(p); // an unfinished checkpoint or segment creation
        } else if ((m = SNAPSHOT_NAME.matcher(name)).matches()) {
          listing.snapshots.put(Long.parseLong(m.group(1)), p);
        } else if ((m = SEGMENT_NAME.matcher(name)).matches()) {
          listing.segments.put(Long.parseLong(m.group(1)), p);
        }
      }
    }
    return listing;
  }

  /**
   * Makes the last segment, as recovered, the one appends go to: cuts off its torn tail and syncs
   * what was read (a crashed process may have left it only in the page cache). A legacy segment
   * (format 1, without progress records) is left as it is and a new segment is started instead.
   */
  private void continueSegment(Scan end) throws IOException {
    FileChannel ch = FileChannel.open(end.path, StandardOpenOption.READ, StandardOpenOption.WRITE);
    try {
      if (end.tornTail) {
        LOG.log(
            System.Logger.Level.WARNING,
            "fdb-embedded: discarding "
                + (end.size - end.goodEnd)
                + " bytes of a write interrupted by a crash at the end of "
                + end.path
                + " (after offset "
                + end.goodEnd
                + ", beyond what was synced, so never acknowledged)");
        ch.truncate(end.goodEnd);
      }
      ch.force(true); // so stale bytes cannot reappear after later writes at goodEnd
    } catch (IOException | RuntimeException e) {
      closeQuietly(ch);
      throw e;
    }
    Progress p = end.progress;
    if (p == null) {
      ch.close();
      createSegment(end.seq + 1);
      return;
    }
    segment = ch;
    segmentSeq = end.seq;
    segmentSalt = end.salt;
    segmentEnd = end.goodEnd;
    progressGeneration = p.generation;
    progressEnd = p.syncedEnd;
  }

  /** A segment's progress record: how far it was synced, and whether a newer segment follows. */
  record Progress(long generation, long syncedEnd, long syncedVersion, boolean sealed) {}

  /** What {@link #scan} found in one segment. */
  static final class Scan {
    final Path path;
    final long seq;
    long salt;
    long dataStart = SEGMENT_DATA_START;
    long size;
    @Nullable Progress progress;

    /** Salvage only: the header was damaged and was reconstructed from the first record. */
    boolean headerRebuilt;

    /** Where the last valid record ends. */
    long goodEnd;

    /** The version of the last valid commit, or of the snapshot or segment before it. */
    long lastVersion;

    /** The bytes after goodEnd are a write torn by a crash, never acknowledged. */
    boolean tornTail;

    /** What is wrong, with its offset; null if the segment is usable (once a torn tail is cut). */
    @Nullable String damage;

    Scan(Path path, long seq) {
      this.path = path;
      this.seq = seq;
    }
  }

  /**
   * Reads one segment, replaying its records with version > {@code after} into {@code sink}, and
   * says where its valid records end and whether (and where) it is damaged. Only bytes that were
   * provably never acknowledged count as a torn tail: they must lie in the last segment, after the
   * synced end its progress record names, with no valid record after them. With {@code
   * rebuildHeader} (salvage), a damaged header is reconstructed from the first record if it can be.
   */
  static Scan scan(
      Path path,
      long seq,
      boolean isLast,
      boolean rebuildHeader,
      long after,
      long[] last,
      RecoverySink sink)
      throws IOException {
    Scan s = new Scan(path, seq);
    s.lastVersion = Math.max(last[0], after);
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      s.size = ch.size();
      s.damage = readSegmentHeader(ch, s);
      if (s.damage != null) {
        if (!rebuildHeader || !rebuildHeader(ch, s)) return s;
        s.damage = null;
      }
      if (s.dataStart == SEGMENT_DATA_START) {
        s.progress = readProgress(ch, s.salt);
        if (s.progress == null && !rebuildHeader) {
          s.damage = "both progress records (offsets 32 and 64) are damaged";
          return s;
        }
      }
      long pos = s.dataStart;
      while (pos < s.size) {
        byte[] body = readRecord(ch, pos, s.size, s.salt);
        if (body == null) break;
        String bad = replayBatch(pos, body, after, last, sink);
        if (bad != null) {
          s.damage = bad;
          break;
        }
        pos += RECORD_HEADER_BYTES + body.length;
        s.lastVersion = Math.max(last[0], after);
      }
      s.goodEnd = pos;
      if (s.damage == null) s.damage = judgeEnd(ch, s, isLast);
    }
    return s;
  }

  /** Says what is wrong after the last valid record of a segment, if anything. */
  private static @Nullable String judgeEnd(FileChannel ch, Scan s, boolean isLast)
      throws IOException {
    Progress p = s.progress;
    long synced = p == null ? s.dataStart : p.syncedEnd;
    String valid = "valid records end at offset " + s.goodEnd + " (version " + s.lastVersion + ")";
    if (s.size < synced) {
      return "the file is "
          + s.size
          + " bytes long but its first "
          + synced
          + " bytes were synced (commits up to version "
          + p.syncedVersion
          + " were acknowledged): it was truncated; "
          + valid;
    }
    if (s.goodEnd < s.size) {
      String bad = "the log record at offset " + s.goodEnd + " is damaged";
      if (validRecordAfter(ch, s.goodEnd + 1, s.size, s.salt)) {
        return bad + " and followed by valid records; refusing to drop committed data";
      }
      if (s.goodEnd < synced) {
        return bad + ", before offset " + synced + " up to which the segment was synced";
      }
      if (!isLast) return bad + " in a segment that a newer segment follows";
      s.tornTail = true;
    }
    if (p != null && s.lastVersion < p.syncedVersion) {
      return valid + " but commits up to version " + p.syncedVersion + " were synced";
    }
    if (p != null && p.sealed && isLast) {
      return "a newer segment, " + segmentName(s.seq + 1) + ", was started but is missing";
    }
    return null;
  }

  /** Fills in the salt and data start from the header; returns what is wrong with it, if any. */
  private static @Nullable String readSegmentHeader(FileChannel ch, Scan s) throws IOException {
    ByteBuffer h = ByteBuffer.allocate(FILE_HEADER_BYTES);
    if (readFully(ch, h, 0) < FILE_HEADER_BYTES || !headerCrcOk(h)) {
      return "the segment header (offset 0) is damaged: its checksum does not match";
    }
    String wrong = checkHeader(h, SEGMENT_MAGIC, "log segment", SEGMENT_FORMAT);
    if (wrong != null) return wrong;
    if (h.getLong(12) != s.seq) return "log segment header says it is segment " + h.getLong(12);
    s.dataStart = h.getInt(8) == LEGACY_SEGMENT_FORMAT ? FILE_HEADER_BYTES : SEGMENT_DATA_START;
    s.salt = h.getLong(20);
    return null;
  }

  /** Salvage: takes the salt from a valid first record, trying both formats' data offsets. */
  private static boolean rebuildHeader(FileChannel ch, Scan s) throws IOException {
    for (long start : new long[] {SEGMENT_DATA_START, FILE_HEADER_BYTES}) {
      ByteBuffer salt = ByteBuffer.allocate(8);
      if (readFully(ch, salt, start) < 8) continue;
      if (readRecord(ch, start, s.size, salt.getLong(0)) != null) {
        s.salt = salt.getLong(0);
        s.dataStart = start;
        s.headerRebuilt = true;
        return true;
      }
    }
    return false;
  }

  /** The newest valid one of a segment's two progress records, or null if neither is valid. */
  private static @Nullable Progress readProgress(FileChannel ch, long salt) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(2 * PROGRESS_BYTES);
    if (readFully(ch, b, FILE_HEADER_BYTES) < 2 * PROGRESS_BYTES) return null;
    @Nullable Progress best = null;
    for (int slot = 0; slot < 2; slot++) {
      ByteBuffer r = b.duplicate().position(slot * PROGRESS_BYTES).slice();
      if (r.getInt(PROGRESS_BYTES - 4) != progressCrc(salt, r)) continue;
      var p = new Progress(r.getLong(0), r.getLong(8), r.getLong(16), (r.getInt(24) & SEALED) != 0);
      if (slotOffset(p.generation) == FILE_HEADER_BYTES + slot * PROGRESS_BYTES
          && (best == null || p.generation > best.generation)) {
        best = p;
      }
    }
    return best;
  }

  /** The crc32c of a progress record's first 28 bytes, seeded with the segment's salt. */
  private static int progressCrc(long salt, ByteBuffer record) {
    CRC32C crc = new CRC32C();
    crc.update(ByteBuffer.allocate(8).putLong(0, salt));
    crc.update(record.duplicate().position(0).limit(PROGRESS_BYTES - 4));
    return (int) crc.getValue();
  }

  /** Where progress record {@code generation} goes: the two slots alternate. */
  private static long slotOffset(long generation) {
    return FILE_HEADER_BYTES + (generation & 1) * PROGRESS_BYTES;
  }

  /**
   * Writes progress record {@code generation} of a segment (not synced: it rides on the next
   * fsync). It must only claim bytes and versions that an earlier fsync already made durable.
   */
  private static void writeProgress(
      FileChannel ch, long salt, long generation, long syncedEnd, long version, boolean sealed)
      throws IOException {
    ByteBuffer r = ByteBuffer.allocate(PROGRESS_BYTES);
    r.putLong(generation).putLong(syncedEnd).putLong(version).putInt(sealed ? SEALED : 0);
    r.putInt(PROGRESS_BYTES - 4, progressCrc(salt, r));
    writeFully(ch, r.clear(), slotOffset(generation));
  }

  /**
   * Parses one batch and hands the effects of commits after {@code after} to the sink; returns what
   * is wrong with it, if anything.
   */
  private static @Nullable String replayBatch(
      long pos, byte[] body, long after, long[] last, RecoverySink sink) {
    ByteBuffer b = ByteBuffer.wrap(body);
    try {
      int commits = b.getInt();
      for (int c = 0; c < commits; c++) {
        long version = b.getLong();
        if (version <= last[0]) {
          return "log record at offset " + pos + " has version " + version + " after " + last[0];
        }
        last[0] = version;
        boolean apply = version > after;
        int effects = b.getInt();
        for (int i = 0; i < effects; i++) {
          byte kind = b.get();
          byte[] key = bytes(b);
          byte[] other = bytes(b);
          if (kind != KIND_SET && kind != KIND_CLEAR)
            return "log record at offset " + pos + " has unknown effect kind " + kind;
          if (!apply) continue;
          if (kind == KIND_SET) sink.set(key, other);
          else sink.clearRange(key, other);
        }
      }
      return b.hasRemaining() ? "log record at offset " + pos + " has trailing bytes" : null;
    } catch (java.nio.BufferUnderflowException | IllegalArgumentException e) {
      return "log record at offset " + pos + " is malformed";
    }
  }

  private static byte[] bytes(ByteBuffer b) {
    int n = b.getInt();
    if (n < 0 || n > b.remaining()) throw new IllegalArgumentException("length " + n);
    byte[] out = new byte[n];
    b.get(out);
    return out;
  }

  /** The body of a valid record at {@code pos}, or null if there is none there. */
  private static byte @Nullable [] readRecord(FileChannel ch, long pos, long size, long salt)
      throws IOException {
    if (size - pos < RECORD_HEADER_BYTES) return null;
    ByteBuffer h = ByteBuffer.allocate(RECORD_HEADER_BYTES);
    if (readFully(ch, h, pos) < RECORD_HEADER_BYTES) return null;
    int len = h.getInt(8);
    if (h.getLong(0) != salt
        || len < 4
        || len > MAX_RECORD_BYTES
        || len > size - pos - RECORD_HEADER_BYTES) {
      return null;
    }
    ByteBuffer body = ByteBuffer.allocate(len);
    if (readFully(ch, body, pos + RECORD_HEADER_BYTES) < len) return null;
    CRC32C crc = new CRC32C();
    crc.update(h.array(), 8, 4);
    crc.update(body.array());
    return (int) crc.getValue() == h.getInt(12) ? body.array() : null;
  }

  /** Whether any valid record starts in [from, size): tells a torn tail from mid-log corruption. */
  private static boolean validRecordAfter(FileChannel ch, long from, long size, long salt)
      throws IOException {
    byte[] s = ByteBuffer.allocate(8).putLong(salt).array();
    ByteBuffer buf = ByteBuffer.allocate(1 << 16);
    for (long start = from; start + RECORD_HEADER_BYTES <= size; start += buf.capacity() - 7) {
      buf.clear();
      int n = readFully(ch, buf, start);
      byte[] a = buf.array();
      for (int i = 0; i + 8 <= n; i++) {
        if (a[i] == s[0] && matches(a, i, s) && readRecord(ch, start + i, size, salt) != null)
          return true;
      }
    }
    return false;
  }

  private static boolean matches(byte[] a, int at, byte[] s) {
    for (int j = 0; j < s.length; j++) if (a[at + j] != s[j]) return false;
    return true;
  }

  /** Streams a snapshot into the sink and returns the first segment it does not cover. */
  static long loadSnapshot(Path path, long version, RecoverySink sink) throws IOException {
    long size = Files.size(path);
    try (InputStream raw = Files.newInputStream(path);
        DataInputStream in = new DataInputStream(new BufferedInputStream(raw, 1 << 16))) {
      byte[] hb = new byte[FILE_HEADER_BYTES];
      in.readFully(hb);
      ByteBuffer h = ByteBuffer.wrap(hb);
      if (!headerCrcOk(h)) throw corrupt(path, "snapshot header is damaged");
      String wrong = checkHeader(h, SNAPSHOT_MAGIC, "snapshot", SNAPSHOT_FORMAT);
      if (wrong != null) throw corrupt(path, wrong);
      if (h.getLong(12) != version)
        throw corrupt(path, "snapshot header says version " + h.getLong(12));
      long firstLive = h.getLong(20);
      long pos = FILE_HEADER_BYTES;
      long count = 0;
      CRC32C crc = new CRC32C();
      byte[] lens = new byte[8];
      while (true) {
        in.readFully(lens, 0, 4);
        int keyLen = ByteBuffer.wrap(lens).getInt(0);
        if (keyLen == SNAPSHOT_END) {
          long n = in.readLong();
          int stored = in.readInt();
          crc.reset();
          crc.update(ByteBuffer.allocate(12).putInt(SNAPSHOT_END).putLong(n).array());
          if ((int) crc.getValue() != stored || n != count || pos + 16 != size) {
            throw corrupt(path, "snapshot trailer is damaged");
          }
          return firstLive;
        }
        in.readFully(lens, 4, 4);
        int valueLen = ByteBuffer.wrap(lens).getInt(4);
        if (keyLen < 0
            || keyLen > MAX_SNAPSHOT_KEY_BYTES
            || valueLen < 0
            || valueLen > MAX_SNAPSHOT_VALUE_BYTES
            || 8L + keyLen + valueLen + 4 > size - pos) {
          throw corrupt(
              path,
              "snapshot entry at offset " + pos + " has bad lengths " + keyLen + "/" + valueLen);
        }
        byte[] key = new byte[keyLen];
        byte[] value = new byte[valueLen];
        in.readFully(key);
        in.readFully(value);
        crc.reset();
        crc.update(lens);
        crc.update(key);
        crc.update(value);
        if ((int) crc.getValue() != in.readInt())
          throw corrupt(path, "snapshot entry at offset " + pos + " fails its checksum");
        sink.set(key, value);
        count++;
        pos += 8L + keyLen + valueLen + 4;
      }
    } catch (EOFException e) {
      throw corrupt(path, "snapshot is truncated");
    }
  }

  private static boolean headerCrcOk(ByteBuffer h) {
    CRC32C crc = new CRC32C();
    crc.update(h.array(), 0, FILE_HEADER_BYTES - 4);
    return (int) crc.getValue() == h.getInt(FILE_HEADER_BYTES - 4);
  }

  /** Checks a file header's magic and format version (1 to {@code newest}); null if fine. */
  private static @Nullable String checkHeader(ByteBuffer h, byte[] magic, String what, int newest) {
    for (int i = 0; i < magic.length; i++) {
      if (h.get(i) != magic[i]) return "not an fdb-embedded " + what + " (bad magic)";
    }
    int format = h.getInt(8);
    if (format < 1 || format > newest) {
      return what + " has format version " + format + "; this build reads 1 to " + newest;
    }
    return null;
  }

  /**
   * The error for damaged content, with what to do about it. Recovery changes nothing before it
   * throws; salvage keeps what is readable of a log and backs up the rest.
   */
  static UncheckedIOException corrupt(Path path, String what) {
    String remedy =
        SNAPSHOT_NAME.matcher(path.getFileName().toString()).matches()
            ? "salvage cannot rebuild a snapshot: restore the directory from a backup"
            : "to open the store with what can be read, run `fdbmeta store salvage --dir "
                + path.getParent()
                + "` (or EmbeddedFdb.salvage), which backs up the damaged files first";
    String message =
        "fdb-embedded data is corrupt: " + path + ": " + what + ". Nothing was changed; " + remedy;
    return new UncheckedIOException(message, new IOException(message));
  }

  // ------------------------------------------------------------------------------------ append

  @Override
  public CompletableFuture<Void> append(long version, List<Effect> effects) {
    long size = 12;
    for (Effect e : effects) size += 9L + e.key().length + e.valueOrEnd().length;
    if (size > MAX_RECORD_BYTES - 4) {
      throw new IllegalArgumentException(
          "commit at version " + version + " is too large to log: " + size + " bytes");
    }
    int bytes = (int) size;
    mu.lock();
    try {
      if (closing)
        return CompletableFuture.failedFuture(
            new IllegalStateException("commit log in " + dir + " is closed"));
      if (!recovered) throw new IllegalStateException("recover must be called before append");
      if (version <= lastVersion) {
        throw new IllegalArgumentException(
            "version " + version + " is not after the last logged version " + lastVersion);
      }
      if (poison != null) return CompletableFuture.failedFuture(poison);
      lastVersion = version;
      appendedBytes += bytes;
      var p = new Pending(version, effects, bytes, new CompletableFuture<>());
      queue.add(p);
      if (queue.size() == 1) work.signal();
      return p.future;
    } finally {
      mu.unlock();
    }
  }

  private record Pending(
      long version, List<Effect> effects, int bytes, CompletableFuture<Void> future) {}

  private record Roll(CompletableFuture<Long> firstSegment) {}

  @Override
  public long bytesSinceCheckpoint() {
    mu.lock();
    try {
      return appendedBytes - checkpointedBytes;
    } finally {
      mu.unlock();
    }
  }

  private void runWriter() {
    while (true) {
      List<Pending> batch = new ArrayList<>();
      Roll roll = null;
      mu.lock();
      try {
        while (queue.isEmpty() && !closing) work.awaitUninterruptibly();
        if (queue.isEmpty()) return; // closing, and everything is flushed
        if (queue.peekFirst() instanceof Roll r) {
          queue.pollFirst();
          roll = r;
        } else {
          long size = 4;
          while (queue.peekFirst() instanceof Pending p
              && (batch.isEmpty() || size + p.bytes <= BATCH_TARGET_BYTES)) {
            queue.pollFirst();
            batch.add(p);
            size += p.bytes;
          }
        }
      } finally {
        mu.unlock();
      }
      try {
        if (roll != null) {
          createSegment(segmentSeq + 1);
          long seq = segmentSeq;
          Roll r = roll;
          acks.execute(() -> r.firstSegment.complete(seq));
        } else {
          writeBatch(batch);
          acks.execute(() -> batch.forEach(p -> p.future.complete(null)));
        }
      } catch (Throwable t) {
        IOException failure =
            new IOException(
                "fdb-embedded commit log in "
                    + dir
                    + " failed; it accepts no further commits: "
                    + t,
                t);
        List<Object> failed = new ArrayList<>(batch);
        if (roll != null) failed.add(roll);
        mu.lock();
        try {
          poison = failure;
          failed.addAll(queue);
          queue.clear();
        } finally {
          mu.unlock();
        }
        acks.execute(() -> failed.forEach(o -> fail(o, failure)));
      }
    }
  }

  private static void fail(Object item, Throwable failure) {
    if (item instanceof Pending p) p.future.completeExceptionally(failure);
    else if (item instanceof Roll r) r.firstSegment.completeExceptionally(failure);
  }

  private void writeBatch(List<Pending> batch) throws IOException {
    int len = 4;
    for (Pending p : batch) len += p.bytes;
    int total = RECORD_HEADER_BYTES + len;
    ByteBuffer b = batchBuffer;
    if (b == null || b.capacity() < total) b = ByteBuffer.allocateDirect(Math.max(total, 1 << 16));
    // Keep a modest buffer between batches; drop one grown for a huge commit.
    batchBuffer = b.capacity() <= 2 * BATCH_TARGET_BYTES ? b : null;
    b.clear();
    b.putLong(segmentSalt).putInt(len).putInt(0);
    b.putInt(batch.size());
    for (Pending p : batch) {
      b.putLong(p.version).putInt(p.effects.size());
      for (Effect e : p.effects) {
        b.put(e.isSet() ? KIND_SET : KIND_CLEAR);
        b.putInt(e.key().length).put(e.key());
        b.putInt(e.valueOrEnd().length).put(e.valueOrEnd());
      }
    }
    b.flip();
    CRC32C crc = new CRC32C();
    crc.update(b.duplicate().position(8).limit(12)); // the length field
    crc.update(b.duplicate().position(RECORD_HEADER_BYTES)); // the body
    b.putInt(12, (int) crc.getValue());
    FileChannel ch = segment;
    if (progressEnd != segmentEnd) recordProgress(ch, false); // rides on this batch's fsync
    long pos = segmentEnd;
    while (b.hasRemaining()) pos += ch.write(b, pos);
    ch.force(false);
    segmentEnd = pos;
    syncedVersion = batch.get(batch.size() - 1).version;
  }

  /** Records in the current segment that everything written so far was synced. */
  private void recordProgress(FileChannel ch, boolean sealed) throws IOException {
    writeProgress(ch, segmentSalt, ++progressGeneration, segmentEnd, syncedVersion, sealed);
    progressEnd = segmentEnd;
  }

  /**
   * Creates segment {@code seq} and makes it current. The segment is complete and durable under its
   * final name before anything is written to it, and only then is the previous one sealed: so a
   * segment file always has a valid header, and a sealed last segment means a lost newer one.
   */
  private void createSegment(long seq) throws IOException {
    long salt = ThreadLocalRandom.current().nextLong();
    Path path = writeSegmentFile(dir, seq, salt, syncedVersion, null, 0, 0);
    FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
    FileChannel previous = segment;
    segment = ch;
    if (previous != null) { // the segment fields still describe it
      try {
        recordProgress(previous, true);
        previous.force(false);
      } finally {
        previous.close();
      }
    }
    segmentSeq = seq;
    segmentSalt = salt;
    segmentEnd = SEGMENT_DATA_START;
    progressGeneration = 1;
    progressEnd = SEGMENT_DATA_START;
  }

  /**
   * Writes segment {@code seq} with the records in bytes [from, to) of {@code records} (none if
   * null) under a temporary name, syncs it, renames it into place and syncs the directory.
   */
  static Path writeSegmentFile(
      Path dir,
      long seq,
      long salt,
      long version,
      @Nullable FileChannel records,
      long from,
      long to)
      throws IOException {
    Path path = dir.resolve(segmentName(seq));
    Path tmp = dir.resolve(segmentName(seq) + ".tmp");
    try (FileChannel ch =
        FileChannel.open(
            tmp,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      ByteBuffer h = ByteBuffer.allocate(FILE_HEADER_BYTES);
      h.put(SEGMENT_MAGIC).putInt(SEGMENT_FORMAT).putLong(seq).putLong(salt);
      putHeaderCrc(h);
      writeFully(ch, h, 0);
      writeFully(ch, ByteBuffer.allocate(2 * PROGRESS_BYTES), FILE_HEADER_BYTES);
      long end = SEGMENT_DATA_START + (to - from);
      writeProgress(ch, salt, 1, end, version, false);
      ch.position(SEGMENT_DATA_START);
      for (long at = from; records != null && at < to; ) at += records.transferTo(at, to - at, ch);
      ch.force(true);
    }
    Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    fsyncDirectory(dir);
    return path;
  }

  private static void putHeaderCrc(ByteBuffer h) {
    CRC32C crc = new CRC32C();
    crc.update(h.array(), 0, FILE_HEADER_BYTES - 4);
    h.putInt((int) crc.getValue());
    h.flip();
  }

  // -------------------------------------------------------------------------------- checkpoint

  @Override
  public Checkpoint beginCheckpoint(long version) {
    mu.lock();
    try {
      if (!recovered || closing)
        throw new IllegalStateException("commit log in " + dir + " is not open");
      if (version < lastVersion) {
        throw new IllegalArgumentException(
            "checkpoint version " + version + " is before the last logged version " + lastVersion);
      }
      lastVersion = version;
      Roll roll = new Roll(new CompletableFuture<>());
      if (poison != null) roll.firstSegment.completeExceptionally(poison);
      else {
        queue.add(roll);
        work.signal();
      }
      long covered = appendedBytes;
      return state -> writeCheckpoint(version, roll.firstSegment, covered, state);
    } finally {
      mu.unlock();
    }
  }

  private void writeCheckpoint(
      long version, CompletableFuture<Long> rolled, long coveredBytes, StateScanner state)
      throws IOException {
    long firstLive;
    try {
      firstLive = rolled.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting to checkpoint " + dir);
    } catch (ExecutionException e) {
      throw new IOException(
          "cannot checkpoint " + dir + " at version " + version + ": the log failed", e.getCause());
    }
    Path target = dir.resolve(snapshotName(version));
    Path tmp = dir.resolve(snapshotName(version) + ".tmp");
    try (FileChannel ch =
            FileChannel.open(
                tmp,
                StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE);
        DataOutputStream out =
            new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16))) {
      ByteBuffer h = ByteBuffer.allocate(FILE_HEADER_BYTES);
      h.put(SNAPSHOT_MAGIC).putInt(SNAPSHOT_FORMAT).putLong(version).putLong(firstLive);
      putHeaderCrc(h);
      out.write(h.array());
      CRC32C crc = new CRC32C();
      ByteBuffer lens = ByteBuffer.allocate(8);
      long[] count = {0};
      state.scan(
          (key, value) -> {
            lens.clear();
            lens.putInt(key.length).putInt(value.length);
            crc.reset();
            crc.update(lens.array());
            crc.update(key);
            crc.update(value);
            out.write(lens.array());
            out.write(key);
            out.write(value);
            out.writeInt((int) crc.getValue());
            count[0]++;
          });
      ByteBuffer trailer = ByteBuffer.allocate(12).putInt(SNAPSHOT_END).putLong(count[0]);
      crc.reset();
      crc.update(trailer.array());
      out.write(trailer.array());
      out.writeInt((int) crc.getValue());
      out.flush();
      ch.force(true);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    fsyncDirectory(dir);
    // The snapshot is durable: what it covers can go. Leftovers from a crash here are ignored.
    try (var files = Files.list(dir)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        String name = p.getFileName().toString();
        Matcher m;
        if ((m = SEGMENT_NAME.matcher(name)).matches() && Long.parseLong(m.group(1)) < firstLive
            || (m = SNAPSHOT_NAME.matcher(name)).matches()
                && Long.parseLong(m.group(1)) < version) {
          Files.deleteIfExists(p);
        }
      }
    }
    mu.lock();
    try {
      checkpointedBytes = Math.max(checkpointedBytes, coveredBytes);
    } finally {
      mu.unlock();
    }
  }

  // ------------------------------------------------------------------------------------- close

  /**
   * Makes every pending append durable (completing its future), stops the writer and releases the
   * directory. Idempotent. A checkpoint must not be written concurrently with or after close.
   */
  @Override
  public void close() {
    Thread w;
    mu.lock();
    try {
      if (closed) return;
      closed = true;
      closing = true;
      work.signal();
      w = writer;
    } finally {
      mu.unlock();
    }
    try {
      if (w != null && w != Thread.currentThread()) joinUninterruptibly(w);
      recordCleanClose();
      closeQuietly(segment);
      acks.shutdown();
      if (Thread.currentThread() != ackThread)
        awaitUninterruptibly(acks); // else: close from a callback
    } finally {
      try {
        lock.release();
      } catch (IOException ignored) {
        // closing the channel releases it anyway
      }
      closeQuietly(lockChannel);
      OPEN_DIRS.remove(dir);
    }
  }

  /**
   * After the writer stopped: records that the segment was synced to its end, so that recovery
   * takes damage to the last batch for what it is rather than for a torn write.
   */
  private void recordCleanClose() {
    FileChannel ch = segment;
    mu.lock();
    try {
      if (ch == null || poison != null || writer == null || progressEnd == segmentEnd) return;
    } finally {
      mu.unlock();
    }
    try {
      recordProgress(ch, false);
      ch.force(false);
    } catch (IOException e) {
      LOG.log(
          System.Logger.Level.WARNING, "fdb-embedded: cannot record a clean close of " + dir, e);
    }
  }

  private static void joinUninterruptibly(Thread t) {
    boolean interrupted = false;
    while (true) {
      try {
        t.join();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) Thread.currentThread().interrupt();
  }

  private static void awaitUninterruptibly(ExecutorService e) {
    boolean interrupted = false;
    while (true) {
      try {
        if (e.awaitTermination(1, TimeUnit.DAYS)) break;
      } catch (InterruptedException ex) {
        interrupted = true;
      }
    }
    if (interrupted) Thread.currentThread().interrupt();
  }

  // ----------------------------------------------------------------------------------- helpers

  static String segmentName(long seq) {
    return String.format("wal-%020d.log", seq);
  }

  static String snapshotName(long version) {
    return String.format("snapshot-%020d.snap", version);
  }

  static void fsyncDirectory(Path dir) throws IOException {
    if (File.separatorChar == '\\')
      return; // Windows cannot open a directory; NTFS journals renames
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    }
  }

  /** Reads until the buffer is full or EOF; returns the bytes read and leaves position 0. */
  private static int readFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
    int n = 0;
    while (b.hasRemaining()) {
      int r = ch.read(b, pos + n);
      if (r < 0) break;
      n += r;
    }
    b.flip();
    return n;
  }

  private static void writeFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
    while (b.hasRemaining()) pos += ch.write(b, pos);
  }

  private static void closeQuietly(@Nullable AutoCloseable c) {
    if (c == null) return;
    try {
      c.close();
    } catch (Exception ignored) {
      // nothing useful to do while already failing or closing
    }
  }
}
