package io.fdbmeta.layer;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.KeyValue;
import com.apple.foundationdb.Range;
import com.apple.foundationdb.ReadTransactionContext;
import com.apple.foundationdb.Transaction;
import com.apple.foundationdb.subspace.Subspace;
import com.apple.foundationdb.tuple.ByteArrayUtil;
import com.apple.foundationdb.tuple.Tuple;
import com.apple.foundationdb.tuple.Versionstamp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/*
 * Online migrations of fdbmeta's own records, the ghost-table way: never one long transaction or a
 * stopped cluster, each step a short transaction, the version changed in one small swap.
 *
 *   1. Start. The migration's progress record (MigrationProgress, migration/<id>) is created with
 *      the newest changelog position: the capture point. From here on every routing change is in
 *      the changelog, which is to this migration what the binlog is to gh-ost.
 *   2. Backfill. Batches of BATCH records (or the batch asked for), in key order, each in one transaction that reads the
 *      records, decides each with Migration.transform, writes the rewritten ones (and their before
 *      and after values under migration_backup/<id>/, for abort) and advances the cursor in the
 *      progress record. Transactions stay far below FoundationDB's 5 s and 10 MB. A record written
 *      concurrently conflicts with the batch, which is retried: nothing is overwritten blind. A
 *      pass that met records that cannot be rewritten yet (LATER) is followed by another.
 *   3. Catch-up. The changelog after the capture point, a page at a time: each change's records
 *      (Migration.touchedBy) are decided again and the capture point advances in the same
 *      transaction. If the changelog was trimmed past the capture point, another full pass instead.
 *   4. Swap. When a catch-up page is empty, that same transaction checks schema_version is still
 *      the migration's `from`, writes `to`, clears the backups and marks the migration DONE. Its
 *      empty read of the changelog after the capture point conflicts with any routing change that
 *      commits meanwhile, so the swap happens only with nothing left to replay.
 *
 * Every step commits its progress with its effect, so a migration killed at any point (kill -9
 * included) resumes from the last committed step when run again, and a step retried after
 * commit_unknown_result finds its own progress and does not repeat itself. Readers accept both forms
 * throughout (Migration's contract); SchemaVersion refuses versions a binary does not know.
 *
 * Abort marks the migration ABORTING, puts back each record's before value where the record still
 * holds the value the migration wrote (Migration.revert may keep one whose undo is unsafe), clears
 * the backups and ends ABORTED; schema_version never changed.
 *
 * Assumes the processes that write these records run binaries of this version or later, which
 * write only forms valid under both versions (a binary older than the SchemaVersion gate could
 * write the old form behind the backfill without a changelog entry).
 */
/** Runs, plans, reports and aborts online migrations: see the comment at the top. */
public final class Migrations {
  /** Records per backfill transaction, by default. */
  public static final int BATCH = 2_000;

  /** Changelog entries per catch-up transaction. */
  static final int CATCHUP_PAGE = 500;

  /** What a running migration reports after each committed step. */
  public interface Listener {
    /** After a step: where {@code m} stands, {@code total} its records when it started. */
    void progress(Migration m, MigrationProgress p, long total);

    /** A line worth a log: a pass, the catch-up, the swap. */
    void note(String line);
  }

  private final Keyspace ks;
  private final LayerConfig config;
  private final List<Migration> known;
  private final int batch;

  public Migrations(Keyspace ks, LayerConfig config) {
    this(ks, config, List.of(new LeaseLivenessMigration(config)), BATCH);
  }

  /** With other migrations (tests) and {@code batch} records per backfill transaction. */
  public Migrations(Keyspace ks, LayerConfig config, List<Migration> known, int batch) {
    if (batch < 1 || batch > 10_000)
      throw new IllegalArgumentException("batch must be in [1, 10000], got " + batch);
    this.ks = ks;
    this.config = config;
    this.known = List.copyOf(known);
    this.batch = batch;
  }

  /** The same migrations, {@code n} records per backfill transaction (smaller: shorter ones). */
  public Migrations withBatch(int n) {
    return new Migrations(ks, config, known, n);
  }

  /** The migrations this binary knows, oldest first. */
  public List<Migration> known() {
    return known;
  }

  /** Those that lead from {@code version} to {@link SchemaVersion#LATEST}, in order. */
  public List<Migration> pending(long version) {
    List<Migration> out = new ArrayList<>();
    long v = version;
    for (Migration m : known)
      if (m.from() == v) {
        out.add(m);
        v = m.to();
      }
    return out;
  }

