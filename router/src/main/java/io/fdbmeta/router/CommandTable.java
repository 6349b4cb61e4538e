package io.fdbmeta.router;

import io.fdbmeta.wire.Command;
import io.fdbmeta.wire.Resp;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/*
 * The router's command table: every command it knows, described as Redis 7's COMMAND INFO
 * describes it (name, arity, flags, first/last key and step, ACL categories, tips, key specs,
 * subcommands), plus how the router serves it (Route). The entries of Redis commands are Redis
 * 7.0.15's own, copied from its COMMAND INFO, so COMMAND INFO answers what redis-server answers for
 * them (RedisDifferentialTest checks); RANGE is fdbmeta's. Routing reads the key positions from
 * here: a command's keys are args[first], args[first + step], ... up to args[last] (last < 0:
 * counted from the end).
 *
 *   ROUTER        answered by the router from the connection's state (HELLO, CLIENT, PING, ...)
 *   SPLIT         GET SET MGET MSET DEL UNLINK EXISTS TOUCH: keys grouped by range, one request
 *                 per range to its leaseholder, replies put back in key order (KeysOp)
 *   SINGLE_KEY    one key: passed on as it is to the key's leaseholder, which serves it or
 *                 answers Redis's "unknown command" (ForwardOp)
 *   SINGLE_RANGE  atomic on several keys: passed on only if every key lies in the first key's
 *                 range, else -CROSSRANGE (as Redis Cluster's -CROSSSLOT)
 *   WALK          RANGE, SCAN, KEYS, DBSIZE: a walk range by range in key order (ScanOp)
 */
/** The commands the router knows, with Redis's COMMAND INFO data and the router's routing. */
final class CommandTable {
  /** How the router serves a command; see the header comment. */
  enum Route {
    ROUTER,
    SPLIT,
    SINGLE_KEY,
    SINGLE_RANGE,
    WALK
  }

  /** One key spec of COMMAND INFO: begin_search by index, find_keys by range. */
  record KeySpec(
      @Nullable String notes, String[] flags, int index, int lastKey, int keyStep, int limit) {}

  /** One command (or subcommand, named {@code parent|sub}). */
  record Entry(
      String name,
      Command command,
      Route route,
      int arity,
      String[] flags,
      int firstKey,
      int lastKey,
      int step,
      String[] acl,
      String[] tips,
      KeySpec[] specs,
      Map<String, Entry> subcommands) {

    /** Whether {@code argc} arguments (the name included) suit the arity. */
    boolean arityFits(int argc) {
      return arity >= 0 ? argc == arity : argc >= -arity;
    }

    /** Whether the command may write (it is not flagged readonly). */
    boolean writes() {
      for (String f : flags) if (f.equals("readonly")) return false;
      return true;
    }

    /** The key arguments of {@code args} (the whole command), by the key positions. */
    byte[][] keys(byte[][] args) {
      if (firstKey <= 0) return NO_KEYS;
      int last = lastKey < 0 ? args.length + lastKey : Math.min(lastKey, args.length - 1);
      if (last < firstKey) return NO_KEYS;
      byte[][] ks = new byte[(last - firstKey) / step + 1][];
      for (int i = 0; i < ks.length; i++) ks[i] = args[firstKey + i * step];
      return ks;
    }
  }

  private static final String[] NONE = new String[0];
  private static final KeySpec[] NO_SPECS = new KeySpec[0];
  private static final byte[][] NO_KEYS = new byte[0][];

  private static final Map<String, Entry> BY_NAME = new LinkedHashMap<>();
  private static final Map<Command, Entry> BY_COMMAND = new EnumMap<>(Command.class);

