package io.fdbmeta.storage;

import static io.fdbmeta.storage.Bytes.b;
import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.layer.ChangeEvent;
import io.fdbmeta.layer.LayerConfig;
import io.fdbmeta.layer.Lease;
import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.wire.NodeCodec;
import io.fdbmeta.wire.NodeOp;
import io.fdbmeta.wire.NodeReply;
import io.fdbmeta.wire.NodeRequest;
import io.fdbmeta.wire.ReplyStatus;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The node protocol's request path through a real pipeline (EmbeddedChannel), without sockets or a
 * database.
 */
class RequestProcessorTest {
  static final long START = 1_700_000_000_000L;
  static final long RANGE = 10;
  static final RangeDescriptor D =
      new RangeDescriptor(RANGE, b("b"), b("m"), 4, List.of("n1", "n2", "n3"), "n1", 3);
  static final RangeDescriptor RIGHT =
      new RangeDescriptor(11, b("m"), null, 4, List.of("n2", "n3", "n4"), "n2", 7);

  final FakeClock clock = new FakeClock(START);
  final LayerConfig config =
      LayerConfig.builder()
          .clock(clock)
          .leaseDuration(Duration.ofSeconds(2))
          .maxClockOffset(Duration.ofMillis(500))
          .livenessDuration(Duration.ofSeconds(2))
          .build();
  final DataStore store = new DataStore();
  final List<Replica> needSync = new ArrayList<>();
  final ReplicaSet replicas =
      new ReplicaSet(
          "n1",
          config,
          new ReplicaSet.Hooks() {
            @Override
            public void syncNeeded(Replica r) {
              needSync.add(r);
            }

            @Override
            public void leaseNeeded(Replica r) {}

            @Override
            public void dropped(Span span) {}
          });
  final AtomicInteger catchUps = new AtomicInteger();
  final AtomicInteger leaseAttention = new AtomicInteger();
  final List<ReplicatedWrite> replicated = new ArrayList<>();
  CompletableFuture<Void> replication = CompletableFuture.completedFuture(null);

  /** The test's connection is node n2's, vouched for at incarnation 5. */
  final PeerAuth.Session n2 = vouched("n2", 5);

  final PeerAuth auth = new PeerAuth();
  long vouchedIncarnation;
  RequestProcessor processor;
  EmbeddedChannel ch;
  Replica r;

  @BeforeEach
  void setUp() {
    processor =
        new RequestProcessor(
            "n1",
            auth,
            1 << 16,
            replicas,
            store,
            new RequestProcessor.Environment() {
              @Override
              public void catchUp() {
                catchUps.incrementAndGet();
              }

              @Override
              public @Nullable RangeDescriptor routeOf(byte[] key) {
                return RIGHT.contains(key) ? RIGHT : null;
              }

              @Override
              public CompletableFuture<Void> replicate(
                  ReplicatedWrite write, List<String> targets) {
                assertThat(targets).containsExactly("n2", "n3");
                replicated.add(write);
                return replication;
              }

              @Override
              public void leaseAttention(Replica r) {
                leaseAttention.incrementAndGet();
              }

              @Override
              public CompletableFuture<Long> vouch(String node, byte[] token) {
                return CompletableFuture.completedFuture(vouchedIncarnation);
              }
            },
            clock);
    processor.open(new WriteSequence(1));
    replicas.apply(List.of(ChangeEvent.upsert(D)));
    r = replicas.byId(RANGE);
    assertThat(needSync).containsExactly(r); // epoch 3: data must be fetched first
    r.markSynced();
    r.leaseChanged(new Lease("n1", 3, START + 2000, 1));
    ch = new EmbeddedChannel();
    NodeCodec.serverPipeline(ch.pipeline(), 1 << 16);
    ch.pipeline().addLast(new NodeRequestHandler(processor, new AtomicInteger(), n2));
  }

  static PeerAuth.Session vouched(String node, long incarnation) {
    PeerAuth.Session s = new PeerAuth.Session();
    s.vouched(node, incarnation);
    return s;
  }

  /** Sends on a new connection with {@code session}. */
  NodeReply sendAs(PeerAuth.Session session, NodeRequest req) {
    EmbeddedChannel other = new EmbeddedChannel();
    NodeCodec.serverPipeline(other.pipeline(), 1 << 16);
    other.pipeline().addLast(new NodeRequestHandler(processor, new AtomicInteger(), session));
    ByteBuf in = Unpooled.buffer();
    NodeCodec.encode(req, in);
    other.writeInbound(in);
    other.runPendingTasks();
    ByteBuf out = other.readOutbound();
    assertThat(out).as("a reply").isNotNull();
    try {
      out.skipBytes(4);
      return NodeCodec.decodeReply(out);
    } finally {
      out.release();
    }
  }

