package io.fdbmeta.tools;

import com.apple.foundationdb.Database;
import io.fdbmeta.layer.ClusterStats;
import io.fdbmeta.layer.Keyspace;
import io.fdbmeta.layer.LayerConfig;
import io.fdbmeta.layer.NodeRegistry;
import io.fdbmeta.layer.RangeCatalog;
import io.fdbmeta.layer.SchemaVersion;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The store the global options name, opened, with the layer services of the {@code --cluster}
 * inside it. Commands take what they need from here and call it; closing closes the store.
 */
final class MetaSession implements AutoCloseable {
  private final Stores.OpenStore store;
  private final Keyspace keyspace;
  private final LayerConfig config = LayerConfig.defaults();

  private MetaSession(Stores.OpenStore store, Keyspace keyspace) {
    this.store = store;
    this.keyspace = keyspace;
  }

  /** Opens the store of {@code spec}'s command line and the directory of its cluster. */
  static MetaSession open(CommandSpec spec) {
    Stores.OpenStore store = Stores.open(spec);
    try {
      Keyspace ks = Keyspace.open(store.db(), Main.storeOptions(spec).cluster());
      SchemaVersion.check(store.db(), ks); // every command: a newer metadata format is refused
      return new MetaSession(store, ks);
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
  }

  Database db() {
    return store.db();
  }

  /** Which store this is, e.g. "fdb-embedded /tmp/x". */
  String storeDescription() {
    return store.description();
  }

  String cluster() {
    return keyspace.cluster();
  }

  Keyspace keyspace() {
    return keyspace;
  }

  LayerConfig config() {
    return config;
  }

  RangeCatalog catalog() {
    return new RangeCatalog(keyspace, config);
  }

  NodeRegistry registry() {
    return new NodeRegistry(keyspace, config);
  }

  /** The layer clock's now, in epoch millis. */
  long now() {
    return config.now();
  }

  ClusterStats stats() {
    return new ClusterStats(keyspace);
  }

  @Override
  public void close() {
    store.close();
  }
}
