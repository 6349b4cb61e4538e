package io.fdbmeta.embedded.conformance;

import static io.fdbmeta.embedded.conformance.Fdb.await;
import static io.fdbmeta.embedded.conformance.Fdb.b;
import static io.fdbmeta.embedded.conformance.Fdb.s;
import static org.assertj.core.api.Assertions.assertThat;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.KeyValue;
import com.apple.foundationdb.directory.DirectoryAlreadyExistsException;
import com.apple.foundationdb.directory.DirectoryLayer;
import com.apple.foundationdb.directory.DirectorySubspace;
import com.apple.foundationdb.directory.MismatchedLayerException;
import com.apple.foundationdb.directory.NoSuchDirectoryException;
import com.apple.foundationdb.subspace.Subspace;
import com.apple.foundationdb.tuple.Tuple;
import java.util.List;

/** The bindings' DirectoryLayer and Subspace run unchanged on every backend. */
class DirectoryConformanceTest {

  @ConformanceTest
  void directoryLifecycle(Backend backend) {
    Database db = backend.db();
    DirectoryLayer dl = new DirectoryLayer();
    DirectorySubspace users = await(dl.create(db, List.of("app", "users")));
    DirectorySubspace orders = await(dl.createOrOpen(db, List.of("app", "orders")));
    assertThat(users.getPath()).containsExactly("app", "users");
    assertThat(users.getKey()).isNotEqualTo(orders.getKey());

    db.run(
        tr -> {
          tr.set(users.pack(Tuple.from("alice")), b("1"));
          tr.set(users.pack(Tuple.from("bob")), b("2"));
          tr.set(orders.pack(Tuple.from(7L)), b("order"));
          return null;
        });

    assertThat(await(dl.list(db, List.of("app")))).containsExactlyInAnyOrder("users", "orders");
    assertThat(await(dl.exists(db, List.of("app", "users")))).isTrue();
    assertThat(await(dl.exists(db, List.of("app", "nope")))).isFalse();
    Fdb.assertFailsWith(
        DirectoryAlreadyExistsException.class, () -> await(dl.create(db, List.of("app", "users"))));
    Fdb.assertFailsWith(
        NoSuchDirectoryException.class, () -> await(dl.open(db, List.of("app", "missing"))));

    // Reopening finds the same prefix and the data under it.
    DirectorySubspace reopened = await(dl.open(db, List.of("app", "users")));
    assertThat(reopened.getKey()).isEqualTo(users.getKey());
    List<KeyValue> rows = Fdb.range(db, reopened.range());
    assertThat(rows)
        .extracting(kv -> reopened.unpack(kv.getKey()).getString(0))
        .containsExactly("alice", "bob");

    // Move keeps the prefix, so the data moves with it; the new parent must exist.
    await(dl.create(db, List.of("archive")));
    DirectorySubspace moved =
        await(dl.move(db, List.of("app", "users"), List.of("archive", "users")));
    assertThat(moved.getKey()).isEqualTo(users.getKey());
    assertThat(await(dl.list(db, List.of("app")))).containsExactly("orders");
    assertThat(await(dl.list(db))).containsExactlyInAnyOrder("app", "archive");
    assertThat(s(Fdb.get(db, moved.pack(Tuple.from("alice"))))).isEqualTo("1");

    // Remove deletes the directory and everything under its prefix.
    assertThat(await(dl.removeIfExists(db, List.of("archive")))).isTrue();
    assertThat(await(dl.exists(db, List.of("archive", "users")))).isFalse();
    assertThat(Fdb.range(db, moved.range())).isEmpty();
    assertThat(await(dl.removeIfExists(db, List.of("archive")))).isFalse();
    assertThat(Fdb.range(db, orders.range())).hasSize(1);
  }

  @ConformanceTest
  void layersAndPartitions(Backend backend) {
    Database db = backend.db();
    DirectoryLayer dl = new DirectoryLayer();
    await(dl.create(db, List.of("typed"), b("my-layer")));
    Fdb.assertFailsWith(
        MismatchedLayerException.class,
        () -> await(dl.open(db, List.of("typed"), b("other-layer"))));
    DirectorySubspace partition = await(dl.create(db, List.of("part"), b("partition")));
    DirectorySubspace inside = await(partition.create(db, List.of("child")));
    assertThat(inside.getPath()).containsExactly("part", "child");
    assertThat(await(dl.open(db, List.of("part", "child"))).getKey()).isEqualTo(inside.getKey());
    assertThat(await(dl.list(db, List.of("part")))).containsExactly("child");
  }

  @ConformanceTest
  void subspacesPackAndBoundRanges(Backend backend) {
    Database db = backend.db();
    Subspace root = new Subspace(Tuple.from("root"));
    Subspace child = root.get("child");
    db.run(
        tr -> {
          tr.set(child.pack(Tuple.from(1L)), b("one"));
          tr.set(child.pack(Tuple.from(2L, "x")), b("two-x"));
          tr.set(root.pack(Tuple.from("sibling")), b("s"));
          return null;
        });
    List<KeyValue> rows = Fdb.range(db, child.range());
    assertThat(rows)
        .extracting(kv -> child.unpack(kv.getKey()))
        .containsExactly(Tuple.from(1L), Tuple.from(2L, "x"));
    assertThat(Fdb.range(db, root.range())).hasSize(3);
    assertThat(child.contains(child.pack(Tuple.from(9L)))).isTrue();
    assertThat(child.contains(root.pack(Tuple.from("sibling")))).isFalse();
  }
}