  /** The cluster's schema version and the progress record of every migration ever started. */
  public record Status(long schemaVersion, List<MigrationProgress> migrations) {}

  public CompletableFuture<Status> statusAsync(ReadTransactionContext db) {
    return db.readAsync(
        tr ->
            SchemaVersion.readAsync(tr, ks)
                .thenCombine(
                    tr.getRange(ks.migrations()).asList(),
                    (v, rows) ->
                        new Status(
                            v,
                            rows.stream()
                                .map(kv -> MigrationProgress.decode(kv.getValue()))
                                .toList())));
  }

  public Status status(ReadTransactionContext db) {
    return FdbErrors.join(statusAsync(db));
  }

  /** What {@code run} would do to one migration's records, by a dry run over all of them. */
  public record Plan(Migration migration, long records, long toRewrite, long later) {}

  /** Dry-runs every pending migration (reads only, a batch a page). */
  public List<Plan> plan(Database db) {
    long version = requireInitialised(db);
    List<Plan> out = new ArrayList<>();
    for (Migration m : pending(version)) {
      long[] counts = new long[3];
      byte[] cursor = m.records(ks).begin;
      while (cursor != null) {
        byte[] from = cursor;
        cursor =
            FdbErrors.join(
                db.runAsync(
                    tr ->
                        tr.snapshot()
                            .getRange(from, m.records(ks).end, batch)
                            .asList()
                            .thenCompose(rows -> decide(tr, m, rows))
                            .thenApply(
                                d -> {
                                  counts[0] += d.size();
                                  for (Decided x : d) {
                                    if (x.outcome.kind() == Migration.Outcome.Kind.REWRITE)
                                      counts[1]++;
                                    if (x.outcome.kind() == Migration.Outcome.Kind.LATER)
                                      counts[2]++;
                                  }
                                  return d.size() < batch
                                      ? null
                                      : ByteArrayUtil.join(d.get(d.size() - 1).key, new byte[1]);
                                })));
      }
      out.add(new Plan(m, counts[0], counts[1], counts[2]));
    }
    return out;
  }

  /**
   * Runs every pending migration to its swap, resuming one already under way, at most {@code
   * ratePerSecond} records a second (0: no limit).
   *
   * @return the schema version reached
   * @throws MetaException NOT_ALLOWED if the cluster is not initialised, its version is unknown, or
   *     an abort is under way
   * @throws InterruptedException while waiting between passes or for the rate
   */
  public long run(Database db, long ratePerSecond, Listener listener) throws InterruptedException {
    long version = requireInitialised(db);
    for (Migration m : pending(version)) {
      runOne(db, m, ratePerSecond, listener);
      version = m.to();
    }
    return version;
  }

  private void runOne(Database db, Migration m, long rate, Listener listener)
      throws InterruptedException {
    MigrationProgress p = FdbErrors.join(db.runAsync(tr -> begin(tr, m)));
    long total = count(db, m.records(ks));
    listener.note(
        (p.pass() == 1 && p.scanned() == 0 && p.state() == MigrationProgress.State.BACKFILL
                ? "started "
                : "resuming ")
            + m.id()
            + " ("
            + m.description()
            + "): "
            + total
            + " records, "
            + p.state().name().toLowerCase(java.util.Locale.ROOT)
            + ", pass "
            + p.pass());
    long started = System.nanoTime();
    long done = 0;
    while (p.state() != MigrationProgress.State.DONE) {
      MigrationProgress before = p;
      p =
          FdbErrors.join(
              db.runAsync(
                  tr ->
                      p0(tr, m)
                          .thenCompose(
                              cur ->
                                  cur.state() == MigrationProgress.State.BACKFILL
                                      ? backfill(tr, m, cur)
                                      : catchUp(tr, m, cur))));
      listener.progress(m, p, total);
      if (p.pass() != before.pass() || p.state() != before.state()) listener.note(p.detail());
      done += Math.max(0, p.scanned() - (p.pass() == before.pass() ? before.scanned() : 0));
      if (p.state() == MigrationProgress.State.BACKFILL && p.pass() != before.pass())
        Thread.sleep(config.maxClockOffsetMillis() + 100); // let LATER records age
      pace(rate, done, started);
    }
  }

