package io.fdbmeta.router;

import io.fdbmeta.wire.Resp;
import io.fdbmeta.wire.RespRequest;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/*
 * The commands the router answers itself, from the connection's ClientState and the command table,
 * with Redis 7's replies and error texts (RedisDifferentialTest compares them with redis-server's):
 *
 *   HELLO [2|3] [AUTH user pass] [SETNAME name]   negotiates RESP2/RESP3; the reply map is Redis's
 *                                                 (server, version, proto, id, mode, role, modules)
 *   CLIENT ID | GETNAME | SETNAME n | INFO | SETINFO LIB-NAME|LIB-VER v   (SETINFO as Redis 7.2)
 *   CLIENT MAINT_NOTIFICATIONS ON|OFF [option value]...   (as Redis 8: ioredis 6 sends it at every
 *                                        connect); accepted, and no maintenance push ever follows:
 *                                        ranges move behind the router, never the client's endpoint
 *   COMMAND [COUNT | INFO name... | DOCS name...]
 *   PING [m], ECHO m, SELECT 0, RESET, QUIT, INFO [section...]
 *
 *   AUTH [user] password                          Redis 7's AUTH: "AUTH password" is user "default"
 *
 * Authentication (RouterConfig.users, see Users). Off: every connection is Redis's passwordless
 * "default" user, so AUTH and HELLO's AUTH succeed for user "default" with any password, "AUTH
 * password" gets Redis's "called without any password configured" error and any other user
 * -WRONGPASS, exactly as a redis-server without users. On: a connection starts unauthenticated;
 * Commands.start refuses everything but the no_auth commands (AUTH, HELLO, QUIT, RESET: PING too
 * gets -NOAUTH, as from redis-server with requirepass) until AUTH or HELLO AUTH succeeds; a failed
 * AUTH leaves the connection as it was (authenticated or not), as in Redis; RESET
 * unauthenticates. Failed AUTHs count in fdbmeta_router_security_rejections_total{kind=auth_failed}.
 * SELECT answers Redis Cluster's error for any database but 0.
 */
/** Answers connection commands ({@link RespRequest.Connection}) at once. On the event loop. */
final class ConnectionCommands {
  /** The Redis version whose behaviour the router follows; HELLO and INFO report it. */
  static final String REDIS_VERSION = "7.0.15";

  /**
   * Failed AUTHs after which the connection is closed (after the reply): Redis answers guesses
   * forever, so a pipeline could try thousands of passwords a second on one connection.
   */
  static final int MAX_FAILED_AUTHS = 10;

  private final ClientSession s;
  private final ClientState c;

  ConnectionCommands(ClientSession s, ClientState c) {
    this.s = s;
    this.c = c;
  }

  void answer(RespRequest.Connection r, long start) {
    byte[][] a = r.args();
    ByteBuf b = s.alloc.ioBuffer();
    boolean close = false;
    String error =
        switch (r.command()) {
          case PING -> {
            // arity -1 in the table, as in Redis, which checks for at most one argument itself
            if (a.length > 2) yield io.fdbmeta.wire.RespParser.wrongArity("ping");
            if (a.length == 1) Resp.simple(b, "PONG");
            else Resp.bulk(b, a[1]);
            yield null;
          }
          case ECHO -> {
            Resp.bulk(b, a[1]);
            yield null;
          }
          case QUIT -> {
            Resp.ok(b);
            close = true;
            yield null;
          }
          case SELECT -> select(b, a[1]);
          case HELLO -> hello(b, a);
          case AUTH -> auth(b, a);
          case CLIENT -> client(b, a);
          case COMMAND -> command(b, a);
          case RESET -> {
            c.proto = 2;
            c.name = null;
            c.user = s.svc.config.users() == null ? Users.NOPASS_DEFAULT : null;
            Resp.simple(b, "RESET");
            yield null;
          }
          case INFO -> {
            Resp.verbatim(b, s.svc.info.apply(sections(a)), c.resp3()); // "=" in RESP3, as Redis
            yield null;
          }
          default -> RespErrors.unknownCommand(a);
        };
    if (error != null) {
      b.clear();
      Resp.error(b, error);
      s.metrics.clientError();
    }
    if (c.failedAuths >= MAX_FAILED_AUTHS) close = true;
    s.replies.reply(r.command(), start, b, close);
  }

  private static String sections(byte[][] a) {
    StringBuilder sb = new StringBuilder();
    for (int i = 1; i < a.length; i++) {
      if (i > 1) sb.append(' ');
      sb.append(new String(a[i], StandardCharsets.UTF_8));
    }
    return sb.toString();
  }

