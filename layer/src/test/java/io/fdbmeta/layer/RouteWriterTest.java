package io.fdbmeta.layer;

import static org.assertj.core.api.Assertions.assertThat;

import com.apple.foundationdb.KeyValue;
import com.apple.foundationdb.MutationType;
import com.apple.foundationdb.Transaction;
import com.apple.foundationdb.tuple.Versionstamp;
import io.fdbmeta.embedded.FaultPlan;
import io.fdbmeta.layer.route.RouteFixtures;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * meta_version is set once per writing call, and by every attempt of a retried body; each attempt
 * numbers its changelog entries afresh.
 */
class RouteWriterTest {

  @Test
  void splitManySetsMetaVersionOnceForAllItsChanges() {
    try (Fixture f = new Fixture()) {
      AtomicInteger bumps = new AtomicInteger();
      Transaction tr = f.db.createTransaction();
      List<byte[]> keys = new ArrayList<>();
      List<Long> ids = new ArrayList<>();
      for (int i = 0; i < 100; i++)
        keys.add(String.format("k%03d", i).getBytes(StandardCharsets.UTF_8));
      for (int i = 0; i <= keys.size(); i++) ids.add(Ids.newRangeId());
      f.catalog
          .splitManyAsync(
              countingMetaVersionSets(tr, f.ks, bumps), Ids.newOpId(), f.root.rangeId(), keys, ids)
          .join();
      tr.commit().join();
      tr.close();
      assertThat(bumps).hasValue(1);
      assertThat(changelog(f))
          .hasSize(1 + 1 + 101); // bootstrap, then the split: REMOVE + 101 UPSERTs
      assertMetaVersionIsNewestChange(f);
    }
  }

  @Test
  void retriedCommitsStillSetMetaVersion() {
    try (Fixture f = new Fixture(FaultPlan.seeded(11).notCommitted(0.5).build())) {
      Random rnd = new Random(11);
      for (int i = 0; i < 20; i++) {
        RouteFixtures.randomSplit(f.db, f.catalog, rnd, 1_000);
        assertMetaVersionIsNewestChange(f);
      }
    }
  }

  @Test
  void everyCommitNumbersItsChangelogEntriesFromZero() {
    try (Fixture f = new Fixture(FaultPlan.seeded(7).notCommitted(0.5).build())) {
      Random rnd = new Random(7);
      for (int i = 0; i < 20; i++) RouteFixtures.randomSplit(f.db, f.catalog, rnd, 1_000);
      Map<String, List<Integer>> userVersionsByCommit = new LinkedHashMap<>();
      for (KeyValue kv : changelog(f)) {
        Versionstamp position = Versionstamps.position(f.ks.changelogSubspace(), kv.getKey());
        userVersionsByCommit
            .computeIfAbsent(
                HexFormat.of().formatHex(position.getTransactionVersion()),
                commit -> new ArrayList<>())
            .add(position.getUserVersion());
      }
      assertThat(userVersionsByCommit).hasSizeGreaterThan(1);
      userVersionsByCommit.forEach(
          (commit, userVersions) ->
              assertThat(userVersions)
                  .as("user versions of commit %s, retried or not", commit)
                  .isEqualTo(IntStream.range(0, userVersions.size()).boxed().toList()));
    }
  }

  @Test
  void severalCallsInOneTransactionKeepEveryChangelogEntry() {
    try (Fixture f = new Fixture()) {
      RouteFixtures.registerNode(f.db, f.ks, "n1");
      RouteFixtures.registerNode(f.db, f.ks, "n2");
      int before = changelog(f).size();
      f.db.run(
          tr -> {
            f.catalog.addReplicaAsync(tr, f.root.rangeId(), "n1", -1).join();
            f.catalog.addReplicaAsync(tr, f.root.rangeId(), "n2", -1).join();
            return null;
          });
      List<KeyValue> log = changelog(f);
      assertThat(log).hasSize(before + 2);
      assertThat(
              log.subList(before, log.size()).stream()
                  .map(kv -> Versionstamps.position(f.ks.changelogSubspace(), kv.getKey()))
                  .map(Versionstamp::getUserVersion)
                  .toList())
          .containsExactly(0, 1);
      assertMetaVersionIsNewestChange(f);
    }
  }

  private static void assertMetaVersionIsNewestChange(Fixture f) {
    byte[] metaVersion = f.db.read(tr -> tr.get(f.ks.metaVersionKey()).join());
    List<KeyValue> log = changelog(f);
    Versionstamp newest =
        Versionstamps.position(f.ks.changelogSubspace(), log.get(log.size() - 1).getKey());
    assertThat(metaVersion).as("meta_version").isNotNull();
    assertThat(Arrays.copyOf(metaVersion, 10)).isEqualTo(newest.getTransactionVersion());
  }

  private static List<KeyValue> changelog(Fixture f) {
    return f.db.read(tr -> tr.getRange(f.ks.changelogRange()).asList().join());
  }

  /** {@code tr}, counting the versionstamped sets of meta_version made through it. */
  private static Transaction countingMetaVersionSets(
      Transaction tr, Keyspace ks, AtomicInteger sets) {
    return (Transaction)
        Proxy.newProxyInstance(
            Transaction.class.getClassLoader(),
            new Class<?>[] {Transaction.class},
            (proxy, method, args) -> {
              if (method.getName().equals("runAsync") && args.length == 1) {
                // run the body on the proxy, not on the transaction behind it
                @SuppressWarnings("unchecked")
                Function<Transaction, Object> body = (Function<Transaction, Object>) args[0];
                return body.apply((Transaction) proxy);
              }
              if (method.getName().equals("mutate")
                  && args[0] == MutationType.SET_VERSIONSTAMPED_VALUE
                  && Arrays.equals((byte[]) args[1], ks.metaVersionKey())) {
                sets.incrementAndGet();
              }
              try {
                return method.invoke(tr, args);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
            });
  }
}