  NodeReply send(NodeRequest req) {
    ByteBuf in = Unpooled.buffer();
    NodeCodec.encode(req, in);
    ch.writeInbound(in);
    return reply();
  }

  @Nullable NodeReply poll() {
    ch.runPendingTasks();
    ByteBuf out = ch.readOutbound();
    if (out == null) return null;
    try {
      out.skipBytes(4);
      return NodeCodec.decodeReply(out);
    } finally {
      out.release();
    }
  }

  NodeReply reply() {
    NodeReply reply = poll();
    assertThat(reply).as("a reply").isNotNull();
    return reply;
  }

  static NodeRequest set(long id, long range, long gen, long epoch, String key, String value) {
    return NodeRequest.set(id, range, gen, epoch, new byte[][] {b(key)}, new byte[][] {b(value)});
  }

  static NodeRequest get(long id, long range, long gen, long epoch, String... keys) {
    byte[][] k = new byte[keys.length][];
    for (int i = 0; i < keys.length; i++) k[i] = b(keys[i]);
    return NodeRequest.keys(id, NodeOp.GET, range, gen, epoch, k);
  }

  static RangeDescriptor descriptorOf(NodeReply reply) {
    assertThat(reply.descriptor()).as("descriptor in %s", reply).isNotNull();
    return RangeDescriptor.decode(reply.descriptor());
  }

  @Test
  void servesReadsAndWritesAtTheCurrentHeader() {
    NodeReply set = send(set(1, RANGE, 4, 3, "c", "v1"));
    assertThat(set.status()).isEqualTo(ReplyStatus.OK);
    assertThat(set.number()).isEqualTo(1);
    assertThat(replicated).hasSize(1);
    NodeReply got = send(get(2, RANGE, 4, 3, "c", "d"));
    assertThat(got.status()).isEqualTo(ReplyStatus.OK);
    assertThat(got.values()).isDeepEqualTo(new byte[][] {b("v1"), null});
    assertThat(send(NodeRequest.keys(3, NodeOp.EXISTS, RANGE, 4, 3, b("c"), b("d"))).number())
        .isEqualTo(1);
    NodeReply scan = send(NodeRequest.scan(4, NodeOp.SCAN, RANGE, 4, 3, b("b"), new byte[0], 10));
    assertThat(scan.values()).isDeepEqualTo(new byte[][] {b("c"), b("v1")});
    assertThat(scan.number()).isZero();
    NodeReply del = send(NodeRequest.keys(5, NodeOp.DEL, RANGE, 4, 3, b("c"), b("d")));
    assertThat(del.number()).isEqualTo(1);
    assertThat(store.get(b("c"))).isNull();
    assertThat(send(NodeRequest.ping(6)).status()).isEqualTo(ReplyStatus.OK);
  }

  @Test
  void staleGenerationOrEpochGetsTheCurrentDescriptor() {
    for (NodeRequest req :
        List.of(
            get(1, RANGE, 3, 3, "c"), get(2, RANGE, 4, 2, "c"), set(3, RANGE, 3, 9, "c", "x"))) {
      NodeReply reply = send(req);
      assertThat(reply.status()).isEqualTo(ReplyStatus.STALE_EPOCH);
      assertThat(descriptorOf(reply)).isEqualTo(D);
      assertThat(reply.message()).contains("older");
    }
    assertThat(store.get(b("c"))).isNull();
  }

  @Test
  void newerHeaderMeansThisNodeIsBehind() {
    NodeReply reply = send(get(1, RANGE, 5, 3, "c"));
    assertThat(reply.status()).isEqualTo(ReplyStatus.OVERLOADED);
    assertThat(reply.message()).contains("catching up");
    assertThat(catchUps).hasValue(1);
    assertThat(send(get(2, RANGE, 4, 4, "c")).status()).isEqualTo(ReplyStatus.OVERLOADED);
  }

