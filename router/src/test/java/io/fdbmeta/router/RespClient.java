package io.fdbmeta.router;

import io.fdbmeta.wire.Resp;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** A blocking RESP client for tests: raw bytes out, parsed replies in. */
final class RespClient implements AutoCloseable {
  /** An error reply. */
  record Err(String text) {}

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  RespClient(InetSocketAddress address) throws IOException {
    socket = new Socket(address.getHostString(), address.getPort());
    socket.setSoTimeout(10_000);
    socket.setTcpNoDelay(true);
    in = new BufferedInputStream(socket.getInputStream());
    out = socket.getOutputStream();
  }

  static byte[] command(byte[]... args) {
    ByteBuf b = Unpooled.buffer();
    Resp.command(b, args);
    byte[] bytes = new byte[b.readableBytes()];
    b.readBytes(bytes);
    return bytes;
  }

  static byte[] command(String... args) {
    byte[][] a = new byte[args.length][];
    for (int i = 0; i < args.length; i++) a[i] = args[i].getBytes(StandardCharsets.UTF_8);
    return command(a);
  }

  void send(String... args) throws IOException {
    raw(command(args));
  }

  void send(byte[]... args) throws IOException {
    raw(command(args));
  }

  void raw(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  Object call(String... args) throws IOException {
    send(args);
    return read();
  }

  Object call(byte[]... args) throws IOException {
    send(args);
    return read();
  }

  /** Shuts down the write side: the server reads end-of-input, the client can still read. */
  void shutdownOutput() throws IOException {
    socket.shutdownOutput();
  }

  /** The next reply: String (simple), Err, Long, byte[] or null (bulk), List (array). */
  Object read() throws IOException {
    int type = in.read();
    if (type < 0) throw new EOFException("connection closed");
    String line = line();
    switch (type) {
      case '+':
        return line;
      case '-':
        return new Err(line);
      case ':':
        return Long.parseLong(line);
      case '$':
        {
          int n = Integer.parseInt(line);
          if (n < 0) return null;
          byte[] b = in.readNBytes(n);
          in.readNBytes(2);
          return b;
        }
      case '*':
        {
          int n = Integer.parseInt(line);
          if (n < 0) return null;
          List<Object> l = new ArrayList<>(n);
          for (int i = 0; i < n; i++) l.add(read());
          return l;
        }
      default:
        throw new IOException("bad reply type " + (char) type);
    }
  }

  /** True if the server closed the connection (reads EOF within the socket timeout). */
  boolean closedByServer() {
    try {
      return in.read() < 0;
    } catch (IOException e) {
      return true;
    }
  }

  private String line() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) != '\n') {
      if (c < 0) throw new EOFException("connection closed inside a reply");
      if (c != '\r') b.write(c);
    }
    return b.toString(StandardCharsets.UTF_8);
  }

  static String str(Object o) {
    return o instanceof byte[] ? new String((byte[]) o, StandardCharsets.UTF_8) : String.valueOf(o);
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
