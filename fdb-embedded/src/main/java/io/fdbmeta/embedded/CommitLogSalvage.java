package io.fdbmeta.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/**
 * Makes a damaged {@link FileCommitLog} directory open again, keeping every commit before the first
 * damage. Recovery refuses such a directory because opening it would silently drop or garble
 * acknowledged commits; salvage is the explicit, reported way to accept that loss.
 *
 * <p>The log is a chain: a commit after a damaged or missing record cannot be applied without it,
 * so salvage cuts the chain at the first damage. The damaged segment is rewritten (under a
 * temporary name, then renamed) with its good records and a fresh header, and every later segment
 * is moved out. Every file it changes or moves is first copied or moved into {@code
 * salvage-<time>/} inside the directory, which recovery ignores. A damaged snapshot is not
 * salvaged: the log records it covered are gone.
 */
final class CommitLogSalvage {
  private static final CommitLog.RecoverySink DISCARD =
      new CommitLog.RecoverySink() {
        @Override
        public void set(byte[] key, byte[] value) {}

        @Override
        public void clearRange(byte[] begin, byte[] end) {}
      };

  private final Path dir;
  private final List<String> changes = new ArrayList<>();
  private @Nullable Path backup;

  private CommitLogSalvage(Path dir) {
    this.dir = dir;
  }

  /** Salvages {@code dir}, which the caller has locked. */
  static EmbeddedFdb.SalvageReport run(Path dir) throws IOException {
    var s = new CommitLogSalvage(dir);
    s.salvage();
    return new EmbeddedFdb.SalvageReport(s.backup, List.copyOf(s.changes));
  }

  private void salvage() throws IOException {
    FileCommitLog.Listing files = FileCommitLog.list(dir);
    long snapshotVersion = 0;
    long firstLive = 1;
    if (!files.snapshots().isEmpty()) {
      var newest = files.snapshots().lastEntry();
      try {
        firstLive = FileCommitLog.loadSnapshot(newest.getValue(), newest.getKey(), DISCARD);
      } catch (UncheckedIOException e) {
        throw new IOException(
            "cannot salvage " + dir + ": its newest snapshot is damaged: " + e.getMessage(), e);
      }
      snapshotVersion = newest.getKey();
    }
    long[] last = {0};
    var live = new ArrayList<>(files.segments().tailMap(firstLive).entrySet());
    int contiguous = 0;
    while (contiguous < live.size() && live.get(contiguous).getKey() == firstLive + contiguous) {
      contiguous++;
    }
    if (contiguous < live.size()) {
      changes.add(FileCommitLog.segmentName(firstLive + contiguous) + " is missing");
      moveOut(live.subList(contiguous, live.size()));
      live.subList(contiguous, live.size()).clear();
    }
    for (int i = 0; i < live.size(); i++) {
      long seq = live.get(i).getKey();
      Path path = live.get(i).getValue();
      boolean isLast = i == live.size() - 1;
      FileCommitLog.Scan s =
          FileCommitLog.scan(path, seq, isLast, true, snapshotVersion, last, DISCARD);
      if (s.damage == null && !s.headerRebuilt) continue; // usable (a torn tail recovery cuts)
      long keepTo = Math.max(s.dataStart, s.goodEnd); // not a torn tail: it was never synced
      Files.copy(path, backupDir().resolve(path.getFileName()));
      long salt = s.goodEnd == 0 ? ThreadLocalRandom.current().nextLong() : s.salt;
      try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
        FileCommitLog.writeSegmentFile(dir, seq, salt, s.lastVersion, ch, s.dataStart, keepTo);
      }
      changes.add(describe(s, keepTo));
      if (s.damage != null) {
        moveOut(live.subList(i + 1, live.size()));
        return;
      }
    }
    if (live.isEmpty() && !files.snapshots().isEmpty()) {
      long salt = ThreadLocalRandom.current().nextLong();
      FileCommitLog.writeSegmentFile(dir, firstLive, salt, snapshotVersion, null, 0, 0);
      changes.add(
          FileCommitLog.segmentName(firstLive)
              + " was missing: created it empty; commits after version "
              + snapshotVersion
              + " (the snapshot's) that it held are lost");
    }
  }

  private static String describe(FileCommitLog.Scan s, long keepTo) {
    StringBuilder b = new StringBuilder(s.path.getFileName().toString()).append(": ");
    if (s.headerRebuilt) b.append("its damaged header was rebuilt from its first record; ");
    if (s.damage != null) b.append(s.damage).append("; ");
    b.append("kept commits up to version ").append(s.lastVersion);
    if (s.goodEnd == 0) {
      b.append("; no record could be read, dropped all ").append(s.size).append(" bytes");
    } else if (keepTo < s.size) {
      b.append(", dropped ").append(s.size - keepTo).append(" bytes after offset ").append(keepTo);
    }
    var p = s.progress;
    if (p != null && p.syncedVersion() > s.lastVersion) {
      b.append("; lost acknowledged commits after version ")
          .append(s.lastVersion)
          .append(" up to version ")
          .append(p.syncedVersion());
    }
    return b.toString();
  }

  /** Moves later segments, which cannot be replayed past the cut, into the backup. */
  private void moveOut(List<Map.Entry<Long, Path>> segments) throws IOException {
    for (var e : segments) {
      Path p = e.getValue();
      long size = Files.size(p);
      Files.move(p, backupDir().resolve(p.getFileName()), StandardCopyOption.ATOMIC_MOVE);
      changes.add(p.getFileName() + ": moved out (" + size + " bytes), it follows the damage");
    }
    if (!segments.isEmpty()) FileCommitLog.fsyncDirectory(dir);
  }

  private Path backupDir() throws IOException {
    if (backup == null) {
      String time =
          ZonedDateTime.now(ZoneOffset.UTC)
              .format(DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'"));
      Path b = dir.resolve("salvage-" + time);
      for (int n = 2; Files.exists(b); n++) b = dir.resolve("salvage-" + time + "-" + n);
      backup = Files.createDirectory(b);
    }
    return backup;
  }
}