  static {
    List<Entry> all =
        List.of(
            entry(
                "get",
                Command.GET,
                Route.SPLIT,
                2,
                new String[] {"readonly", "fast"},
                1,
                1,
                1,
                new String[] {"@read", "@string", "@fast"},
                NONE,
                new KeySpec[] {spec(null, new String[] {"RO", "access"}, 1, 0, 1, 0)}),
            entry(
                "set",
                Command.SET,
                Route.SPLIT,
                -3,
                new String[] {"write", "denyoom"},
                1,
                1,
                1,
                new String[] {"@write", "@string", "@slow"},
                NONE,
                new KeySpec[] {
                  spec(
                      "RW and ACCESS due to the optional `GET` argument",
                      new String[] {"RW", "access", "update", "variable_flags"},
                      1,
                      0,
                      1,
                      0)
                }),
            entry(
                "del",
                Command.DEL,
                Route.SPLIT,
                -2,
                new String[] {"write"},
                1,
                -1,
                1,
                new String[] {"@keyspace", "@write", "@slow"},
                new String[] {"request_policy:multi_shard", "response_policy:agg_sum"},
                new KeySpec[] {spec(null, new String[] {"RM", "delete"}, 1, -1, 1, 0)}),
            entry(
                "unlink",
                Command.UNLINK,
                Route.SPLIT,
                -2,
                new String[] {"write", "fast"},
                1,
                -1,
                1,
                new String[] {"@keyspace", "@write", "@fast"},
                new String[] {"request_policy:multi_shard", "response_policy:agg_sum"},
                new KeySpec[] {spec(null, new String[] {"RM", "delete"}, 1, -1, 1, 0)}),
            entry(
                "exists",
                Command.EXISTS,
                Route.SPLIT,
                -2,
                new String[] {"readonly", "fast"},
                1,
                -1,
                1,
                new String[] {"@keyspace", "@read", "@fast"},
                new String[] {"request_policy:multi_shard", "response_policy:agg_sum"},
                new KeySpec[] {spec(null, new String[] {"RO"}, 1, -1, 1, 0)}),
            entry(
                "touch",
                Command.TOUCH,
                Route.SPLIT,
                -2,
                new String[] {"readonly", "fast"},
                1,
                -1,
                1,
                new String[] {"@keyspace", "@read", "@fast"},
                new String[] {"request_policy:multi_shard", "response_policy:agg_sum"},
                new KeySpec[] {spec(null, new String[] {"RO"}, 1, -1, 1, 0)}),
            entry(
                "mget",
                Command.MGET,
                Route.SPLIT,
                -2,
                new String[] {"readonly", "fast"},
                1,
                -1,
                1,
                new String[] {"@read", "@string", "@fast"},
                new String[] {"request_policy:multi_shard"},
                new KeySpec[] {spec(null, new String[] {"RO", "access"}, 1, -1, 1, 0)}),
            entry(
                "mset",
                Command.MSET,
                Route.SPLIT,
                -3,
                new String[] {"write", "denyoom"},
                1,
                -1,
                2,
                new String[] {"@write", "@string", "@slow"},
                new String[] {"request_policy:multi_shard", "response_policy:all_succeeded"},
                new KeySpec[] {spec(null, new String[] {"OW", "update"}, 1, -1, 2, 0)}),
            entry(
                "msetnx",
                Command.OTHER,
                Route.SINGLE_RANGE,
                -3,
                new String[] {"write", "denyoom"},
                1,
                -1,
                2,
                new String[] {"@write", "@string", "@slow"},
                new String[] {"request_policy:multi_shard", "response_policy:agg_min"},
                new KeySpec[] {spec(null, new String[] {"OW", "insert"}, 1, -1, 2, 0)}),
            entry(
                "rename",
                Command.OTHER,
                Route.SINGLE_RANGE,
                3,
                new String[] {"write"},
                1,
                2,
                1,
                new String[] {"@keyspace", "@write", "@slow"},
                NONE,
                new KeySpec[] {
                  spec(null, new String[] {"RW", "access", "delete"}, 1, 0, 1, 0),
                  spec(null, new String[] {"OW", "update"}, 2, 0, 1, 0)
                }),
            entry(
                "renamenx",
                Command.OTHER,
                Route.SINGLE_RANGE,
                3,
                new String[] {"write", "fast"},
                1,
                2,
                1,
                new String[] {"@keyspace", "@write", "@fast"},
                NONE,
                new KeySpec[] {
                  spec(null, new String[] {"RW", "access", "delete"}, 1, 0, 1, 0),
                  spec(null, new String[] {"OW", "insert"}, 2, 0, 1, 0)
                }),
            entry(
                "incr",
                Command.OTHER,
                Route.SINGLE_KEY,
                2,
                new String[] {"write", "denyoom", "fast"},
                1,
                1,
                1,
                new String[] {"@write", "@string", "@fast"},
                NONE,
                new KeySpec[] {spec(null, new String[] {"RW", "access", "update"}, 1, 0, 1, 0)}),
            entry(
                "decr",
                Command.OTHER,
                Route.SINGLE_KEY,
                2,
                new String[] {"write", "denyoom", "fast"},
                1,
                1,
                1,
                new String[] {"@write", "@string", "@fast"},
                NONE,
                new KeySpec[] {spec(null, new String[] {"RW", "access", "update"}, 1, 0, 1, 0)}),
            entry(
                "incrby",
                Command.OTHER,
                Route.SINGLE_KEY,
                3,
                new String[] {"write", "denyoom", "fast"},
                1,
                1,
                1,
                new String[] {"@write", "@string", "@fast"},
                NONE,
                new KeySpec[] {spec(null, new String[] {"RW", "access", "update"}, 1, 0, 1, 0)}),
            entry(
                "decrby",
                Command.OTHER,
                Route.SINGLE_KEY,
                3,
                new String[] {"write", "denyoom", "fast"},
                1,
                1,
                1,
                new String[] {"@write", "@string", "@fast"},
                NONE,
                new KeySpec[] {spec(null, new String[] {"RW", "access", "update"}, 1, 0, 1, 0)}),
            entry(
                "incrbyfloat",
                Command.OTHER,
                Route.SINGLE_KEY,
                3,
                new String[] {"write", "denyoom", "fast"},
                1,
                1,
                1,
                new String[] {"@write", "@string", "@fast"},
                NONE,
                new KeySpec[] {spec(null, new String[] {"RW", "access", "update"}, 1, 0, 1, 0)}),
            entry(
                "append",
                Command.OTHER,
                Route.SINGLE_KEY,
                3,
                new String[] {"write", "denyoom", "fast"},
                1,
                1,
                1,
                new String[] {"@write", "@string", "@fast"},
                NONE,
                new KeySpec[] {spec(null, new String[] {"RW", "insert"}, 1, 0, 1, 0)}),
            entry(
                "strlen",
                Command.OTHER,
                Route.SINGLE_KEY,
                2,
                new String[] {"readonly", "fast"},
                1,
                1,
                1,
                new String[] {"@read", "@string", "@fast"},
                NONE,
                new KeySpec[] {spec(null, new String[] {"RO"}, 1, 0, 1, 0)}),
            entry(
                "getrange",
                Command.OTHER,
                Route.SINGLE_KEY,
                4,
                new String[] {"readonly"},
                1,
                1,
                1,
                new String[] {"@read", "@string", "@slow"},
                NONE,
                new KeySpec[] {spec(null, new String[] {"RO", "access"}, 1, 0, 1, 0)}),
            entry(
                "setrange",
                Command.OTHER,
                Route.SINGLE_KEY,
                4,
                new String[] {"write", "denyoom"},
                1,
                1,
                1,
                new String[] {"@write", "@string", "@slow"},
                NONE,
                new KeySpec[] {spec(null, new String[] {"RW", "update"}, 1, 0, 1, 0)}),
            entry(
                "setnx",
                Command.OTHER,
                Route.SINGLE_KEY,
                3,
                new String[] {"write", "denyoom", "fast"},
                1,
                1,
                1,
                new String[] {"@write", "@string", "@fast"},
                NONE,
                new KeySpec[] {spec(null, new String[] {"OW", "insert"}, 1, 0, 1, 0)}),
            entry(
                "setex",
                Command.OTHER,
                Route.SINGLE_KEY,
                4,
                new String[] {"write", "denyoom"},
                1,
                1,
                1,
                new String[] {"@write", "@string", "@slow"},
                NONE,
                new KeySpec[] {spec(null, new String[] {"OW", "update"}, 1, 0, 1, 0)}),
            entry(
                "psetex",
                Command.OTHER,
                Route.SINGLE_KEY,
                4,
                new String[] {"write", "denyoom"},
                1,
                1,
                1,
                new String[] {"@write", "@string", "@slow"},
                NONE,
                new KeySpec[] {spec(null, new String[] {"OW", "update"}, 1, 0, 1, 0)}),
            entry(
                "getset",
                Command.OTHER,
                Route.SINGLE_KEY,
                3,
                new String[] {"write", "denyoom", "fast"},
                1,
                1,
                1,
                new String[] {"@write", "@string", "@fast"},
                NONE,
                new KeySpec[] {spec(null, new String[] {"RW", "access", "update"}, 1, 0, 1, 0)}),
            entry(
                "getdel",
                Command.OTHER,
                Route.SINGLE_KEY,
                2,
                new String[] {"write", "fast"},
                1,
                1,
                1,
                new String[] {"@write", "@string", "@fast"},
                NONE,
                new KeySpec[] {spec(null, new String[] {"RW", "access", "delete"}, 1, 0, 1, 0)}),
            entry(
                "getex",
                Command.OTHER,
                Route.SINGLE_KEY,
                -2,
                new String[] {"write", "fast"},
                1,
                1,
                1,
                new String[] {"@write", "@string", "@fast"},
                NONE,
                new KeySpec[] {
                  spec(
                      "RW and UPDATE because it changes the TTL",
                      new String[] {"RW", "access", "update"},
                      1,
                      0,
                      1,
                      0)
                }),
            entry(
                "expire",
                Command.OTHER,
                Route.SINGLE_KEY,
                -3,
                new String[] {"write", "fast"},
                1,
                1,
                1,
                new String[] {"@keyspace", "@write", "@fast"},
                NONE,
                new KeySpec[] {spec(null, new String[] {"RW", "update"}, 1, 0, 1, 0)}),
            entry(
                "pexpire",
                Command.OTHER,
                Route.SINGLE_KEY,
                -3,
                new String[] {"write", "fast"},
                1,
                1,
                1,
                new String[] {"@keyspace", "@write", "@fast"},
                NONE,
                new KeySpec[] {spec(null, new String[] {"RW", "update"}, 1, 0, 1, 0)}),
            entry(
                "expireat",
                Command.OTHER,
                Route.SINGLE_KEY,
                -3,
                new String[] {"write", "fast"},
                1,
                1,
                1,
                new String[] {"@keyspace", "@write", "@fast"},
                NONE,
                new KeySpec[] {spec(null, new String[] {"RW", "update"}, 1, 0, 1, 0)}),
            entry(
                "pexpireat",
                Command.OTHER,
                Route.SINGLE_KEY,
                -3,
                new String[] {"write", "fast"},
                1,
                1,
                1,
                new String[] {"@keyspace", "@write", "@fast"},
                NONE,
                new KeySpec[] {spec(null, new String[] {"RW", "update"}, 1, 0, 1, 0)}),
            entry(
                "ttl",
                Command.OTHER,
                Route.SINGLE_KEY,
                2,
                new String[] {"readonly", "fast"},
                1,
                1,
                1,
                new String[] {"@keyspace", "@read", "@fast"},
                new String[] {"nondeterministic_output"},
                new KeySpec[] {spec(null, new String[] {"RO", "access"}, 1, 0, 1, 0)}),
            entry(
                "pttl",
                Command.OTHER,
                Route.SINGLE_KEY,
                2,
                new String[] {"readonly", "fast"},
                1,
                1,
                1,
                new String[] {"@keyspace", "@read", "@fast"},
                new String[] {"nondeterministic_output"},
                new KeySpec[] {spec(null, new String[] {"RO", "access"}, 1, 0, 1, 0)}),
            entry(
                "persist",
                Command.OTHER,
                Route.SINGLE_KEY,
                2,
                new String[] {"write", "fast"},
                1,
                1,
                1,
                new String[] {"@keyspace", "@write", "@fast"},
                NONE,
                new KeySpec[] {spec(null, new String[] {"RW", "update"}, 1, 0, 1, 0)}),
            entry(
                "type",
                Command.OTHER,
                Route.SINGLE_KEY,
                2,
                new String[] {"readonly", "fast"},
                1,
                1,
                1,
                new String[] {"@keyspace", "@read", "@fast"},
                NONE,
                new KeySpec[] {spec(null, new String[] {"RO"}, 1, 0, 1, 0)}),
            entry(
                "expiretime",
                Command.OTHER,
                Route.SINGLE_KEY,
                2,
                new String[] {"readonly", "fast"},
                1,
                1,
                1,
                new String[] {"@keyspace", "@read", "@fast"},
                NONE,
                new KeySpec[] {spec(null, new String[] {"RO", "access"}, 1, 0, 1, 0)}),
            entry(
                "pexpiretime",
                Command.OTHER,
                Route.SINGLE_KEY,
                2,
                new String[] {"readonly", "fast"},
                1,
                1,
                1,
                new String[] {"@keyspace", "@read", "@fast"},
                NONE,
                new KeySpec[] {spec(null, new String[] {"RO", "access"}, 1, 0, 1, 0)}),
            entry(
                "ping",
                Command.PING,
                Route.ROUTER,
                -1,
                new String[] {"fast"},
                0,
                0,
                0,
                new String[] {"@fast", "@connection"},
                new String[] {"request_policy:all_shards", "response_policy:all_succeeded"},
                NO_SPECS),
            entry(
                "echo",
                Command.ECHO,
                Route.ROUTER,
                2,
                new String[] {"loading", "stale", "fast"},
                0,
                0,
                0,
                new String[] {"@fast", "@connection"},
                NONE,
                NO_SPECS),
            entry(
                "auth",
                Command.AUTH,
                Route.ROUTER,
                -2,
                new String[] {"noscript", "loading", "stale", "fast", "no_auth", "allow_busy"},
                0,
                0,
                0,
                new String[] {"@fast", "@connection"},
                NONE,
                NO_SPECS),
            entry(
                "quit",
                Command.QUIT,
                Route.ROUTER,
                -1,
                new String[] {"noscript", "loading", "stale", "fast", "no_auth", "allow_busy"},
                0,
                0,
                0,
                new String[] {"@fast", "@connection"},
                NONE,
                NO_SPECS),
            entry(
                "select",
                Command.SELECT,
                Route.ROUTER,
                2,
                new String[] {"loading", "stale", "fast"},
                0,
                0,
                0,
                new String[] {"@fast", "@connection"},
                NONE,
                NO_SPECS),
            entry(
                "command",
                Command.COMMAND,
                Route.ROUTER,
                -1,
                new String[] {"loading", "stale"},
                0,
                0,
                0,
                new String[] {"@slow", "@connection"},
                new String[] {"nondeterministic_output_order"},
                NO_SPECS),
            sub(
                "command|info",
                Command.OTHER,
                Route.ROUTER,
                -2,
                new String[] {"loading", "stale"},
                0,
                0,
                0,
                new String[] {"@slow", "@connection"},
                new String[] {"nondeterministic_output_order"},
                NO_SPECS),
            sub(
                "command|docs",
                Command.OTHER,
                Route.ROUTER,
                -2,
                new String[] {"loading", "stale"},
                0,
                0,
                0,
                new String[] {"@slow", "@connection"},
                new String[] {"nondeterministic_output_order"},
                NO_SPECS),
            sub(
                "command|count",
                Command.OTHER,
                Route.ROUTER,
                2,
                new String[] {"loading", "stale"},
                0,
                0,
                0,
                new String[] {"@slow", "@connection"},
                NONE,
                NO_SPECS),
            entry(
                "hello",
                Command.HELLO,
                Route.ROUTER,
                -1,
                new String[] {"noscript", "loading", "stale", "fast", "no_auth", "allow_busy"},
                0,
                0,
                0,
                new String[] {"@fast", "@connection"},
                NONE,
                NO_SPECS),
            entry(
                "client",
                Command.CLIENT,
                Route.ROUTER,
                -2,
                NONE,
                0,
                0,
                0,
                new String[] {"@slow"},
                NONE,
                NO_SPECS),
            sub(
                "client|id",
                Command.OTHER,
                Route.ROUTER,
                2,
                new String[] {"noscript", "loading", "stale"},
                0,
                0,
                0,
                new String[] {"@slow", "@connection"},
                NONE,
                NO_SPECS),
            sub(
                "client|setname",
                Command.OTHER,
                Route.ROUTER,
                3,
                new String[] {"noscript", "loading", "stale"},
                0,
                0,
                0,
                new String[] {"@slow", "@connection"},
                NONE,
                NO_SPECS),
            sub(
                "client|info",
                Command.OTHER,
                Route.ROUTER,
                2,
                new String[] {"noscript", "loading", "stale"},
                0,
                0,
                0,
                new String[] {"@slow", "@connection"},
                new String[] {"nondeterministic_output"},
                NO_SPECS),
            sub(
                "client|setinfo",
                Command.OTHER,
                Route.ROUTER,
                4,
                new String[] {"noscript", "loading", "stale"},
                0,
                0,
                0,
                new String[] {"@slow", "@connection"},
                NONE,
                NO_SPECS),
            sub(
                "client|maint_notifications",
                Command.OTHER,
                Route.ROUTER,
                -3,
                new String[] {"noscript", "loading", "stale"},
                0,
                0,
                0,
                new String[] {"@slow", "@connection"},
                NONE,
                NO_SPECS),
            sub(
                "client|getname",
                Command.OTHER,
                Route.ROUTER,
                2,
                new String[] {"noscript", "loading", "stale"},
                0,
                0,
                0,
                new String[] {"@slow", "@connection"},
                NONE,
                NO_SPECS),
            entry(
                "reset",
                Command.RESET,
                Route.ROUTER,
                1,
                new String[] {"noscript", "loading", "stale", "fast", "no_auth", "allow_busy"},
                0,
                0,
                0,
                new String[] {"@fast", "@connection"},
                NONE,
                NO_SPECS),
            entry(
                "info",
                Command.INFO,
                Route.ROUTER,
                -1,
                new String[] {"loading", "stale"},
                0,
                0,
                0,
                new String[] {"@slow", "@dangerous"},
                new String[] {
                  "nondeterministic_output", "request_policy:all_shards", "response_policy:special"
                },
                NO_SPECS),
            entry(
                "scan",
                Command.OTHER,
                Route.WALK,
                -2,
                new String[] {"readonly"},
                0,
                0,
                0,
                new String[] {"@keyspace", "@read", "@slow"},
                new String[] {"nondeterministic_output", "request_policy:special"},
                NO_SPECS),
            entry(
                "keys",
                Command.OTHER,
                Route.WALK,
                2,
                new String[] {"readonly"},
                0,
                0,
                0,
                new String[] {"@keyspace", "@read", "@slow", "@dangerous"},
                new String[] {"request_policy:all_shards", "nondeterministic_output_order"},
                NO_SPECS),
            entry(
                "dbsize",
                Command.OTHER,
                Route.WALK,
                1,
                new String[] {"readonly", "fast"},
                0,
                0,
                0,
                new String[] {"@keyspace", "@read", "@fast"},
                new String[] {"request_policy:all_shards", "response_policy:agg_sum"},
                NO_SPECS),
            entry(
                "range",
                Command.RANGE,
                Route.WALK,
                -3,
                new String[] {"readonly"},
                0,
                0,
                0,
                new String[] {"@read", "@slow"},
                NONE,
                NO_SPECS));
    Entry parent = null;
    for (Entry e : all) {
      int bar = e.name.indexOf('|');
      if (bar < 0) {
        parent = e;
        BY_NAME.put(e.name, e);
        if (e.command != Command.OTHER) BY_COMMAND.put(e.command, e);
      } else {
        if (parent == null || !e.name.startsWith(parent.name + "|"))
          throw new IllegalStateException("subcommand " + e.name + " not after its command");
        parent.subcommands.put(e.name.substring(bar + 1), e);
      }
    }
  }

