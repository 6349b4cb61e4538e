package io.fdbmeta.layer;

import static io.fdbmeta.layer.RouteTableTest.at;
import static org.assertj.core.api.Assertions.assertThat;

import com.apple.foundationdb.KeyValue;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import org.junit.jupiter.api.Test;

/**
 * Pages of a load indexed by a helper thread, by the scan thread, or both, give the same table in
 * key order; a key without an end fails the load and stops the scan.
 */
class PageIndexerTest {
  private static final Keyspace KS = Keyspace.atPrefix("test", new byte[] {0x15, 0x0a});
  private static final int PREFIX = KS.rangeSubspace().getKey().length;

  private static List<List<KeyValue>> pages(List<RangeDescriptor> ranges, Random rnd) {
    List<RangeDescriptor> sorted = new ArrayList<>(ranges);
    sorted.sort((a, b) -> Arrays.compareUnsigned(KS.rangeKey(a.endKey()), KS.rangeKey(b.endKey())));
    List<List<KeyValue>> out = new ArrayList<>();
    for (int from = 0; from < sorted.size(); ) {
      int to = Math.min(sorted.size(), from + 1 + rnd.nextInt(900));
      List<KeyValue> page = new ArrayList<>();
      for (RangeDescriptor d : sorted.subList(from, to)) page.add(new KeyValue(KS.rangeKey(d.endKey()), d.encode()));
      out.add(page);
      from = to;
    }
    return out;
  }

  private static RouteSnapshot index(List<List<KeyValue>> pages, Executor helper) {
    PageIndexer indexer = new PageIndexer(PREFIX, helper);
    for (List<KeyValue> page : pages) indexer.submit(page).join();
    return indexer.finish(at(1)).join();
  }

  @Test
  void helperScanThreadOrBothGiveTheSameTable() {
    Random rnd = new Random(11);
    List<RangeDescriptor> ranges = LoadedTableTest.tiling(rnd, 20_000);
    List<List<KeyValue>> pages = pages(ranges, rnd);
    ExecutorService helper = Executors.newSingleThreadExecutor();
    List<Runnable> neverRun = new ArrayList<>();
    try {
      for (Executor e : List.<Executor>of(helper, Runnable::run, neverRun::add, r -> {
        throw new RejectedExecutionException("shut down");
      })) {
        RouteSnapshot s = index(pages, e);
        assertThat(s.size()).isEqualTo(ranges.size());
        assertThat(s.ranges()).isEqualTo(ranges);
        RouteTableTest.assertTiles(s);
      }
    } finally {
      helper.shutdownNow();
    }
  }

  @Test
  void keyWithoutEndFailsTheLoadAndStopsTheScan() {
    List<RangeDescriptor> ranges = LoadedTableTest.tiling(new Random(12), 50);
    List<List<KeyValue>> pages = pages(ranges, new Random(12));
    List<KeyValue> bad = new ArrayList<>(pages.get(0));
    byte[] key = KS.rangeKey(new byte[] {'a'});
    key[PREFIX] = 0x02; // a string, not a byte string: no end key
    bad.set(0, new KeyValue(key, bad.get(0).getValue()));
    PageIndexer indexer = new PageIndexer(PREFIX, Runnable::run);
    indexer.submit(bad).join();
    CompletableFuture<Void> next = indexer.submit(pages.get(0));
    assertThat(next).isCompletedExceptionally();
    assertThat(indexer.finish(at(1))).failsWithin(java.time.Duration.ofSeconds(5)).withThrowableThat()
        .havingCause().isInstanceOfSatisfying(MetaException.class, e -> assertThat(e.code()).isEqualTo(MetaException.Code.CORRUPT_RECORD));
  }
}