  @Test
  void unknownRangeGetsTheDescriptorOfTheKeysRange() {
    NodeReply reply = send(get(1, 99, 4, 3, "c"));
    assertThat(reply.status()).isEqualTo(ReplyStatus.WRONG_RANGE);
    assertThat(descriptorOf(reply)).isEqualTo(D);
    NodeReply elsewhere = send(get(2, 11, 4, 7, "x"));
    assertThat(elsewhere.status()).isEqualTo(ReplyStatus.WRONG_RANGE);
    assertThat(descriptorOf(elsewhere)).isEqualTo(RIGHT);
  }

  @Test
  void keyOutsideTheRangeIsRefusedWithTheRangeThatHoldsIt() {
    NodeReply reply = send(set(1, RANGE, 4, 3, "x", "v"));
    assertThat(reply.status()).isEqualTo(ReplyStatus.WRONG_RANGE);
    assertThat(descriptorOf(reply)).isEqualTo(RIGHT);
    assertThat(reply.message()).contains("outside range 10");
    NodeReply partly = send(get(2, RANGE, 4, 3, "c", "a"));
    assertThat(partly.status()).isEqualTo(ReplyStatus.WRONG_RANGE);
    assertThat(descriptorOf(partly)).isEqualTo(D); // no better knowledge of "a"
    NodeReply scan = send(NodeRequest.scan(3, NodeOp.SCAN, RANGE, 4, 3, b("c"), b("z"), 10));
    assertThat(scan.status()).isEqualTo(ReplyStatus.WRONG_RANGE);
    assertThat(store.get(b("x"))).isNull();
  }

  @Test
  void notLeaseholderNamesTheHolder() {
    RangeDescriptor moved = new RangeDescriptor(RANGE, b("b"), b("m"), 4, D.replicas(), "n2", 4);
    assertThat(r.learn(moved)).isFalse();
    NodeReply reply = send(get(1, RANGE, 4, 4, "c"));
    assertThat(reply.status()).isEqualTo(ReplyStatus.NOT_LEASEHOLDER);
    assertThat(descriptorOf(reply)).isEqualTo(moved);
    assertThat(reply.message()).contains("n2 does");
  }

  @Test
  void expiringLeaseAsksForRetryAndRenewal() {
    clock.advanceMillis(1500); // within maxClockOffset of expiry
    NodeReply reply = send(get(1, RANGE, 4, 3, "c"));
    assertThat(reply.status()).isEqualTo(ReplyStatus.OVERLOADED);
    assertThat(reply.message()).contains("renewed");
    assertThat(leaseAttention).hasValue(1);
    r.leaseChanged(new Lease("n1", 3, clock.millis() + 2000, 1));
    assertThat(send(get(2, RANGE, 4, 3, "c")).status()).isEqualTo(ReplyStatus.OK);
  }

  @Test
  void revokedLeaseWhileStillNamedHolderAsksForRetry() {
    r.revoke();
    NodeReply reply = send(get(1, RANGE, 4, 3, "c"));
    assertThat(reply.status()).isEqualTo(ReplyStatus.OVERLOADED);
    assertThat(reply.message()).contains("handed over");
  }

  @Test
  void unsyncedReplicaDoesNotServe() {
    r.markUnsynced();
    assertThat(send(get(1, RANGE, 4, 3, "c")).status()).isEqualTo(ReplyStatus.OVERLOADED);
  }

  @Test
  void blockedWritesAskForRetryWhileReadsGoOn() {
    r.blockWrites(true);
    NodeReply reply = send(set(1, RANGE, 4, 3, "c", "v"));
    assertThat(reply.status()).isEqualTo(ReplyStatus.OVERLOADED);
    assertThat(send(get(2, RANGE, 4, 3, "c")).status()).isEqualTo(ReplyStatus.OK);
    assertThat(store.get(b("c"))).isNull();
  }

  @Test
  void writeIsAcknowledgedOnlyAfterReplication() {
    replication = new CompletableFuture<>();
    ByteBuf in = Unpooled.buffer();
    NodeCodec.encode(set(1, RANGE, 4, 3, "c", "v"), in);
    ch.writeInbound(in);
    assertThat(poll()).as("no reply before the replicas stored it").isNull();
    assertThat(r.writesInFlight()).isEqualTo(1);
    replication.complete(null);
    assertThat(reply().status()).isEqualTo(ReplyStatus.OK);
    assertThat(r.writesInFlight()).isZero();
  }

  @Test
  void failedReplicationIsNotAcknowledged() {
    replication =
        CompletableFuture.failedFuture(new TimeoutException("replica n3 did not store the write"));
    NodeReply reply = send(set(1, RANGE, 4, 3, "c", "v"));
    assertThat(reply.status()).isEqualTo(ReplyStatus.OVERLOADED);
    assertThat(reply.message()).contains("not acknowledged").contains("n3");
    assertThat(r.writesInFlight()).isZero();
  }