  private CommandTable() {}

  private static Entry entry(
      String name,
      Command command,
      Route route,
      int arity,
      String[] flags,
      int first,
      int last,
      int step,
      String[] acl,
      String[] tips,
      KeySpec[] specs) {
    return new Entry(
        name,
        command,
        route,
        arity,
        flags,
        first,
        last,
        step,
        acl,
        tips,
        specs,
        new LinkedHashMap<>());
  }

  private static Entry sub(
      String name,
      Command command,
      Route route,
      int arity,
      String[] flags,
      int first,
      int last,
      int step,
      String[] acl,
      String[] tips,
      KeySpec[] specs) {
    return new Entry(
        name,
        command,
        route,
        arity,
        flags,
        first,
        last,
        step,
        acl,
        tips,
        specs,
        Collections.emptyMap());
  }

  private static KeySpec spec(
      @Nullable String notes, String[] flags, int index, int lastKey, int keyStep, int limit) {
    return new KeySpec(notes, flags, index, lastKey, keyStep, limit);
  }

  /** The command named {@code name} (any case), or null; allocates nothing for the common ones. */
  static @Nullable Entry find(byte[] name) {
    Command c = Command.of(name);
    if (c != Command.UNKNOWN) return BY_COMMAND.get(c);
    return BY_NAME.get(new String(name, StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT));
  }

