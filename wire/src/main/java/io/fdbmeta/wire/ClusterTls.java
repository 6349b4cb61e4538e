package io.fdbmeta.wire;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslProvider;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Set;
import java.util.function.Consumer;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.jspecify.annotations.Nullable;

/*
 * Mutual TLS on the node protocol: every connection from a router to a node and from a node to a
 * peer is TLS with a certificate on both sides, each signed by the cluster's own CA.
 *
 * A certificate says what its holder is by the organizational unit of its subject: OU=node for
 * storage nodes (serverAuth and clientAuth, since a node both serves and dials its peers), OU=router
 * for routers (clientAuth). A node takes a connection only from a certificate of its CA with one of
 * these units, and peer operations (HELLO, VOUCH, hence REPLICATE and FETCH) only from OU=node, so a
 * router's key, which sits on more machines, cannot move a replica. Whoever dials a node checks that
 * the certificate it is shown chains to the CA and says OU=node. Host names are not checked: the CA
 * is the cluster's own and signs only cluster members, and which node is which is settled by the
 * HELLO/VOUCH exchange against the node registry, as without TLS.
 *
 * Files are PEM (the key PKCS#8, unencrypted), read once when the process starts: a new certificate
 * takes a restart, one process at a time, with the CA unchanged (or both CAs in the CA file while
 * certificates change CA).
 */
/** The cluster's TLS material for the node protocol, and the checks of who is on the other end. */
public final class ClusterTls {
  private static final System.Logger LOG = System.getLogger(ClusterTls.class.getName());

  /** The subject OU of a storage node's certificate. */
  public static final String NODE_UNIT = "node";

  /** The subject OU of a router's certificate. */
  public static final String ROUTER_UNIT = "router";

  /** What the other end of a node protocol connection is, by its certificate. */
  public enum Role {
    NODE,
    ROUTER
  }

  /** Every role: whoever holds a certificate of the cluster's CA that says what it is. */
  public static final Set<Role> MEMBERS = Set.of(Role.NODE, Role.ROUTER);

  private final Path cert;
  private final Path key;
  private final Path ca;
  private final SslContext server;
  private final SslContext client;

  private ClusterTls(Path cert, Path key, Path ca) {
    this.cert = cert;
    this.key = key;
    this.ca = ca;
    try {
      this.server =
          SslContextBuilder.forServer(cert.toFile(), key.toFile())
              .sslProvider(SslProvider.JDK)
              .trustManager(ca.toFile())
              .clientAuth(ClientAuth.REQUIRE)
              .build();
      this.client =
          SslContextBuilder.forClient()
              .sslProvider(SslProvider.JDK)
              .keyManager(cert.toFile(), key.toFile())
              .trustManager(ca.toFile())
              .endpointIdentificationAlgorithm(null) // see the top: roles, not host names
              .build();
    } catch (SSLException | IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "cannot use cluster TLS certificate "
              + cert
              + " with key "
              + key
              + " and CA "
              + ca
              + " (PEM files; the key PKCS#8, unencrypted): "
              + e.getMessage(),
          e);
    }
  }

  /**
   * Reads the files once.
   *
   * @throws IllegalArgumentException a file is missing or not usable (the message names it)
   */
  public static ClusterTls load(Path cert, Path key, Path ca) {
    return new ClusterTls(cert, key, ca);
  }

  public Path cert() {
    return cert;
  }

  public Path key() {
    return key;
  }

  public Path ca() {
    return ca;
  }

  /**
   * Puts TLS first in a node port's pipeline. Once the handshake is done, a client whose
   * certificate has none of the {@code accepted} roles is closed; otherwise {@code onPeer} learns
   * its role before any request arrives.
   */
  public void serve(ChannelPipeline p, Set<Role> accepted, Consumer<Role> onPeer) {
    p.addFirst("tls-peer", new PeerCheck(accepted, onPeer, "a client"));
    p.addFirst("tls", server.newHandler(p.channel().alloc()));
  }

  /**
   * Puts TLS first in the pipeline of a connection to a node; the connection is closed unless the
   * node's certificate says OU=node.
   */
  public void dial(ChannelPipeline p) {
    p.addFirst("tls-peer", new PeerCheck(Set.of(Role.NODE), r -> {}, "the node dialled"));
    p.addFirst("tls", client.newHandler(p.channel().alloc()));
  }

  /**
   * Puts TLS first in the pipeline of a port that every process of the cluster may use (the store
   * server's): a client certificate of the CA is required, whatever its role.
   */
  public void serveAnyCertificate(ChannelPipeline p) {
    p.addFirst("tls", server.newHandler(p.channel().alloc()));
  }

  /** Puts TLS first in the pipeline of a connection to such a port (the store server). */
  public void dialAnyCertificate(ChannelPipeline p) {
    p.addFirst("tls", client.newHandler(p.channel().alloc()));
  }

  /**
   * The role a verified certificate chain's first certificate claims by its subject OU, or null if
   * it claims none of ours.
   */
  public static @Nullable Role roleOf(SSLSession session) {
    Certificate[] chain;
    try {
      chain = session.getPeerCertificates();
    } catch (SSLPeerUnverifiedException e) {
      return null;
    }
    if (chain.length == 0 || !(chain[0] instanceof X509Certificate x)) return null;
    try {
      for (Rdn rdn : new LdapName(x.getSubjectX500Principal().getName()).getRdns()) {
        if (!rdn.getType().equalsIgnoreCase("OU")) continue;
        String unit = String.valueOf(rdn.getValue());
        if (unit.equals(NODE_UNIT)) return Role.NODE;
        if (unit.equals(ROUTER_UNIT)) return Role.ROUTER;
      }
    } catch (InvalidNameException e) {
      return null;
    }
    return null;
  }

  /** After the handshake: closes the connection unless the other end's role is accepted. */
  private static final class PeerCheck extends ChannelInboundHandlerAdapter {
    private final Set<Role> accepted;
    private final Consumer<Role> onPeer;
    private final String who;

    PeerCheck(Set<Role> accepted, Consumer<Role> onPeer, String who) {
      this.accepted = accepted;
      this.onPeer = onPeer;
      this.who = who;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
      if (evt instanceof SslHandshakeCompletionEvent done) {
        if (!done.isSuccess()) {
          LOG.log(
              System.Logger.Level.INFO,
              "TLS handshake with "
                  + ctx.channel().remoteAddress()
                  + " failed: "
                  + done.cause().getMessage());
          ctx.close();
          return;
        }
        SslHandler tls = ctx.pipeline().get(SslHandler.class);
        Role role = roleOf(tls.engine().getSession());
        if (role == null || !accepted.contains(role)) {
          LOG.log(
              System.Logger.Level.WARNING,
              "closed a node protocol connection with "
                  + ctx.channel().remoteAddress()
                  + ": "
                  + who
                  + "'s certificate says "
                  + (role == null ? "neither OU=node nor OU=router" : "OU=" + unit(role))
                  + ", and only "
                  + accepted
                  + " may connect here");
          ctx.close();
          return;
        }
        onPeer.accept(role);
        ctx.pipeline().remove(this);
      }
      super.userEventTriggered(ctx, evt);
    }
  }

  private static String unit(Role r) {
    return r == Role.NODE ? NODE_UNIT : ROUTER_UNIT;
  }
}
