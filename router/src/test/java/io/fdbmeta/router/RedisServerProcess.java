package io.fdbmeta.router;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} on a free loopback port, without persistence, for tests that compare
 * the router with Redis. Fails with a clear message when redis-server is not installed.
 */
final class RedisServerProcess implements AutoCloseable {
  final int port;
  private final Process process;

  private RedisServerProcess(int port, Process process) {
    this.port = port;
    this.process = process;
  }

  static String binary() {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
      File f = new File(dir, "redis-server");
      if (f.canExecute()) return f.getPath();
    }
    throw new AssertionError(
        "redis-server is not installed: this test compares the router with a real Redis"
            + " (apt-get install -y redis-server; .ci/run installs it)");
  }

  static RedisServerProcess start() throws Exception {
    return start(new String[0], null);
  }

  /**
   * With more arguments for redis-server (e.g. {@code --aclfile F}); {@code password}, if not null,
   * is the default user's, used for the start-up PING.
   */
  static RedisServerProcess start(
      String[] extra, @org.jspecify.annotations.Nullable String password) throws Exception {
    String bin = binary();
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    java.util.List<String> cmd =
        new java.util.ArrayList<>(
            java.util.List.of(
                bin,
                "--port",
                Integer.toString(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no"));
    cmd.addAll(java.util.List.of(extra));
    Process p =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    RedisServerProcess r = new RedisServerProcess(port, p);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      try (Conn c = r.connect()) {
        if (password != null) c.call("AUTH", password);
        if (c.call("PING").equals("+PONG\r\n")) return r;
      } catch (IOException e) {
        if (!p.isAlive() || System.nanoTime() > deadline) {
          r.close();
          throw new AssertionError("redis-server did not start on port " + port, e);
        }
        Thread.sleep(20);
      }
    }
  }

  InetSocketAddress address() {
    return new InetSocketAddress("127.0.0.1", port);
  }

  Conn connect() throws IOException {
    return new Conn(address());
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }

  /** A RESP connection that returns each reply as its raw bytes (RESP2 or RESP3), as text. */
  static final class Conn implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    Conn(InetSocketAddress address) throws IOException {
      socket = new Socket(address.getHostString(), address.getPort());
      socket.setSoTimeout(10_000);
      socket.setTcpNoDelay(true);
      in = new BufferedInputStream(socket.getInputStream());
      out = socket.getOutputStream();
    }

    /** Sends a command and returns its reply's bytes as ISO-8859-1 text. */
    String call(String... args) throws IOException {
      out.write(RespClient.command(args));
      out.flush();
      return read();
    }

    String read() throws IOException {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      value(b);
      return b.toString(StandardCharsets.ISO_8859_1);
    }

    private void value(ByteArrayOutputStream b) throws IOException {
      int type = in.read();
      if (type < 0) throw new EOFException("connection closed");
      b.write(type);
      String line = line(b);
      switch (type) {
        case '$', '=', '!' -> {
          int n = Integer.parseInt(line);
          if (n >= 0) b.write(in.readNBytes(n + 2));
        }
        case '*', '~', '>' -> {
          int n = Integer.parseInt(line);
          for (int i = 0; i < n; i++) value(b);
        }
        case '%', '|' -> {
          int n = Integer.parseInt(line);
          for (int i = 0; i < 2 * n; i++) value(b);
        }
        default -> {}
      }
    }

    private String line(ByteArrayOutputStream b) throws IOException {
      StringBuilder sb = new StringBuilder();
      int c;
      while ((c = in.read()) != '\r') {
        if (c < 0) throw new EOFException("connection closed in a line");
        sb.append((char) c);
      }
      in.read();
      byte[] l = sb.toString().getBytes(StandardCharsets.ISO_8859_1);
      b.write(l);
      b.write('\r');
      b.write('\n');
      return sb.toString();
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
