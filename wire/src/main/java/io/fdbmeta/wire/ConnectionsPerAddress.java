package io.fdbmeta.wire;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * Connections open per source address (the IP, not the port), against a cap shared by a server's
 * connections: the router's RESP port and a node's protocol port each have one. Addresses that are
 * not IP (an in-process channel) are not counted. Thread-safe; an address with no open connection
 * holds no entry.
 */
public final class ConnectionsPerAddress {
  private final int max;
  private final ConcurrentHashMap<InetAddress, Integer> open = new ConcurrentHashMap<>();

  /**
   * @throws IllegalArgumentException if {@code max} is below 1
   */
  public ConnectionsPerAddress(int max) {
    if (max < 1)
      throw new IllegalArgumentException("connections per address must be >= 1, got " + max);
    this.max = max;
  }

  public int max() {
    return max;
  }

  /** The IP of {@code remote}, or null if it has none (then it is not counted). */
  public static @Nullable InetAddress ipOf(@Nullable SocketAddress remote) {
    return remote instanceof InetSocketAddress a ? a.getAddress() : null;
  }

  /**
   * Counts one more connection from {@code ip} if that keeps it within the cap; false (nothing
   * counted) if it would not. A null ip is always admitted and never counted.
   */
  public boolean tryOpen(@Nullable InetAddress ip) {
    if (ip == null) return true;
    boolean[] admitted = {false};
    open.compute(
        ip,
        (k, n) -> {
          int now = n == null ? 0 : n;
          if (now >= max) return n;
          admitted[0] = true;
          return now + 1;
        });
    return admitted[0];
  }

  /** Uncounts a connection {@link #tryOpen} admitted. */
  public void close(@Nullable InetAddress ip) {
    if (ip != null) open.computeIfPresent(ip, (k, n) -> n <= 1 ? null : n - 1);
  }

  /** Connections open from {@code ip} now. */
  public int open(InetAddress ip) {
    return open.getOrDefault(ip, 0);
  }
}