  @Test
  void badRequestsGetAnError() {
    NodeReply noKeys =
        send(new NodeRequest(1, NodeOp.GET, RANGE, 4, 3, 0, new byte[0][], new byte[0][]));
    assertThat(noKeys.status()).isEqualTo(ReplyStatus.ERROR);
    assertThat(noKeys.message()).contains("at least one key");
    NodeReply noValue =
        send(new NodeRequest(2, NodeOp.SET, RANGE, 4, 3, 0, new byte[][] {b("c")}, new byte[0][]));
    assertThat(noValue.status()).isEqualTo(ReplyStatus.ERROR);
    NodeReply badScan = send(NodeRequest.scan(3, NodeOp.SCAN, RANGE, 4, 3, b("d"), b("c"), 10));
    assertThat(badScan.status()).isEqualTo(ReplyStatus.ERROR);
    assertThat(ch.isActive()).isTrue();
  }

  @Test
  void malformedFrameGetsAnErrorAndClosesTheConnection() {
    ByteBuf in = Unpooled.buffer();
    in.writeInt(3).writeByte(1).writeByte(99).writeByte(0); // version 1, op 99
    ch.writeInbound(in);
    NodeReply reply = reply();
    assertThat(reply.status()).isEqualTo(ReplyStatus.ERROR);
    assertThat(reply.id()).isZero();
    assertThat(reply.message()).contains("malformed frame").contains("unknown op code 99");
    ch.runPendingTasks();
    assertThat(ch.isActive()).isFalse();
  }

  @Test
  void oversizedFrameIsRefusedBeforeBuffering() {
    ByteBuf in = Unpooled.buffer();
    in.writeInt(1 << 20).writeByte(1);
    ch.writeInbound(in);
    NodeReply reply = reply();
    assertThat(reply.status()).isEqualTo(ReplyStatus.ERROR);
    assertThat(reply.message()).contains("malformed frame");
    ch.runPendingTasks();
    assertThat(ch.isActive()).isFalse();
  }

  // ---------------------------------------------------------------- follower side

  @Test
  void replicateIsTakenOnlyAtTheExactViewFromTheNamedLeaseholder() {
    RangeDescriptor follower = new RangeDescriptor(RANGE, b("b"), b("m"), 4, D.replicas(), "n2", 4);
    r.learn(follower);
    long seq = 5L << WriteSequence.COUNTER_BITS | 6;
    NodeReply ok = send(replicate(seq, 4, 4, "c", "v6"));
    assertThat(ok.status()).isEqualTo(ReplyStatus.OK);
    assertThat(ok.number()).isEqualTo(seq);
    assertThat(store.get(b("c"))).isEqualTo(b("v6"));

    NodeReply old = send(replicate(seq + 1, 4, 3, "c", "old-epoch"));
    assertThat(old.status()).isEqualTo(ReplyStatus.STALE_EPOCH);
    assertThat(descriptorOf(old)).isEqualTo(follower);
    NodeReply ahead = send(replicate(seq + 2, 5, 4, "c", "new-generation"));
    assertThat(ahead.status()).isEqualTo(ReplyStatus.OVERLOADED);
    assertThat(catchUps).hasValue(1);
    assertThat(store.get(b("c"))).isEqualTo(b("v6"));
  }

  @Test
  void reorderedOrDuplicatedReplicateCannotRegressAValue() {
    r.learn(new RangeDescriptor(RANGE, b("b"), b("m"), 4, D.replicas(), "n2", 4));
    long base = 5L << WriteSequence.COUNTER_BITS;
    assertThat(send(replicate(base | 7, 4, 4, "c", "v7")).status()).isEqualTo(ReplyStatus.OK);
    assertThat(send(replicate(base | 6, 4, 4, "c", "v6")).status())
        .isEqualTo(ReplyStatus.OK); // arrives late
    assertThat(send(replicate(base | 7, 4, 4, "c", "v7")).status())
        .isEqualTo(ReplyStatus.OK); // duplicate
    assertThat(store.get(b("c"))).isEqualTo(b("v7"));
    assertThat(send(replicateDelete(base | 5, 4, 4, "c")).status())
        .isEqualTo(ReplyStatus.OK); // an older delete
    assertThat(store.get(b("c"))).isEqualTo(b("v7"));
    assertThat(send(replicateDelete(base | 8, 4, 4, "c")).status()).isEqualTo(ReplyStatus.OK);
    assertThat(send(replicate(base | 7, 4, 4, "c", "v7")).status())
        .isEqualTo(ReplyStatus.OK); // older than the delete
    assertThat(store.get(b("c"))).isNull();
  }