  private @Nullable String select(ByteBuf b, byte[] arg) {
    Long db = RespErrors.parseLong(arg);
    if (db == null) return RespErrors.NOT_AN_INTEGER;
    if (db != 0) return "ERR SELECT is not allowed in cluster mode";
    Resp.ok(b);
    return null;
  }

  private @Nullable String hello(ByteBuf b, byte[][] a) {
    int proto = c.proto;
    if (a.length >= 2) {
      Long v = RespErrors.parseLong(a[1]);
      if (v == null) return "ERR Protocol version is not an integer or out of range";
      if (v < 2 || v > 3) return "NOPROTO unsupported protocol version";
      proto = v.intValue();
    }
    byte @Nullable [] user = null;
    byte @Nullable [] pass = null;
    byte @Nullable [] name = null;
    for (int j = 2; j < a.length; j++) {
      int more = a.length - 1 - j;
      String opt = RouterParser.ascii(a[j]);
      if (opt.equalsIgnoreCase("AUTH") && more >= 2) {
        user = a[j + 1];
        pass = a[j + 2];
        j += 2;
      } else if (opt.equalsIgnoreCase("SETNAME") && more >= 1) {
        name = a[j + 1];
        j++;
      } else {
        return "ERR Syntax error in HELLO option '" + opt + "'";
      }
    }
    if (name != null) { // checked before AUTH, as Redis does: a refused HELLO changes nothing
      String bad = checkName(name);
      if (bad != null) return bad;
    }
    if (user != null && pass != null) {
      String failed = authenticate(user, pass);
      if (failed != null) return failed;
    } else if (c.user == null) {
      return "NOAUTH HELLO must be called with the client already authenticated, otherwise the"
          + " HELLO AUTH <user> <pass> option can be used to authenticate the client and"
          + " select the RESP protocol version at the same time";
    }
    if (name != null) c.name = name.length == 0 ? null : name;
    c.proto = proto;
    boolean r3 = c.resp3();
    Resp.mapHeader(b, 7, r3);
    Resp.bulkText(b, "server");
    Resp.bulkText(b, "redis");
    Resp.bulkText(b, "version");
    Resp.bulkText(b, REDIS_VERSION);
    Resp.bulkText(b, "proto");
    Resp.integer(b, proto);
    Resp.bulkText(b, "id");
    Resp.integer(b, c.id);
    Resp.bulkText(b, "mode");
    Resp.bulkText(b, "standalone");
    Resp.bulkText(b, "role");
    Resp.bulkText(b, "master");
    Resp.bulkText(b, "modules");
    Resp.arrayHeader(b, 0);
    return null;
  }

  private static final String WRONGPASS =
      "WRONGPASS invalid username-password pair or user is disabled.";

  private @Nullable String auth(ByteBuf b, byte[][] a) {
    if (a.length > 3) return "ERR syntax error";
    if (a.length == 2 && s.svc.config.users() == null)
      return "ERR AUTH <password> called without any password configured for the default user."
          + " Are you sure your configuration is correct?";
    String failed = a.length == 2 ? authenticate(null, a[1]) : authenticate(a[1], a[2]);
    if (failed != null) return failed;
    Resp.ok(b);
    return null;
  }

  /** Authenticates the connection as {@code user} (null: "default"), or answers why not. */
  private @Nullable String authenticate(byte @Nullable [] user, byte[] pass) {
    String name = user == null ? "default" : new String(user, StandardCharsets.UTF_8);
    Users users = s.svc.config.users();
    Users.User u =
        users == null
            ? (name.equals("default") ? Users.NOPASS_DEFAULT : null)
            : users.authenticate(name, pass);
    if (u == null) {
      s.metrics.reject(RouterMetrics.Security.AUTH_FAILED);
      c.failedAuths++;
      return WRONGPASS;
    }
    c.user = u;
    return null;
  }

  /** Redis's check of a client name: printable ASCII without spaces. */
  private static @Nullable String checkName(byte[] name) {
    for (byte x : name)
      if (x < '!' || x > '~')
        return "ERR Client names cannot contain spaces, newlines or special characters.";
    return null;
  }