  /** The command named {@code name} (lower case), or null. */
  static @Nullable Entry find(String name) {
    return BY_NAME.get(name);
  }

  /** The subcommand {@code sub} (any case) of {@code parent}, or null. */
  static @Nullable Entry subcommand(Entry parent, byte[] sub) {
    return parent.subcommands.get(
        new String(sub, StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT));
  }

  /** Every command, in table order. */
  static Collection<Entry> all() {
    return Collections.unmodifiableCollection(BY_NAME.values());
  }

  /** How many commands the table has (COMMAND COUNT). */
  static int count() {
    return BY_NAME.size();
  }

  /** Writes {@code e} as one element of COMMAND / COMMAND INFO, in RESP2 or RESP3. */
  static void writeInfo(ByteBuf out, Entry e, boolean resp3) {
    Resp.arrayHeader(out, 10);
    Resp.bulkText(out, e.name);
    Resp.integer(out, e.arity);
    statusSet(out, e.flags, resp3);
    Resp.integer(out, e.firstKey);
    Resp.integer(out, e.lastKey);
    Resp.integer(out, e.step);
    statusSet(out, e.acl, resp3);
    Resp.setHeader(out, e.tips.length, resp3);
    for (String t : e.tips) Resp.bulkText(out, t);
    // key specs and subcommands are sets in RESP3, as redis-server 7.0 sends them
    Resp.setHeader(out, e.specs.length, resp3);
    for (KeySpec s : e.specs) writeSpec(out, s, resp3);
    Resp.setHeader(out, e.subcommands.size(), resp3);
    for (Entry sub : e.subcommands.values()) writeInfo(out, sub, resp3);
  }

