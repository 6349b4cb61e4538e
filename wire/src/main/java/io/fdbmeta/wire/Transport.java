package io.fdbmeta.wire;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;

/**
 * The socket implementation under every event loop of the data path: Linux's native epoll where its
 * library loads, Java NIO elsewhere. Epoll reads and writes with fewer system calls and less
 * garbage, which is most of a proxy's cost per command. Set the system property {@code
 * fdbmeta.transport=nio} to force NIO (to compare, or to work around a native problem).
 */
public enum Transport {
  NIO,
  EPOLL;

  /** What this process uses for the event loops it creates. */
  public static Transport preferred() {
    if ("nio".equalsIgnoreCase(System.getProperty("fdbmeta.transport"))) return NIO;
    return Epoll.isAvailable() ? EPOLL : NIO;
  }

  /** The transport of an existing group, so channels made on it match its loops. */
  public static Transport of(EventLoopGroup group) {
    return group instanceof IoEventLoopGroup g && g.isIoType(EpollIoHandler.class) ? EPOLL : NIO;
  }

  public IoHandlerFactory ioHandlerFactory() {
    return this == EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
  }

  public Class<? extends SocketChannel> socketChannel() {
    return this == EPOLL ? EpollSocketChannel.class : NioSocketChannel.class;
  }

  public Class<? extends ServerSocketChannel> serverSocketChannel() {
    return this == EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
  }
}