  private @Nullable String client(ByteBuf b, byte[][] a) {
    String sub = RouterParser.ascii(a[1]).toLowerCase(Locale.ROOT);
    switch (sub) {
      case "id" -> Resp.integer(b, c.id);
      case "getname" -> Resp.bulk(b, c.name, c.resp3());
      case "setname" -> {
        String bad = checkName(a[2]);
        if (bad != null) return bad;
        c.name = a[2].length == 0 ? null : a[2];
        Resp.ok(b);
      }
      case "setinfo" -> {
        String attr = RouterParser.ascii(a[2]).toLowerCase(Locale.ROOT);
        if (!attr.equals("lib-name") && !attr.equals("lib-ver"))
          return "ERR Unrecognized option '" + RouterParser.ascii(a[2]) + "'";
        for (byte x : a[3])
          if (x < '!' || x > '~')
            return "ERR " + attr + " cannot contain spaces, newlines or special characters.";
        String v = new String(a[3], StandardCharsets.US_ASCII);
        if (attr.equals("lib-name")) c.libName = v;
        else c.libVersion = v;
        Resp.ok(b);
      }
      case "info" -> Resp.verbatim(b, clientInfo(), c.resp3());
      case "maint_notifications" -> {
        String mode = RouterParser.ascii(a[2]).toLowerCase(Locale.ROOT);
        if (!mode.equals("on") && !mode.equals("off")) return "ERR syntax error";
        if (a.length % 2 == 0) return "ERR syntax error"; // options come in pairs
        Resp.ok(b);
      }
      default -> {
        return RespErrors.unknownCommand(a);
      }
    }
    return null;
  }

  /** CLIENT INFO's line, with Redis's fields (the ones about Redis's own buffers are 0). */
  private String clientInfo() {
    long age =
        TimeUnit.NANOSECONDS.toSeconds(Services.nanoTime(c.channel.eventLoop()) - c.createdNanos);
    return "id="
        + c.id
        + " addr="
        + address(c.channel.remoteAddress())
        + " laddr="
        + address(c.channel.localAddress())
        + " fd=-1 name="
        + (c.name == null ? "" : new String(c.name, StandardCharsets.US_ASCII))
        + " age="
        + age
        + " idle=0 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0"
        + " multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd=client|info"
        + " user="
        + (c.user == null ? "default" : c.user.name())
        + " redir=-1 resp="
        + c.proto
        + " lib-name="
        + (c.libName == null ? "" : c.libName)
        + " lib-ver="
        + (c.libVersion == null ? "" : c.libVersion)
        + "\n";
  }

  private static String address(@Nullable Object a) {
    if (a instanceof java.net.InetSocketAddress i)
      return i.getAddress().getHostAddress() + ":" + i.getPort();
    return String.valueOf(a);
  }

  private @Nullable String command(ByteBuf b, byte[][] a) {
    boolean r3 = c.resp3();
    if (a.length == 1) {
      Resp.arrayHeader(b, CommandTable.count());
      for (CommandTable.Entry e : CommandTable.all()) CommandTable.writeInfo(b, e, r3);
      return null;
    }
    String sub = RouterParser.ascii(a[1]).toLowerCase(Locale.ROOT);
    switch (sub) {
      case "count" -> Resp.integer(b, CommandTable.count());
      case "info" -> {
        if (a.length == 2) {
          Resp.arrayHeader(b, CommandTable.count());
          for (CommandTable.Entry e : CommandTable.all()) CommandTable.writeInfo(b, e, r3);
        } else {
          Resp.arrayHeader(b, a.length - 2);
          for (int i = 2; i < a.length; i++) {
            CommandTable.Entry e = lookup(a[i]);
            if (e == null) Resp.nil(b, r3);
            else CommandTable.writeInfo(b, e, r3);
          }
        }
      }
      case "docs" -> {
        List<CommandTable.Entry> found = new ArrayList<>();
        if (a.length == 2) found.addAll(CommandTable.all());
        for (int i = 2; i < a.length; i++) {
          CommandTable.Entry e = lookup(a[i]);
          if (e != null) found.add(e);
        }
        Resp.mapHeader(b, found.size(), r3);
        for (CommandTable.Entry e : found) {
          Resp.bulkText(b, e.name());
          Resp.mapHeader(b, 0, r3);
        }
      }
      default -> {
        return RespErrors.unknownCommand(a);
      }
    }
    return null;
  }

  /** A command or {@code parent|sub} by name, any case. */
  private static CommandTable.@Nullable Entry lookup(byte[] name) {
    String n = RouterParser.ascii(name).toLowerCase(Locale.ROOT);
    int bar = n.indexOf('|');
    if (bar < 0) return CommandTable.find(n);
    CommandTable.Entry parent = CommandTable.find(n.substring(0, bar));
    return parent == null ? null : parent.subcommands().get(n.substring(bar + 1));
  }
}
