package io.fdbmeta.storage;

import static io.fdbmeta.storage.Bytes.b;
import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.wire.NodeCodec;
import io.fdbmeta.wire.NodeOp;
import io.fdbmeta.wire.NodeReply;
import io.fdbmeta.wire.NodeRequest;
import io.fdbmeta.wire.ReplyStatus;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import org.junit.jupiter.api.Test;

/** Bad input closes the offending connection only. */
class MalformedFrameIT {
  static Socket connect(InetSocketAddress a) throws Exception {
    Socket s = new Socket(a.getAddress(), a.getPort());
    s.setSoTimeout(5000);
    return s;
  }

  static void write(Socket s, NodeRequest req) throws Exception {
    ByteBuf b = Unpooled.buffer();
    NodeCodec.encode(req, b);
    byte[] bytes = new byte[b.readableBytes()];
    b.readBytes(bytes);
    s.getOutputStream().write(bytes);
  }

  static NodeReply read(Socket s) throws Exception {
    DataInputStream in = new DataInputStream(s.getInputStream());
    byte[] frame = new byte[in.readInt()];
    in.readFully(frame);
    return NodeCodec.decodeReply(Unpooled.wrappedBuffer(frame));
  }

  static boolean closedByPeer(Socket s) throws Exception {
    try {
      read(s);
      return false;
    } catch (EOFException e) {
      return true;
    }
  }

  @Test
  void malformedFramesCloseOnlyTheirConnection() throws Exception {
    try (TestClusters t = TestClusters.start("malformed", o -> o.nodes(1).replication(1))) {
      StorageNode n = t.cluster.nodes().get(0);
      RangeDescriptor d = t.cluster.ranges().get(0);
      try (Socket good = connect(n.nodeSocketAddress());
          Socket badOp = connect(n.nodeSocketAddress());
          Socket huge = connect(n.nodeSocketAddress());
          Socket trailing = connect(n.nodeSocketAddress())) {
        write(good, NodeRequest.ping(1));
        assertThat(read(good).status()).isEqualTo(ReplyStatus.OK);

        OutputStream out = badOp.getOutputStream();
        out.write(new byte[] {0, 0, 0, 3, 1, 99, 0});
        NodeReply r = read(badOp);
        assertThat(r.status()).isEqualTo(ReplyStatus.ERROR);
        assertThat(r.message()).contains("unknown op code 99");
        assertThat(closedByPeer(badOp)).isTrue();

        huge.getOutputStream()
            .write(new byte[] {(byte) 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff, 1});
        assertThat(read(huge).message()).contains("malformed frame");
        assertThat(closedByPeer(huge)).isTrue();

        ByteBuf b = Unpooled.buffer();
        NodeCodec.encode(NodeRequest.ping(5), b);
        b.setInt(0, b.getInt(0) + 2);
        b.writeByte(0).writeByte(0);
        byte[] bytes = new byte[b.readableBytes()];
        b.readBytes(bytes);
        trailing.getOutputStream().write(bytes);
        assertThat(read(trailing).message()).contains("unexpected bytes");
        assertThat(closedByPeer(trailing)).isTrue();

        write(
            good,
            NodeRequest.set(
                2,
                d.rangeId(),
                d.generation(),
                d.leaseEpoch(),
                new byte[][] {b("k")},
                new byte[][] {b("v")}));
        assertThat(read(good).status()).isEqualTo(ReplyStatus.OK);
        write(
            good,
            NodeRequest.keys(3, NodeOp.GET, d.rangeId(), d.generation(), d.leaseEpoch(), b("k")));
        assertThat(read(good).values()[0]).isEqualTo(b("v"));
      }
    }
  }

  /** Found by NodeProtocolFuzzIT: requests framed after a malformed one were still served. */
  @Test
  void aRequestAfterAMalformedFrameIsNotServed() throws Exception {
    try (TestClusters t = TestClusters.start("after-malformed", o -> o.nodes(1).replication(1))) {
      StorageNode n = t.cluster.nodes().get(0);
      RangeDescriptor d = t.cluster.ranges().get(0);
      try (Socket bad = connect(n.nodeSocketAddress());
          Socket good = connect(n.nodeSocketAddress())) {
        ByteBuf b = Unpooled.buffer();
        b.writeBytes(new byte[] {0, 0, 0, 3, 1, 99, 0}); // unknown op code 99
        NodeCodec.encode(
            NodeRequest.set(
                2,
                d.rangeId(),
                d.generation(),
                d.leaseEpoch(),
                new byte[][] {b("after")},
                new byte[][] {b("garbage")}),
            b);
        NodeCodec.encode(NodeRequest.ping(3), b);
        byte[] bytes = new byte[b.readableBytes()];
        b.readBytes(bytes);
        bad.getOutputStream().write(bytes); // one write: the node reads all three at once
        NodeReply r = read(bad);
        assertThat(r.status()).isEqualTo(ReplyStatus.ERROR);
        assertThat(r.message()).contains("unknown op code 99");
        assertThat(closedByPeer(bad)).as("nothing after the ERROR reply").isTrue();
        write(
            good,
            NodeRequest.keys(
                4, NodeOp.GET, d.rangeId(), d.generation(), d.leaseEpoch(), b("after")));
        assertThat(read(good).values()[0]).as("the SET after the malformed frame").isNull();
      }
    }
  }
}
