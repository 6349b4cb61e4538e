package io.fdbmeta.embedded.conformance;

import static io.fdbmeta.embedded.conformance.Fdb.ACCESSED_UNREADABLE;
import static io.fdbmeta.embedded.conformance.Fdb.CLIENT_INVALID_OPERATION;
import static io.fdbmeta.embedded.conformance.Fdb.NOT_COMMITTED;
import static io.fdbmeta.embedded.conformance.Fdb.assertFdbError;
import static io.fdbmeta.embedded.conformance.Fdb.await;
import static io.fdbmeta.embedded.conformance.Fdb.b;
import static io.fdbmeta.embedded.conformance.Fdb.concat;
import static io.fdbmeta.embedded.conformance.Fdb.hex;
import static io.fdbmeta.embedded.conformance.Fdb.le32;
import static io.fdbmeta.embedded.conformance.Fdb.versionstampParam;
import static org.assertj.core.api.Assertions.assertThat;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.KeyValue;
import com.apple.foundationdb.MutationType;
import com.apple.foundationdb.Range;
import com.apple.foundationdb.Transaction;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * SET_VERSIONSTAMPED_KEY/VALUE at API 730: the param ends in the placeholder's offset as 4
 * little-endian bytes (fdbclient/include/fdbclient/Atomic.h, transformVersionstampMutation); the
 * versionstamp is the 8-byte big-endian commit version and a 2-byte batch order.
 */
class VersionstampConformanceTest {

  private static final byte[] PREFIX = b("vs/");

  private static long commitVersionOf(byte[] versionstamp) {
    return ByteBuffer.wrap(versionstamp, 0, 8).getLong();
  }

  @ConformanceTest
  void versionstampedKeyAndValue(Backend backend) {
    Database db = backend.db();
    byte[] vs;
    long committedVersion;
    try (Transaction tr = db.createTransaction()) {
      tr.mutate(
          MutationType.SET_VERSIONSTAMPED_KEY, versionstampParam(PREFIX, b("/k")), b("payload"));
      tr.mutate(
          MutationType.SET_VERSIONSTAMPED_VALUE,
          b("latest"),
          versionstampParam(b("pre"), b("post")));
      CompletableFuture<byte[]> stamp = tr.getVersionstamp();
      assertThat(stamp).as("versionstamp before commit").isNotDone();
      tr.commit().join();
      vs = await(stamp);
      committedVersion = tr.getCommittedVersion();
    }
    assertThat(vs).hasSize(10);
    assertThat(commitVersionOf(vs)).isEqualTo(committedVersion);
    List<KeyValue> stamped = Fdb.range(db, Range.startsWith(PREFIX));
    assertThat(stamped).hasSize(1);
    assertThat(hex(stamped.get(0).getKey())).isEqualTo(hex(concat(PREFIX, vs, b("/k"))));
    assertThat(hex(stamped.get(0).getValue())).isEqualTo(hex(b("payload")));
    assertThat(hex(Fdb.get(db, b("latest")))).isEqualTo(hex(concat(b("pre"), vs, b("post"))));
  }

  @ConformanceTest
  void oneTransactionStampsEveryMutationAlike(Backend backend) {
    Database db = backend.db();
    db.run(
        tr -> {
          tr.mutate(MutationType.SET_VERSIONSTAMPED_KEY, versionstampParam(PREFIX, b("/1")), b(""));
          tr.mutate(MutationType.SET_VERSIONSTAMPED_KEY, versionstampParam(PREFIX, b("/2")), b(""));
          return null;
        });
    List<KeyValue> kvs = Fdb.range(db, Range.startsWith(PREFIX));
    assertThat(kvs).hasSize(2);
    assertThat(hex(Arrays.copyOfRange(kvs.get(0).getKey(), 3, 13)))
        .isEqualTo(hex(Arrays.copyOfRange(kvs.get(1).getKey(), 3, 13)));
  }

