package io.fdbmeta.layer.route;

import static io.fdbmeta.layer.route.RouteFixtures.catalogRanges;
import static io.fdbmeta.layer.route.RouteFixtures.randomMerge;
import static io.fdbmeta.layer.route.RouteFixtures.randomSplit;
import static org.assertj.core.api.Assertions.assertThat;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.ReadTransaction;
import com.apple.foundationdb.ReadTransactionContext;
import io.fdbmeta.embedded.EmbeddedFdb;
import io.fdbmeta.layer.Keyspace;
import io.fdbmeta.layer.LayerConfig;
import io.fdbmeta.layer.RangeCatalog;
import io.fdbmeta.layer.RangeDescriptor;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The paged load with catalog changes forced between its transactions: every page and every
 * changelog read is preceded by a split or merge, so pages see different versions and their union
 * has duplicates, overlaps and gaps that only the changelog replay can resolve.
 */
class RouteLoaderTest {
  private static final int KEYS = 10_000;

  /** Runs {@code between} before each read transaction, for the first {@code budget} of them. */
  private static final class Interleaving implements ReadTransactionContext {
    private final Database db;
    private final Runnable between;
    private int budget;

    Interleaving(Database db, int budget, Runnable between) {
      this.db = db;
      this.budget = budget;
      this.between = between;
    }

    @Override
    public <T> T read(Function<? super ReadTransaction, T> body) {
      throw new UnsupportedOperationException();
    }

    @Override
    public synchronized <T> CompletableFuture<T> readAsync(
        Function<? super ReadTransaction, ? extends CompletableFuture<T>> body) {
      if (budget-- > 0) between.run();
      return db.readAsync(body);
    }

    @Override
    public Executor getExecutor() {
      return db.getExecutor();
    }
  }

  @Test
  void loadEqualsCatalogDespiteChangesBetweenPages() {
    ExecutorService executor = Executors.newSingleThreadExecutor();
    try {
      for (int seed = 0; seed < 30; seed++) {
        try (Database db = EmbeddedFdb.inMemory()) {
          Keyspace ks = Keyspace.open(db, "test");
          RangeCatalog catalog = new RangeCatalog(ks, LayerConfig.defaults());
          catalog.bootstrapAsync(db).join();
          Random rnd = new Random(seed);
          for (int i = 0; i < 40; i++) randomSplit(db, catalog, rnd, KEYS);
          Interleaving reads =
              new Interleaving(
                  db,
                  25,
                  () -> {
                    if (rnd.nextBoolean()) randomMerge(db, catalog, rnd, KEYS);
                    else randomSplit(db, catalog, rnd, KEYS);
                  });
          ChangelogTail tail = new ChangelogTail(reads, ks, 2, executor);
          RouteSnapshot loaded = new RouteLoader(reads, ks, 3, tail, executor).loadAsync().join();
          List<RangeDescriptor> expected = catalogRanges(db, catalog);
          assertThat(loaded.ranges()).as("seed %d", seed).isEqualTo(expected);
          RouteTableTest.assertTiles(loaded);
        }
      }
    } finally {
      executor.shutdownNow();
    }
  }
}
