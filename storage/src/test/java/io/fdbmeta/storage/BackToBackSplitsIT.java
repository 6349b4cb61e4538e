package io.fdbmeta.storage;

import static io.fdbmeta.storage.Bytes.b;
import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.wire.NodeOp;
import io.fdbmeta.wire.NodeReply;
import io.fdbmeta.wire.ReplyStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Splits faster than the leaseholder's route feed follows: each split cuts the right child of the
 * one before, before the feed has brought that one. Every range must then take writes (the late
 * feed events once brought a split-again child back and left a hole in the node's key index, and
 * writes there failed replication with "no longer in a range of node").
 */
class BackToBackSplitsIT {
  @Test
  void splittingAFreshChildBeforeTheFeedBringsItLeavesEveryKeyWritable() throws Exception {
    try (TestClusters t = TestClusters.start("back-to-back", o -> o)) {
      LocalCluster c = t.cluster;
      for (int i = 1; i < 10; i++) c.split(b(Writers.key(i * 200)));
      c.awaitServing(Duration.ofSeconds(5));
      assertThat(c.ranges()).hasSize(10);
      List<String> failures = new ArrayList<>();
      try (RedirectingClient client = new RedirectingClient(c)) {
        for (int i = 0; i < 2000; i += 50) {
          String k = Writers.key(i);
          try {
            NodeReply r = client.call(NodeOp.SET, new byte[][] {b(k)}, new byte[][] {b("v" + i)});
            if (r.status() != ReplyStatus.OK)
              failures.add(k + ": " + r.status() + " " + r.message());
          } catch (Exception e) {
            failures.add(k + ": " + Async.describe(e));
          }
        }
      }
      assertThat(failures).as("writes that failed").isEmpty();
      for (StorageNode n : c.nodes()) {
        for (int i = 0; i < 2000; i += 50)
          assertThat(Bytes.s(n.localValue(b(Writers.key(i)))))
              .as("%s on %s", Writers.key(i), n.nodeId())
              .isEqualTo("v" + i);
      }
    }
  }
}
