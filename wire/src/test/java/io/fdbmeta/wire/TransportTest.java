package io.fdbmeta.wire;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class TransportTest {
  @Test
  void aGroupsTransportIsTheOneItWasMadeWith() {
    for (Transport t : availableTransports()) {
      EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, t.ioHandlerFactory());
      try {
        assertThat(Transport.of(group)).isEqualTo(t);
      } finally {
        group.shutdownGracefully().syncUninterruptibly();
      }
    }
    assertThat(Transport.NIO.socketChannel()).isEqualTo(NioSocketChannel.class);
    assertThat(Transport.EPOLL.socketChannel()).isEqualTo(EpollSocketChannel.class);
  }

  @Test
  void theSystemPropertyForcesNio() {
    String before = System.getProperty("fdbmeta.transport");
    System.setProperty("fdbmeta.transport", "NIO");
    try {
      assertThat(Transport.preferred()).isEqualTo(Transport.NIO);
    } finally {
      if (before == null) System.clearProperty("fdbmeta.transport");
      else System.setProperty("fdbmeta.transport", before);
    }
  }

  @Test
  void epollIsPreferredWhereItLoads() {
    Assumptions.assumeTrue(
        Epoll.isAvailable(), "native epoll does not load here: " + Epoll.unavailabilityCause());
    Assumptions.assumeTrue(
        System.getProperty("fdbmeta.transport") == null, "fdbmeta.transport is set");
    assertThat(Transport.preferred()).isEqualTo(Transport.EPOLL);
  }

  private static java.util.List<Transport> availableTransports() {
    return Epoll.isAvailable()
        ? java.util.List.of(Transport.values())
        : java.util.List.of(Transport.NIO);
  }
}
