package io.fdbmeta.router;

import io.netty.channel.Channel;
import org.jspecify.annotations.Nullable;

/**
 * What Redis keeps about a client connection and the connection commands change: its id, the
 * protocol it negotiated with HELLO (2 or 3), its user, its name and the library it said it is. On
 * the connection's event loop.
 */
final class ClientState {
  final long id;
  final Channel channel;
  final long createdNanos;

  /** 2 until HELLO 3; RESET brings it back to 2. */
  int proto = 2;

  /**
   * Who the connection is authenticated as: null until AUTH when auth is on, Redis's passwordless
   * default user when it is off. RESET brings it back to that.
   */
  Users.@Nullable User user;

  byte @Nullable [] name;

  /** AUTHs (and HELLO AUTHs) that failed on this connection. */
  int failedAuths;

  @Nullable String libName;
  @Nullable String libVersion;

  ClientState(long id, Channel channel, long createdNanos, Users.@Nullable User user) {
    this.id = id;
    this.channel = channel;
    this.createdNanos = createdNanos;
    this.user = user;
  }

  boolean resp3() {
    return proto == 3;
  }
}