  @ConformanceTest
  void versionstampsAreUniqueAndOrderedAcrossConcurrentCommits(Backend backend) throws Exception {
    Database db = backend.db();
    int threads = 4;
    int perThread = 25;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<List<byte[]>>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        byte[] suffix = b("/" + t);
        results.add(
            pool.submit(
                () -> {
                  List<byte[]> mine = new ArrayList<>();
                  for (int i = 0; i < perThread; i++) {
                    try (Transaction tr = db.createTransaction()) {
                      tr.mutate(
                          MutationType.SET_VERSIONSTAMPED_KEY,
                          versionstampParam(PREFIX, suffix),
                          b(""));
                      CompletableFuture<byte[]> vs = tr.getVersionstamp();
                      tr.commit().join();
                      byte[] stamp = await(vs);
                      assertThat(commitVersionOf(stamp)).isEqualTo(tr.getCommittedVersion());
                      mine.add(stamp);
                    }
                  }
                  return mine;
                }));
      }
      Set<String> distinct = new HashSet<>();
      for (Future<List<byte[]>> f : results) {
        List<byte[]> mine = f.get();
        // Commits issued one after another by one thread get increasing versionstamps.
        for (int i = 1; i < mine.size(); i++) {
          assertThat(Arrays.compareUnsigned(mine.get(i - 1), mine.get(i)))
              .as("versionstamp %d of a thread after its predecessor", i)
              .isNegative();
        }
        for (byte[] vs : mine) distinct.add(hex(vs));
      }
      assertThat(distinct).hasSize(threads * perThread);
      // The keys sort by versionstamp and match what getVersionstamp() reported.
      List<KeyValue> kvs = Fdb.range(db, Range.startsWith(PREFIX));
      assertThat(kvs).hasSize(threads * perThread);
      List<String> fromKeys = new ArrayList<>();
      for (KeyValue kv : kvs) fromKeys.add(hex(Arrays.copyOfRange(kv.getKey(), 3, 13)));
      List<String> sorted = new ArrayList<>(distinct);
      Collections.sort(sorted);
      assertThat(fromKeys).isEqualTo(sorted);
    } finally {
      pool.shutdownNow();
    }
  }

  @ConformanceTest
  void readingAVersionstampedWriteInTheSameTransactionIsUnreadable(Backend backend) {
    Database db = backend.db();
    try (Transaction tr = db.createTransaction()) {
      tr.mutate(MutationType.SET_VERSIONSTAMPED_VALUE, b("vv"), versionstampParam(b(""), b("")));
      assertFdbError(ACCESSED_UNREADABLE, () -> tr.get(b("vv")).join());
    }
    try (Transaction tr = db.createTransaction()) {
      tr.mutate(MutationType.SET_VERSIONSTAMPED_KEY, versionstampParam(PREFIX, b("")), b("x"));
      assertFdbError(
          ACCESSED_UNREADABLE, () -> tr.getRange(Range.startsWith(PREFIX)).asList().join());
      // Outside the range the stamped key can land in, reads work.
      assertThat(tr.get(b("elsewhere")).join()).isNull();
    }
  }

  @ConformanceTest
  void versionstampOffsetOutOfBoundsIsInvalid(Backend backend) {
    Database db = backend.db();
    // The placeholder would end past the value (offset 5 + 10 > 12 bytes before the suffix).
    byte[] badValue = concat(new byte[12], le32(5));
    assertFdbError(
        CLIENT_INVALID_OPERATION,
        () -> {
          try (Transaction tr = db.createTransaction()) {
            tr.mutate(MutationType.SET_VERSIONSTAMPED_VALUE, b("bad"), badValue);
            tr.commit().join();
          }
        });
    byte[] badKey = concat(b("k"), le32(0)); // 1 byte cannot hold 10
    assertFdbError(
        CLIENT_INVALID_OPERATION,
        () -> {
          try (Transaction tr = db.createTransaction()) {
            tr.mutate(MutationType.SET_VERSIONSTAMPED_KEY, badKey, b("v"));
            tr.commit().join();
          }
        });
  }

  @ConformanceTest
  void versionstampFutureFailsWhenTheCommitFails(Backend backend) {
    Database db = backend.db();
    try (Transaction loser = db.createTransaction()) {
      loser.get(b("contended")).join();
      db.run(
          tr -> {
            tr.set(b("contended"), b("1"));
            return null;
          });
      loser.mutate(
          MutationType.SET_VERSIONSTAMPED_VALUE, b("stamp"), versionstampParam(b(""), b("")));
      CompletableFuture<byte[]> vs = loser.getVersionstamp();
      assertFdbError(NOT_COMMITTED, () -> loser.commit().join());
      // NativeAPI.actor.cpp commitAndWatch:
      // versionstampPromise.sendError(transaction_invalid_version()).
      assertFdbError(2020, () -> await(vs));
    }
  }

  @ConformanceTest
  void versionstampFutureFailsForAReadOnlyCommit(Backend backend) {
    Database db = backend.db();
    try (Transaction tr = db.createTransaction()) {
      tr.get(b("k")).join();
      CompletableFuture<byte[]> vs = tr.getVersionstamp();
      tr.commit().join();
      // api-common.rst.inc: read-only transactions complete the future with an error;
      // NativeAPI.actor.cpp commitMutations sends no_commit_version (2021).
      assertFdbError(2021, () -> await(vs));
    }
  }
}
