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
 * Checkpoint protocol (each step leaves a recoverable directory):
 *   1. roll: create wal-(n+1), write its header, fsync it and the directory;
 *   2. write snapshot-v.snap.tmp (every live key at v), fsync it;
 *   3. rename it to snapshot-v.snap (atomic), fsync the directory;
 *   4. delete segments below n+1 and older snapshots.
 * A snapshot records the first segment it does not cover (n+1). Recovery takes the newest
 * snapshot, deletes leftover *.tmp files, older snapshots and covered segments, and replays the
 * remaining segments, which must be numbered contiguously from n+1. A crash before step 3 leaves
 * the old snapshot plus all its segments; after step 3 the leftovers of step 4 are ignored.
 *
 * Torn writes. A batch is one record: [salt u64][length u32][crc32c u32][body]. The salt is random
 * per segment, so bytes from another segment or file never parse as a record. Each batch is
 * written only after the previous one is durable, so a crash can damage only the last record of
 * the last segment, and because a whole batch is one record, a torn batch is dropped whole (none
 * of its commits was acknowledged). Recovery therefore reads records until one fails its checks;
 * if that happens in the last segment and no valid record follows anywhere after it, the rest is
 * a torn tail: it is truncated away (durably, so stale bytes can never resurface). A bad record
 * followed by a valid one, or in an older segment, is corruption and recovery fails rather than
 * silently dropping acknowledged commits. Lengths are checked against the file size before any
 * allocation.
 *
 * File formats (all integers big-endian; format version 1):
 *   LOCK                      the holder's pid, as text; locked with FileChannel.tryLock
 *   wal-<seq, 20 digits>.log  header: "FDBMWAL\0" u32 format, u64 seq, u64 salt, u32 crc32c of
 *                             the preceding 28 bytes; then batch records. A batch body is
 *                             u32 commits, then per commit: u64 version, u32 effects, then per
 *                             effect: u8 kind (1 set, 2 clear), u32 len, key, u32 len, value|end.
 *                             The record crc covers the length field and the body.
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
  static final int FORMAT_VERSION = 1;
  private static final byte[] SEGMENT_MAGIC = "FDBMWAL\0".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] SNAPSHOT_MAGIC = "FDBMSNAP".getBytes(StandardCharsets.US_ASCII);
  static final int FILE_HEADER_BYTES = 32;
  static final int RECORD_HEADER_BYTES = 16;

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
    TreeMap<Long, Path> snapshots = new TreeMap<>();
    TreeMap<Long, Path> segments = new TreeMap<>();
    try (var files = Files.list(dir)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        String name = p.getFileName().toString();
        Matcher m;
        if (name.endsWith(".tmp")) {
          Files.deleteIfExists(p); // an unfinished checkpoint
        } else if ((m = SNAPSHOT_NAME.matcher(name)).matches()) {
          snapshots.put(Long.parseLong(m.group(1)), p);
        } else if ((m = SEGMENT_NAME.matcher(name)).matches()) {
          segments.put(Long.parseLong(m.group(1)), p);
        }
      }
    }

    long snapshotVersion = 0;
    long firstLive = 1;
    if (!snapshots.isEmpty()) {
      var newest = snapshots.lastEntry();
      firstLive = loadSnapshot(newest.getValue(), newest.getKey(), sink);
      snapshotVersion = newest.getKey();
    }

    long[] last = {0}; // the last version read from the log, to check versions only increase
    long expected = firstLive;
    var live = new ArrayList<>(segments.tailMap(firstLive).entrySet());
    long bytes = 0;
    @Nullable SegmentEnd end = null;
    for (int i = 0; i < live.size(); i++) {
      var e = live.get(i);
      if (e.getKey() != expected) {
        throw corrupt(
            dir.resolve(segmentName(expected)),
            "log segment is missing (found " + e.getValue().getFileName() + " after it)");
      }
      expected++;
      end =
          replaySegment(
              e.getValue(), e.getKey(), i == live.size() - 1, snapshotVersion, last, sink);
      if (end != null) bytes += end.end - FILE_HEADER_BYTES;
    }

    if (live.isEmpty() && !snapshots.isEmpty()) {
      // The roll made this segment durable before the snapshot existed; only deletion loses it.
      throw corrupt(dir.resolve(segmentName(firstLive)), "log segment is missing");
    }
    // Only now that everything replayed: drop what the newest snapshot covers (a crash left it).
    for (Path old : snapshots.headMap(snapshotVersion).values()) Files.deleteIfExists(old);
    for (Path covered : segments.headMap(firstLive).values()) Files.deleteIfExists(covered);
    if (end == null) {
      // No segment yet, or the last one's header was torn while it was being created.
      createSegment(live.isEmpty() ? firstLive : live.get(live.size() - 1).getKey());
    } else {
      segment = FileChannel.open(end.path, StandardOpenOption.READ, StandardOpenOption.WRITE);
      segmentSeq = end.seq;
      segmentSalt = end.salt;
      segmentEnd = end.end;
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

  private record SegmentEnd(Path path, long seq, long salt, long end) {}

  /**
   * Replays one segment's records with version > {@code after}; returns where valid data ends, or
   * null if this (last) segment's header was torn.
   */
  private @Nullable SegmentEnd replaySegment(
      Path path, long seq, boolean isLast, long after, long[] last, RecoverySink sink)
      throws IOException {
    try (FileChannel ch =
        FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      long size = ch.size();
      ByteBuffer h = ByteBuffer.allocate(FILE_HEADER_BYTES);
      if (size < FILE_HEADER_BYTES || readFully(ch, h, 0) < FILE_HEADER_BYTES || !headerCrcOk(h)) {
        if (isLast) return null;
        throw corrupt(path, "log segment header is damaged");
      }
      checkHeader(path, h, SEGMENT_MAGIC, "log segment");
      long headerSeq = h.getLong(12);
      if (headerSeq != seq)
        throw corrupt(path, "log segment header says it is segment " + headerSeq);
      long salt = h.getLong(20);

      long pos = FILE_HEADER_BYTES;
      while (pos < size) {
        byte[] body = readRecord(ch, pos, size, salt);
        if (body == null) {
          if (!isLast)
            throw corrupt(path, "bad log record at offset " + pos + " in a sealed segment");
          if (validRecordAfter(ch, pos + 1, size, salt)) {
            throw corrupt(
                path,
                "bad log record at offset "
                    + pos
                    + " followed by valid records;"
                    + " refusing to drop committed data");
          }
          LOG.log(
              System.Logger.Level.WARNING,
              "fdb-embedded: discarding "
                  + (size - pos)
                  + " bytes of an interrupted write at the end of "
                  + path
                  + " (never acknowledged)");
          ch.truncate(pos);
          ch.force(true); // so stale bytes cannot reappear after later writes at pos
          break;
        }
        replayBatch(path, pos, body, after, last, sink);
        pos += RECORD_HEADER_BYTES + body.length;
      }
      return new SegmentEnd(path, seq, salt, pos);
    }
  }

  private void replayBatch(
      Path path, long pos, byte[] body, long after, long[] last, RecoverySink sink) {
    ByteBuffer b = ByteBuffer.wrap(body);
    try {
      int commits = b.getInt();
      for (int c = 0; c < commits; c++) {
        long version = b.getLong();
        if (version <= last[0]) {
          throw corrupt(
              path,
              "log record at offset " + pos + " has version " + version + " after " + last[0]);
        }
        last[0] = version;
        boolean apply = version > after;
        int effects = b.getInt();
        for (int i = 0; i < effects; i++) {
          byte kind = b.get();
          byte[] key = bytes(b);
          byte[] other = bytes(b);
          if (!apply) continue;
          if (kind == KIND_SET) sink.set(key, other);
          else if (kind == KIND_CLEAR) sink.clearRange(key, other);
          else
            throw corrupt(path, "log record at offset " + pos + " has unknown effect kind " + kind);
        }
      }
      if (b.hasRemaining())
        throw corrupt(path, "log record at offset " + pos + " has trailing bytes");
    } catch (java.nio.BufferUnderflowException | IllegalArgumentException e) {
      throw corrupt(path, "log record at offset " + pos + " is malformed");
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
  private long loadSnapshot(Path path, long version, RecoverySink sink) throws IOException {
    long size = Files.size(path);
    try (InputStream raw = Files.newInputStream(path);
        DataInputStream in = new DataInputStream(new BufferedInputStream(raw, 1 << 16))) {
      byte[] hb = new byte[FILE_HEADER_BYTES];
      in.readFully(hb);
      ByteBuffer h = ByteBuffer.wrap(hb);
      if (!headerCrcOk(h)) throw corrupt(path, "snapshot header is damaged");
      checkHeader(path, h, SNAPSHOT_MAGIC, "snapshot");
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

  /** Checks a file header's magic and format version. */
  private static void checkHeader(Path path, ByteBuffer h, byte[] magic, String what) {
    for (int i = 0; i < magic.length; i++) {
      if (h.get(i) != magic[i]) throw corrupt(path, "not an fdb-embedded " + what + " (bad magic)");
    }
    int format = h.getInt(8);
    if (format != FORMAT_VERSION) {
      throw corrupt(
          path,
          what + " has format version " + format + "; this build reads only " + FORMAT_VERSION);
    }
  }

  private static UncheckedIOException corrupt(Path path, String what) {
    return new UncheckedIOException(
        new IOException("fdb-embedded data is corrupt: " + path + ": " + what));
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
    long pos = segmentEnd;
    while (b.hasRemaining()) pos += ch.write(b, pos);
    ch.force(false);
    segmentEnd = pos;
  }

  /** Creates (or re-creates, if its header was torn) segment {@code seq} and makes it current. */
  private void createSegment(long seq) throws IOException {
    if (segment != null) segment.close(); // already forced after its last batch
    segment = null;
    Path path = dir.resolve(segmentName(seq));
    FileChannel ch =
        FileChannel.open(
            path,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.READ,
            StandardOpenOption.WRITE);
    try {
      long salt = ThreadLocalRandom.current().nextLong();
      ByteBuffer h = ByteBuffer.allocate(FILE_HEADER_BYTES);
      h.put(SEGMENT_MAGIC).putInt(FORMAT_VERSION).putLong(seq).putLong(salt);
      putHeaderCrc(h);
      writeFully(ch, h, 0);
      ch.force(true);
      fsyncDirectory();
      segment = ch;
      segmentSeq = seq;
      segmentSalt = salt;
      segmentEnd = FILE_HEADER_BYTES;
    } catch (IOException | RuntimeException e) {
      closeQuietly(ch);
      throw e;
    }
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
      h.put(SNAPSHOT_MAGIC).putInt(FORMAT_VERSION).putLong(version).putLong(firstLive);
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
    fsyncDirectory();
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

  private void fsyncDirectory() throws IOException {
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