  /** Sleeps while {@code done} records since {@code started} run ahead of {@code rate}. */
  private static void pace(long rate, long done, long started) throws InterruptedException {
    if (rate <= 0) return;
    long dueNanos = done * 1_000_000_000L / rate;
    long ahead = dueNanos - (System.nanoTime() - started);
    if (ahead > 0) Thread.sleep(ahead / 1_000_000, (int) (ahead % 1_000_000));
  }

  /** Creates (or finds) the progress record: step 1 of the comment at the top. */
  private CompletableFuture<MigrationProgress> begin(Transaction tr, Migration m) {
    CompletableFuture<Long> version = SchemaVersion.readAsync(tr, ks);
    CompletableFuture<byte @Nullable []> existing = tr.get(ks.migrationKey(m.id()));
    CompletableFuture<Versionstamp> newest = Versionstamps.headAsync(tr, ks);
    return CompletableFuture.allOf(version, existing, newest)
        .thenApply(
            x -> {
              byte[] e = existing.join();
              MigrationProgress p = e == null ? null : MigrationProgress.decode(e);
              if (p != null && p.state() == MigrationProgress.State.ABORTING)
                throw MetaException.of(
                    MetaException.Code.NOT_ALLOWED,
                    "migration " + m.id() + " is being aborted: run 'fdbmeta migrate abort' again");
              if (p != null && p.state() != MigrationProgress.State.ABORTED) return p;
              if (version.join() != m.from())
                throw MetaException.of(
                    MetaException.Code.NOT_ALLOWED,
                    "migration "
                        + m.id()
                        + " needs schema version "
                        + m.from()
                        + ", the cluster has "
                        + version.join());
              long now = config.now();
              MigrationProgress fresh =
                  new MigrationProgress(
                      m.id(),
                      MigrationProgress.State.BACKFILL,
                      m.records(ks).begin,
                      1,
                      newest.join(),
                      0,
                      0,
                      0,
                      now,
                      now,
                      "pass 1");
              tr.set(ks.migrationKey(m.id()), fresh.encode());
              return fresh;
            });
  }

  private CompletableFuture<MigrationProgress> p0(Transaction tr, Migration m) {
    return tr.get(ks.migrationKey(m.id()))
        .thenApply(
            v -> {
              MigrationProgress p = v == null ? null : MigrationProgress.decode(v);
              if (p == null
                  || p.state() == MigrationProgress.State.ABORTING
                  || p.state() == MigrationProgress.State.ABORTED)
                throw MetaException.of(
                    MetaException.Code.NOT_ALLOWED,
                    "migration " + m.id() + " was aborted while it ran");
              return p;
            });
  }

  /** One backfill batch: step 2. */
  private CompletableFuture<MigrationProgress> backfill(
      Transaction tr, Migration m, MigrationProgress p) {
    Range all = m.records(ks);
    return tr.getRange(p.cursor(), all.end, batch)
        .asList()
        .thenCompose(rows -> decide(tr, m, rows))
        .thenApply(
            decided -> {
              long rewritten = apply(tr, m, decided);
              long later = count(decided, Migration.Outcome.Kind.LATER);
              long now = config.now();
              if (decided.size() == batch)
                return save(
                    tr,
                    p.advanced(
                        ByteArrayUtil.join(decided.get(batch - 1).key, new byte[1]),
                        decided.size(),
                        rewritten,
                        later,
                        now));
              MigrationProgress end = p.advanced(all.end, decided.size(), rewritten, later, now);
              if (end.later() > 0)
                return save(
                    tr,
                    end.nextPass(
                        all.begin,
                        p.captured(),
                        0,
                        now,
                        "pass "
                            + p.pass()
                            + " read "
                            + end.scanned()
                            + " records and left "
                            + end.later()
                            + " it cannot rewrite yet ("
                            + firstLater(decided)
                            + ")"));
              return save(
                  tr,
                  end.replayed(
                      p.captured(),
                      0,
                      now,
                      "pass "
                          + p.pass()
                          + " read "
                          + end.scanned()
                          + " records; replaying the routing changes made meanwhile"));
            });
  }

