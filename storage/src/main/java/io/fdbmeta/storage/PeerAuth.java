package io.fdbmeta.storage;

import io.fdbmeta.wire.ClusterTls;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/*
 * Who is on the other end of a node protocol connection. With cluster TLS, certificates say whether
 * it is a node at all (ClusterTls); HELLO and VOUCH say which node, and which incarnation of it.
 *
 * A node opening a connection to a peer first sends HELLO(its id, a fresh 128-bit token). The
 * receiver does not believe the id: it asks the named node, on its own connection to the address
 * the node registry holds for that id, to VOUCH for the token. The named node says yes only for a
 * token it issued on a connection to exactly the asking node (and answers with its incarnation), so
 * a third party can neither guess a token nor replay one it was handed by a node that dialled it
 * (a stale registry address now bound by someone else). Once vouched, the connection is the
 * peer's, with that incarnation; REPLICATE and FETCH are taken only on such connections (see
 * Replicator's header for how replication uses it).
 *
 * Tokens are forgotten when their connection closes. VOUCH travels on separate connections that
 * say no HELLO, so two nodes greeting each other at once do not wait on each other.
 */
/** Tokens this node issued on its connections to peers, and the check of a peer's HELLO. */
final class PeerAuth {
  private static final SecureRandom RANDOM = new SecureRandom();

  private final ConcurrentHashMap<String, String> issued = new ConcurrentHashMap<>();

  /** A new token for a connection to {@code target}. */
  byte[] issue(String target) {
    byte[] token = new byte[16];
    RANDOM.nextBytes(token);
    issued.put(HexFormat.of().formatHex(token), target);
    return token;
  }

  void withdraw(byte[] token) {
    issued.remove(HexFormat.of().formatHex(token));
  }

  /** True if this node issued {@code token} on a connection to {@code asker}. */
  boolean issuedTo(byte[] token, String asker) {
    return asker.equals(issued.get(HexFormat.of().formatHex(token)));
  }

  /**
   * The peer a node protocol connection was vouched for; one per connection. With cluster TLS, the
   * connection may act as a peer only if its certificate is a node's (ClusterTls).
   */
  static final class Session {
    private final boolean certificateRequired;
    private volatile ClusterTls.@Nullable Role certified;
    private volatile @Nullable String node;
    private volatile long incarnation;

    /** A session of a plaintext port: HELLO and VOUCH alone say who the peer is. */
    Session() {
      this(false);
    }

    Session(boolean certificateRequired) {
      this.certificateRequired = certificateRequired;
    }

    /** The role the connection's verified certificate claims (set once TLS says so). */
    void certified(ClusterTls.Role role) {
      this.certified = role;
    }

    /** True if the connection may say HELLO or ask for a VOUCH: a node's certificate or no TLS. */
    boolean mayActAsPeer() {
      return !certificateRequired || certified == ClusterTls.Role.NODE;
    }

    /** The vouched peer, or null while the connection has not (or not yet) said HELLO. */
    @Nullable String node() {
      return node;
    }

    long incarnation() {
      return incarnation;
    }

    void vouched(String node, long incarnation) {
      this.incarnation = incarnation;
      this.node = node;
    }

    /** "node n2 (incarnation 5)" or "an unauthenticated connection", for messages. */
    String describe() {
      String n = node;
      if (n != null) return "node " + n + " (incarnation " + incarnation + ")";
      ClusterTls.Role r = certified;
      return r == null
          ? "an unauthenticated connection"
          : "a connection with a " + r.name().toLowerCase(java.util.Locale.ROOT) + " certificate";
    }
  }
}