  private static void statusSet(ByteBuf out, String[] items, boolean resp3) {
    Resp.setHeader(out, items.length, resp3);
    for (String s : items) Resp.simple(out, s);
  }

  private static void writeSpec(ByteBuf out, KeySpec s, boolean resp3) {
    Resp.mapHeader(out, s.notes == null ? 3 : 4, resp3);
    if (s.notes != null) {
      Resp.bulkText(out, "notes");
      Resp.bulkText(out, s.notes);
    }
    Resp.bulkText(out, "flags");
    statusSet(out, s.flags, resp3);
    Resp.bulkText(out, "begin_search");
    Resp.mapHeader(out, 2, resp3);
    Resp.bulkText(out, "type");
    Resp.bulkText(out, "index");
    Resp.bulkText(out, "spec");
    Resp.mapHeader(out, 1, resp3);
    Resp.bulkText(out, "index");
    Resp.integer(out, s.index);
    Resp.bulkText(out, "find_keys");
    Resp.mapHeader(out, 2, resp3);
    Resp.bulkText(out, "type");
    Resp.bulkText(out, "range");
    Resp.bulkText(out, "spec");
    Resp.mapHeader(out, 3, resp3);
    Resp.bulkText(out, "lastkey");
    Resp.integer(out, s.lastKey);
    Resp.bulkText(out, "keystep");
    Resp.integer(out, s.keyStep);
    Resp.bulkText(out, "limit");
    Resp.integer(out, s.limit);
  }

  /** The names of every command, for tests. */
  static List<String> names() {
    return new ArrayList<>(BY_NAME.keySet());
  }
}