  @Test
  void replicateToTheLeaseholderItselfIsRefused() {
    NodeReply reply = send(replicate(1, 4, 3, "c", "v"));
    assertThat(reply.status()).isEqualTo(ReplyStatus.STALE_EPOCH);
    assertThat(store.get(b("c"))).isNull();
  }

  @Test
  void fetchServesTheRangeInPagesAtTheCurrentGeneration() {
    for (String k : List.of("c", "d", "e")) send(set(1, RANGE, 4, 3, k, k + "!"));
    NodeReply page = send(NodeRequest.scan(-1, NodeOp.FETCH, RANGE, 4, 3, b("a"), new byte[0], 2));
    assertThat(page.status()).isEqualTo(ReplyStatus.OK);
    assertThat(page.values())
        .isDeepEqualTo(new byte[][] {b("c"), b("c!"), null, b("d"), b("d!"), null});
    assertThat(page.number()).isEqualTo(1);
    NodeReply rest =
        send(NodeRequest.scan(-2, NodeOp.FETCH, RANGE, 4, 3, b("d\0"), new byte[0], 2));
    assertThat(rest.values()).isDeepEqualTo(new byte[][] {b("e"), b("e!"), null});
    assertThat(rest.number()).isZero();
    assertThat(
            send(NodeRequest.scan(-3, NodeOp.FETCH, RANGE, 5, 3, b("b"), new byte[0], 2)).status())
        .isEqualTo(ReplyStatus.OVERLOADED);
    assertThat(
            send(NodeRequest.scan(-4, NodeOp.FETCH, RANGE, 3, 3, b("b"), new byte[0], 2)).status())
        .isEqualTo(ReplyStatus.STALE_EPOCH);
  }

  // ---------------------------------------------------------------- reply budget (limit 64 KiB)

  @Test
  void getWhoseReplyExceedsTheFrameLimitFailsAloneBeforeItIsBuilt() {
    send(set(1, RANGE, 4, 3, "c", "x".repeat(20_000)));
    NodeRequest sixTimes =
        new NodeRequest(
            2,
            NodeOp.GET,
            RANGE,
            4,
            3,
            0,
            new byte[][] {b("c"), b("c"), b("c"), b("c"), b("c"), b("c")},
            new byte[0][]);
    NodeReply tooLarge = send(sixTimes);
    assertThat(tooLarge.status()).isEqualTo(ReplyStatus.ERROR);
    assertThat(tooLarge.message()).contains("reply would be").contains("65536");
    assertThat(ch.isActive()).isTrue();
    assertThat(send(get(3, RANGE, 4, 3, "c")).values()[0]).hasSize(20_000);
  }

  @Test
  void scanPagesEndAtTheReplyBudget() {
    for (String k : List.of("c", "d", "e", "f")) send(set(1, RANGE, 4, 3, k, "y".repeat(20_000)));
    NodeReply page = send(NodeRequest.scan(2, NodeOp.SCAN, RANGE, 4, 3, b("c"), new byte[0], 10));
    assertThat(page.status()).isEqualTo(ReplyStatus.OK);
    assertThat(page.values().length).isEqualTo(6); // three pairs fit 64 KiB, four do not
    assertThat(page.number()).isEqualTo(1);
  }

  // ---------------------------------------------------------------- who may act as a peer

  @Test
  void forgedHugeSequenceReplicateFromAnUnauthenticatedConnectionStoresNothing() {
    r.learn(new RangeDescriptor(RANGE, b("b"), b("m"), 4, D.replicas(), "n2", 4));
    long huge = 5L << WriteSequence.COUNTER_BITS | ((1L << WriteSequence.COUNTER_BITS) - 1);
    NodeReply forged = sendAs(new PeerAuth.Session(), replicate(huge, 4, 4, "c", "forged"));
    assertThat(forged.status()).isEqualTo(ReplyStatus.ERROR);
    assertThat(forged.message()).contains("authenticated");
    assertThat(store.get(b("c"))).isNull();
    long next = 5L << WriteSequence.COUNTER_BITS | 1;
    assertThat(send(replicate(next, 4, 4, "c", "acknowledged")).status()).isEqualTo(ReplyStatus.OK);
    assertThat(store.get(b("c"))).isEqualTo(b("acknowledged"));
  }