  /** One catch-up page, or the swap when there is nothing left: steps 3 and 4. */
  private CompletableFuture<MigrationProgress> catchUp(
      Transaction tr, Migration m, MigrationProgress p) {
    byte[] after =
        ByteArrayUtil.join(Versionstamps.key(ks.changelogSubspace(), p.captured()), new byte[1]);
    CompletableFuture<Versionstamp> floor =
        tr.get(ks.changelogFloorKey()).thenApply(Versionstamps::decodePosition);
    CompletableFuture<List<KeyValue>> page =
        tr.getRange(after, ks.changelogRange().end, CATCHUP_PAGE).asList();
    CompletableFuture<Long> version = SchemaVersion.readAsync(tr, ks);
    return CompletableFuture.allOf(floor, page, version)
        .thenCompose(
            x -> {
              long now = config.now();
              if (floor.join().compareTo(p.captured()) > 0)
                return Versionstamps.headAsync(tr, ks)
                    .thenApply(
                        newest ->
                            save(
                                tr,
                                p.nextPass(
                                    m.records(ks).begin,
                                    newest,
                                    0,
                                    now,
                                    "the changelog was trimmed past the capture point")));
              List<KeyValue> entries = page.join();
              if (entries.isEmpty())
                return CompletableFuture.completedFuture(swap(tr, m, p, version.join()));
              Map<String, byte[]> touched = new LinkedHashMap<>();
              for (KeyValue kv : entries)
                for (byte[] k : m.touchedBy(ks, ChangeEvent.decode(kv.getValue())))
                  touched.putIfAbsent(Arrays.toString(k), k);
              Versionstamp last =
                  Versionstamps.position(
                      ks.changelogSubspace(), entries.get(entries.size() - 1).getKey());
              List<CompletableFuture<@Nullable KeyValue>> reads = new ArrayList<>();
              for (byte[] k : touched.values())
                reads.add(tr.get(k).thenApply(v -> v == null ? null : new KeyValue(k, v)));
              return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new))
                  .thenCompose(
                      y -> {
                        List<KeyValue> rows = new ArrayList<>();
                        for (var r : reads) if (r.join() != null) rows.add(r.join());
                        return decide(tr, m, rows);
                      })
                  .thenApply(
                      decided -> {
                        long rewritten = apply(tr, m, decided);
                        long later = count(decided, Migration.Outcome.Kind.LATER);
                        if (later > 0)
                          return save(
                              tr,
                              p.nextPass(
                                  m.records(ks).begin,
                                  last,
                                  rewritten,
                                  now,
                                  "the catch-up met "
                                      + later
                                      + " records it cannot rewrite yet ("
                                      + firstLater(decided)
                                      + ")"));
                        return save(tr, p.replayed(last, rewritten, now, p.detail()));
                      });
            });
  }

  private MigrationProgress swap(Transaction tr, Migration m, MigrationProgress p, long version) {
    if (version != m.from())
      throw MetaException.of(
          MetaException.Code.NOT_ALLOWED,
          "schema version changed to " + version + " while " + m.id() + " ran");
    SchemaVersion.write(tr, ks, m.to());
    tr.clear(ks.migrationBackup(m.id()).range());
    return save(
        tr,
        p.with(
            MigrationProgress.State.DONE,
            "swapped: schema version " + m.to() + " (" + p.rewritten() + " records rewritten)",
            config.now()));
  }

  /**
   * Aborts the migration under way: puts records back (step by step, resumable) and ends it
   * ABORTED. Nothing to do if none runs.
   *
   * @return the last progress record, or null if there was no migration to abort
   * @throws MetaException NOT_ALLOWED if the migration already swapped
   */
  public @Nullable MigrationProgress abort(Database db, Listener listener) {
    Status s = status(db);
    MigrationProgress running =
        s.migrations().stream().filter(p -> !p.ended()).findFirst().orElse(null);
    if (running == null) return null;
    Migration m =
        known.stream()
            .filter(k -> k.id().equals(running.id()))
            .findFirst()
            .orElseThrow(
                () ->
                    MetaException.of(
                        MetaException.Code.NOT_ALLOWED,
                        "migration " + running.id() + " is unknown to this binary"));
    MigrationProgress p = running;
    while (p.state() != MigrationProgress.State.ABORTED) {
      p = FdbErrors.join(db.runAsync(tr -> abortStep(tr, m)));
      listener.progress(m, p, 0);
    }
    listener.note(p.detail());
    return p;
  }

  private CompletableFuture<MigrationProgress> abortStep(Transaction tr, Migration m) {
    Subspace backups = ks.migrationBackup(m.id());
    return tr.get(ks.migrationKey(m.id()))
        .thenCompose(
            v -> {
              MigrationProgress p = MigrationProgress.decode(v);
              if (p.state() == MigrationProgress.State.DONE)
                throw MetaException.of(
                    MetaException.Code.NOT_ALLOWED,
                    m.id()
                        + " already swapped to schema version "
                        + m.to()
                        + "; it cannot be undone");
              return tr.getRange(backups.range(), batch)
                  .asList()
                  .thenCompose(
                      rows -> {
                        List<CompletableFuture<Void>> puts = new ArrayList<>();
                        for (KeyValue kv : rows) {
                          byte[] key = backups.unpack(kv.getKey()).getBytes(0);
                          Tuple b = Tuple.fromBytes(kv.getValue());
                          byte[] before = b.getBytes(1);
                          byte[] after = b.getBytes(2);
                          puts.add(
                              tr.get(key)
                                  .thenAccept(
                                      current -> {
                                        byte[] back = m.revert(current, before, after);
                                        if (back != null) tr.set(key, back);
                                      }));
                          tr.clear(kv.getKey());
                        }
                        return CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new))
                            .thenApply(
                                x ->
                                    save(
                                        tr,
                                        rows.size() < batch
                                            ? p.with(
                                                MigrationProgress.State.ABORTED,
                                                "aborted: schema version stays " + m.from(),
                                                config.now())
                                            : p.with(
                                                MigrationProgress.State.ABORTING,
                                                "putting records back",
                                                config.now())));
                      });
            });
  }

  // ---------------------------------------------------------------- helpers

  /** A record and what the migration decided for it. */
  private record Decided(byte[] key, byte[] value, Migration.Outcome outcome) {}

  private CompletableFuture<List<Decided>> decide(
      Transaction tr, Migration m, List<KeyValue> rows) {
    return m.transform(tr, ks, rows)
        .thenApply(
            outcomes -> {
              if (outcomes.size() != rows.size())
                throw new IllegalStateException(
                    m.id() + " decided " + outcomes.size() + " of " + rows.size() + " records");
              List<Decided> out = new ArrayList<>(rows.size());
              for (int i = 0; i < rows.size(); i++)
                out.add(new Decided(rows.get(i).getKey(), rows.get(i).getValue(), outcomes.get(i)));
              return out;
            });
  }

  /** Writes the rewritten records and their backups; returns how many. */
  private long apply(Transaction tr, Migration m, List<Decided> decided) {
    long n = 0;
    Subspace backups = ks.migrationBackup(m.id());
    for (Decided d : decided) {
      if (d.outcome.kind() != Migration.Outcome.Kind.REWRITE) continue;
      byte[] after = d.outcome.value();
      tr.set(d.key, after);
      tr.set(backups.pack(Tuple.from(d.key)), Tuple.from(1L, d.value, after).pack());
      n++;
    }
    return n;
  }

  private static long count(List<Decided> decided, Migration.Outcome.Kind kind) {
    return decided.stream().filter(d -> d.outcome.kind() == kind).count();
  }

  private static String firstLater(List<Decided> decided) {
    return decided.stream()
        .filter(d -> d.outcome.kind() == Migration.Outcome.Kind.LATER)
        .map(d -> d.outcome.why())
        .findFirst()
        .orElse("earlier batches");
  }

  private MigrationProgress save(Transaction tr, MigrationProgress p) {
    tr.set(ks.migrationKey(p.id()), p.encode());
    return p;
  }

  private long requireInitialised(Database db) {
    long version = SchemaVersion.check(db, ks);
    if (version == 0)
      throw MetaException.of(
          MetaException.Code.NOT_BOOTSTRAPPED,
          "cluster '" + ks.cluster() + "' is not initialised: run 'fdbmeta init'");
    return version;
  }

  /** Records in {@code r}, counted in pages of snapshot reads. */
  private static long count(Database db, Range r) {
    long n = 0;
    byte[] cursor = r.begin;
    while (true) {
      byte[] from = cursor;
      List<KeyValue> rows =
          FdbErrors.join(db.readAsync(tr -> tr.snapshot().getRange(from, r.end, 10_000).asList()));
      n += rows.size();
      if (rows.size() < 10_000) return n;
      cursor = ByteArrayUtil.join(rows.get(rows.size() - 1).getKey(), new byte[1]);
    }
  }
}
