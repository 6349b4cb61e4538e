package io.fdbmeta.router;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** A raw HTTP/1.1 client on a plain socket: sends any bytes, however broken or slow. */
final class RawHttp implements AutoCloseable {
  private final Socket socket;

  RawHttp(InetSocketAddress address) throws IOException {
    socket = new Socket();
    socket.connect(address, 1_000);
    socket.setSoTimeout(5_000);
  }

  /** One {@code GET path} on a new connection: the reply's status line and body, as text. */
  static String get(InetSocketAddress address, String path, Duration timeout) throws IOException {
    try (RawHttp c = new RawHttp(address)) {
      c.socket.setSoTimeout((int) timeout.toMillis());
      c.send("GET " + path + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
      return c.readToEnd(Integer.MAX_VALUE);
    }
  }

  /** The status code of {@code get}'s text. */
  static int status(String reply) {
    return reply.startsWith("HTTP/1.1 ") ? Integer.parseInt(reply.substring(9, 12)) : -1;
  }

  void send(String text) throws IOException {
    send(text.getBytes(StandardCharsets.ISO_8859_1));
  }

  void send(byte[] bytes) throws IOException {
    socket.getOutputStream().write(bytes);
    socket.getOutputStream().flush();
  }

  /**
   * Everything the server sends until it closes the connection (or resets it), at most {@code max}
   * bytes kept; throws {@link SocketTimeoutException} if it stays open past the socket timeout.
   */
  String readToEnd(int max) throws IOException {
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    InputStream in = socket.getInputStream();
    byte[] buf = new byte[8192];
    try {
      for (int n; (n = in.read(buf)) >= 0; )
        if (got.size() < max) got.write(buf, 0, Math.min(n, max - got.size()));
    } catch (SocketTimeoutException e) {
      throw e;
    } catch (IOException reset) {
      // a reset is a close too
    }
    return got.toString(StandardCharsets.ISO_8859_1);
  }

  /** Bytes the server sends until it closes the connection; see {@link #readToEnd}. */
  long countToEnd() throws IOException {
    InputStream in = socket.getInputStream();
    byte[] buf = new byte[65536];
    long total = 0;
    try {
      for (int n; (n = in.read(buf)) >= 0; ) total += n;
    } catch (SocketTimeoutException e) {
      throw e;
    } catch (IOException reset) {
      // a reset is a close too
    }
    return total;
  }

  void timeout(Duration d) throws IOException {
    socket.setSoTimeout((int) d.toMillis());
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
