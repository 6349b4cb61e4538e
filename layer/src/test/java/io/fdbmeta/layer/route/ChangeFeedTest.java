package io.fdbmeta.layer.route;

import static io.fdbmeta.layer.route.RouteFixtures.await;
import static io.fdbmeta.layer.route.RouteFixtures.key;
import static org.assertj.core.api.Assertions.assertThat;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.tuple.Versionstamp;
import io.fdbmeta.embedded.EmbeddedFdb;
import io.fdbmeta.layer.ChangeEvent;
import io.fdbmeta.layer.ChangelogTrimmer;
import io.fdbmeta.layer.Keyspace;
import io.fdbmeta.layer.LayerConfig;
import io.fdbmeta.layer.RangeCatalog;
import io.fdbmeta.layer.RangeDescriptor;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ChangeFeedTest {
  private final Database db = EmbeddedFdb.inMemory();
  private final Keyspace ks = Keyspace.open(db, "test");
  private final RangeCatalog catalog = new RangeCatalog(ks, LayerConfig.defaults());
  private ChangeFeed feed;

  @AfterEach
  void close() {
    if (feed != null) feed.close();
    db.close();
  }

  private static final class Recorder implements ChangeFeed.Listener {
    final List<ChangeEvent> events = new CopyOnWriteArrayList<>();
    final List<Versionstamp> resets = new CopyOnWriteArrayList<>();

    @Override
    public void onChanges(Versionstamp position, List<ChangeEvent> batch) {
      events.addAll(batch);
    }

    @Override
    public void onReset(Versionstamp head) {
      resets.add(head);
    }
  }

  @Test
  void deliversEveryCommitAfterTheHeadInOrder() {
    RangeDescriptor root = catalog.bootstrapAsync(db).join();
    feed =
        new ChangeFeed(
            db, ks, ChangeFeed.Options.builder().pollInterval(Duration.ofMillis(50)).build());
    Versionstamp head = feed.headAsync().join();
    Recorder r = new Recorder();
    feed.start(head, r);
    RangeCatalog.SplitResult s = catalog.split(db, root.rangeId(), key(50));
    await("split events", Duration.ofSeconds(5), () -> r.events.size() == 3, r.events::toString);
    assertThat(r.events.get(0).kind()).isEqualTo(ChangeEvent.Kind.REMOVE);
    assertThat(r.events.get(0).removedRangeId()).isEqualTo(root.rangeId());
    assertThat(r.events.subList(1, 3))
        .extracting(ChangeEvent::descriptor)
        .containsExactly(s.left(), s.right());
    assertThat(feed.position().compareTo(head)).isPositive();
    assertThat(ChangeFeed.commitVersion(feed.position()))
        .isGreaterThan(ChangeFeed.commitVersion(head));
    await(
        "meta_version seen",
        Duration.ofSeconds(5),
        () -> feed.metrics().metaVersion() >= ChangeFeed.commitVersion(feed.position()),
        () -> feed.metrics().toString());
    assertThat(r.resets).isEmpty();
  }

  @Test
  void aTrimmedPositionResetsToTheHead() {
    RangeDescriptor root = catalog.bootstrapAsync(db).join();
    Versionstamp old = new ChangeFeed(db, ks, ChangeFeed.Options.defaults()).headAsync().join();
    RangeDescriptor d = root;
    for (int i = 1; i <= 20; i++) d = catalog.split(db, d.rangeId(), key(i * 10)).right();
    new ChangelogTrimmer(ks, LayerConfig.builder().changelogRetention(5).build()).trim(db);
    feed =
        new ChangeFeed(
            db, ks, ChangeFeed.Options.builder().pollInterval(Duration.ofMillis(50)).build());
    Recorder r = new Recorder();
    feed.start(old, r);
    await(
        "reset", Duration.ofSeconds(5), () -> !r.resets.isEmpty(), () -> feed.metrics().toString());
    assertThat(r.events).isEmpty();
    assertThat(feed.metrics().resets()).isEqualTo(1);
  }
}