  @Test
  void replicateFromAnotherPeerOrAnotherIncarnationIsRefused() {
    r.learn(new RangeDescriptor(RANGE, b("b"), b("m"), 4, D.replicas(), "n2", 4));
    NodeReply fromN3 =
        sendAs(vouched("n3", 5), replicate(5L << WriteSequence.COUNTER_BITS | 1, 4, 4, "c", "x"));
    assertThat(fromN3.status()).isEqualTo(ReplyStatus.ERROR);
    assertThat(fromN3.message()).contains("only its leaseholder n2");
    NodeReply otherIncarnation =
        send(replicate(6L << WriteSequence.COUNTER_BITS | 1, 4, 4, "c", "x"));
    assertThat(otherIncarnation.status()).isEqualTo(ReplyStatus.ERROR);
    assertThat(store.get(b("c"))).isNull();
  }

  @Test
  void fetchIsServedOnlyToAnotherReplicaOfTheRange() {
    send(set(1, RANGE, 4, 3, "c", "c!"));
    NodeRequest fetch = NodeRequest.scan(-1, NodeOp.FETCH, RANGE, 4, 3, b("a"), new byte[0], 2);
    assertThat(sendAs(new PeerAuth.Session(), fetch).status()).isEqualTo(ReplyStatus.ERROR);
    NodeReply stranger = sendAs(vouched("n4", 1), fetch);
    assertThat(stranger.status()).isEqualTo(ReplyStatus.ERROR);
    assertThat(stranger.message()).contains("not another replica");
    assertThat(stranger.values().length).isZero();
    assertThat(sendAs(vouched("n3", 1), fetch).values().length).isEqualTo(3);
  }

  @Test
  void helloMakesTheConnectionThePeersOnlyWhenThePeerVouches() {
    PeerAuth.Session session = new PeerAuth.Session();
    NodeRequest hello =
        new NodeRequest(
            Long.MIN_VALUE,
            NodeOp.HELLO,
            0,
            0,
            0,
            0,
            new byte[][] {b("n2"), new byte[16]},
            new byte[0][]);
    vouchedIncarnation = 0;
    assertThat(sendAs(session, hello).status()).isEqualTo(ReplyStatus.ERROR);
    assertThat(session.node()).isNull();
    vouchedIncarnation = 9;
    assertThat(sendAs(session, hello).status()).isEqualTo(ReplyStatus.OK);
    assertThat(session.node()).isEqualTo("n2");
    assertThat(session.incarnation()).isEqualTo(9);
  }

  @Test
  void vouchAnswersOnlyForATokenIssuedToTheAsker() {
    byte[] token = auth.issue("n2");
    NodeReply yes = send(vouch(token, "n2"));
    assertThat(yes.number()).isEqualTo(1); // this processor's incarnation
    assertThat(send(vouch(token, "n3")).number()).isZero();
    auth.withdraw(token);
    assertThat(send(vouch(token, "n2")).number()).isZero();
  }

  static NodeRequest vouch(byte[] token, String asker) {
    return new NodeRequest(
        -9, NodeOp.VOUCH, 0, 0, 0, 0, new byte[][] {token, b(asker)}, new byte[0][]);
  }

  @Test
  void startingOrStoppingNodeAsksForRetry() {
    processor.refuse("node n1 is shutting down");
    NodeReply reply = send(get(1, RANGE, 4, 3, "c"));
    assertThat(reply.status()).isEqualTo(ReplyStatus.OVERLOADED);
    assertThat(reply.message()).isEqualTo("node n1 is shutting down");
    assertThat(send(NodeRequest.ping(2)).status()).isEqualTo(ReplyStatus.OK);
  }

  static NodeRequest replicate(long seq, long gen, long epoch, String key, String value) {
    return new NodeRequest(
        seq,
        NodeOp.REPLICATE,
        RANGE,
        gen,
        epoch,
        0,
        new byte[][] {b(key)},
        new byte[][] {b(value)});
  }

  static NodeRequest replicateDelete(long seq, long gen, long epoch, String key) {
    return new NodeRequest(
        seq, NodeOp.REPLICATE, RANGE, gen, epoch, 0, new byte[][] {b(key)}, new byte[][] {null});
  }
}
