package io.fdbmeta.storage;

import io.fdbmeta.wire.Resp;
import io.fdbmeta.wire.RespParser;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/*
 * Redis 7.0.15's string and expiry commands, as its t_string.c and expire.c execute them, on one
 * key's value and absolute expiry time. The node runs a command's Execution at the key's
 * leaseholder: a read once, a write under the store's leaseholder lock (DataStore.updateAsLeader),
 * where it returns the key's new value and expiry, which is what gets replicated, never the
 * command. Every check happens in Redis's order, so a wrong command gets Redis's error text, the
 * one that comes first in Redis.
 *
 * INCRBYFLOAT: Redis computes in C's long double (x87, a 64-bit significand) and prints "%.17Lf"
 * without trailing zeros. Here numbers are exact BigDecimals rounded to a 64-bit significand after
 * parsing and after the addition, and printed from the exact value with half-even rounding, which
 * is what glibc's printf does: the same digits. Hexadecimal floats ("0x1p3"), which strtold takes,
 * are refused as not a valid float.
 */
/** Redis's string commands on one key, executed by the storage node. */
final class StringCommands {
  /** What the node knows of a command: its arity (as COMMAND INFO) and whether it may write. */
  record Spec(String name, int arity, boolean writes) {
    boolean arityFits(int argc) {
      return arity >= 0 ? argc == arity : argc >= -arity;
    }
  }

  /** Values longer than Redis's proto-max-bulk-len (512 MB) are refused, as Redis does. */
  static final long MAX_STRING = 512L * 1024 * 1024;

  private static final Map<String, Spec> SPECS =
      Map.ofEntries(
          spec("set", -3, true),
          spec("setnx", 3, true),
          spec("setex", 4, true),
          spec("psetex", 4, true),
          spec("getset", 3, true),
          spec("getdel", 2, true),
          spec("getex", -2, true),
          spec("incr", 2, true),
          spec("decr", 2, true),
          spec("incrby", 3, true),
          spec("decrby", 3, true),
          spec("incrbyfloat", 3, true),
          spec("append", 3, true),
          spec("setrange", 4, true),
          spec("expire", -3, true),
          spec("pexpire", -3, true),
          spec("expireat", -3, true),
          spec("pexpireat", -3, true),
          spec("persist", 2, true),
          spec("get", 2, false),
          spec("strlen", 2, false),
          spec("getrange", 4, false),
          spec("ttl", 2, false),
          spec("pttl", 2, false),
          spec("expiretime", 2, false),
          spec("pexpiretime", 2, false),
          spec("type", 2, false));

  private static Map.Entry<String, Spec> spec(String name, int arity, boolean writes) {
    return Map.entry(name, new Spec(name, arity, writes));
  }

  private StringCommands() {}

  /** The command named {@code name} (any case), or null if the node does not serve it. */
  static @Nullable Spec find(byte[] name) {
    if (name.length > 16) return null;
    return SPECS.get(new String(name, StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT));
  }

  /** A command's refusal: the RESP error text (no leading '-'). */
  static final class Refused extends RuntimeException {
    Refused(String text) {
      super(text, null, false, false);
    }
  }

  /**
   * One execution of a command on its key (args[1]) at time {@code now}: {@link #apply} computes
   * the reply and the key's new state from its current one. Not thread-safe; one per command.
   */
  static final class Execution implements DataStore.Update {
    private final Spec spec;
    private final byte[][] args;
    private final long now;
    private final boolean resp3;
    private final long maxValue;
    private final ByteBuf out = Unpooled.buffer(32);
    private @Nullable String error;
    private DataStore.@Nullable Change change;

    /**
     * @param maxValue the longest value the node stores (below Redis's 512 MB: its frame limit)
     */
    Execution(Spec spec, byte[][] args, long now, boolean resp3, long maxValue) {
      this.maxValue = maxValue;
      this.spec = spec;
      this.args = args;
      this.now = now;
      this.resp3 = resp3;
    }

    /** The RESP reply, once applied; null if the command was refused (see {@link #error}). */
    byte @Nullable [] reply() {
      if (error != null) return null;
      byte[] b = new byte[out.readableBytes()];
      out.getBytes(out.readerIndex(), b);
      return b;
    }

    /** The key's new state the last {@link #apply} returned, or null. */
    DataStore.@Nullable Change change() {
      return change;
    }

    /**
     * Whether sending the command again after a write that may or may not have been applied gives
     * the same state and reply: SET without NX, XX or GET, SETEX, PSETEX.
     */
    boolean retriable() {
      switch (spec.name) {
        case "setex":
        case "psetex":
          return true;
        case "set":
          for (int j = 3; j < args.length; j++) {
            String o = ascii(args[j]).toLowerCase(Locale.ROOT);
            if (o.equals("nx") || o.equals("xx") || o.equals("get")) return false;
          }
          return true;
        default:
          return false;
      }
    }

    /** The refusal's RESP error text, or null. */
    @Nullable String error() {
      return error;
    }

    @Override
    public DataStore.@Nullable Change apply(byte @Nullable [] value, long expiresAt) {
      out.clear();
      error = null;
      try {
        return change = run(value, expiresAt);
      } catch (Refused r) {
        change = null;
        out.clear();
        error = r.getMessage();
        return null;
      }
    }

    private DataStore.@Nullable Change run(byte @Nullable [] v, long exp) {
      switch (spec.name) {
        case "get":
          bulk(v);
          return null;
        case "set":
          return set(v, exp);
        case "setnx":
          if (v != null) {
            Resp.integer(out, 0);
            return null;
          }
          Resp.integer(out, 1);
          return new DataStore.Change(args[2], 0);
        case "setex":
        case "psetex":
          {
            long when = expireTime(args[2], spec.name.equals("setex") ? 1000 : 1, true, spec.name);
            Resp.ok(out);
            return new DataStore.Change(args[3], when);
          }
        case "getset":
          bulk(v);
          return new DataStore.Change(args[2], 0);
        case "getdel":
          bulk(v);
          return v == null ? null : new DataStore.Change(null, 0);
        case "getex":
          return getex(v, exp);
        case "incr":
          return incrBy(v, exp, 1);
        case "decr":
          return incrBy(v, exp, -1);
        case "incrby":
          return incrBy(v, exp, integer(args[2]));
        case "decrby":
          {
            long by = integer(args[2]);
            if (by == Long.MIN_VALUE) throw new Refused("ERR decrement would overflow");
            return incrBy(v, exp, -by);
          }
        case "incrbyfloat":
          return incrByFloat(v, exp);
        case "append":
          {
            if (v == null) {
              Resp.integer(out, args[2].length);
              return new DataStore.Change(args[2], 0);
            }
            checkLength((long) v.length + args[2].length);
            byte[] n = Arrays.copyOf(v, v.length + args[2].length);
            System.arraycopy(args[2], 0, n, v.length, args[2].length);
            Resp.integer(out, n.length);
            return new DataStore.Change(n, exp);
          }
        case "setrange":
          return setRange(v, exp);
        case "strlen":
          Resp.integer(out, v == null ? 0 : v.length);
          return null;
        case "getrange":
          getRange(v);
          return null;
        case "expire":
          return expire(v, exp, 1000, now);
        case "pexpire":
          return expire(v, exp, 1, now);
        case "expireat":
          return expire(v, exp, 1000, 0);
        case "pexpireat":
          return expire(v, exp, 1, 0);
        case "persist":
          if (v == null || exp == 0) {
            Resp.integer(out, 0);
            return null;
          }
          Resp.integer(out, 1);
          return new DataStore.Change(v, 0);
        case "ttl":
        case "pttl":
          {
            if (v == null) Resp.integer(out, -2);
            else if (exp == 0) Resp.integer(out, -1);
            else {
              long ttl = Math.max(0, exp - now);
              Resp.integer(out, spec.name.equals("pttl") ? ttl : (ttl + 500) / 1000);
            }
            return null;
          }
        case "expiretime":
        case "pexpiretime":
          if (v == null) Resp.integer(out, -2);
          else if (exp == 0) Resp.integer(out, -1);
          else Resp.integer(out, spec.name.equals("pexpiretime") ? exp : exp / 1000);
          return null;
        case "type":
          Resp.simple(out, v == null ? "none" : "string");
          return null;
        default:
          throw new Refused(RespParser.unknownCommand(args));
      }
    }

    // ---- SET, GETEX

    private static final int NX = 1,
        XX = 2,
        GET = 4,
        KEEPTTL = 8,
        PERSIST = 16,
        EX = 32,
        PX = 64,
        EXAT = 128,
        PXAT = 256;
    private static final int ANY_EXPIRE = EX | PX | EXAT | PXAT;

    /** Redis's parseExtendedStringArgumentsOrReply; returns the flags, sets {@link #expireArg}. */
    private int options(boolean set) {
      int flags = 0;
      for (int j = set ? 3 : 2; j < args.length; j++) {
        String opt = ascii(args[j]).toLowerCase(Locale.ROOT);
        boolean next = j < args.length - 1;
        if (opt.equals("nx") && (flags & XX) == 0 && set) flags |= NX;
        else if (opt.equals("xx") && (flags & NX) == 0 && set) flags |= XX;
        else if (opt.equals("get") && set) flags |= GET;
        else if (opt.equals("keepttl") && (flags & (PERSIST | ANY_EXPIRE)) == 0 && set)
          flags |= KEEPTTL;
        else if (opt.equals("persist") && !set && (flags & (ANY_EXPIRE | KEEPTTL)) == 0)
          flags |= PERSIST;
        else if (opt.equals("ex") && (flags & (KEEPTTL | PERSIST | EXAT | PX | PXAT)) == 0 && next)
          flags = expireOption(flags, EX, ++j);
        else if (opt.equals("px") && (flags & (KEEPTTL | PERSIST | EX | EXAT | PXAT)) == 0 && next)
          flags = expireOption(flags, PX, ++j);
        else if (opt.equals("exat") && (flags & (KEEPTTL | PERSIST | EX | PX | PXAT)) == 0 && next)
          flags = expireOption(flags, EXAT, ++j);
        else if (opt.equals("pxat") && (flags & (KEEPTTL | PERSIST | EX | EXAT | PX)) == 0 && next)
          flags = expireOption(flags, PXAT, ++j);
        else throw new Refused("ERR syntax error");
      }
      return flags;
    }

    private byte @Nullable [] expireArg;

    private int expireOption(int flags, int which, int j) {
      expireArg = args[j];
      return flags | which;
    }

    /** The absolute expiry time of an EX/PX/EXAT/PXAT option (Redis's getExpireMilliseconds). */
    private long optionTime(int flags) {
      boolean seconds = (flags & (EX | EXAT)) != 0;
      return expireTime(expireArg, seconds ? 1000 : 1, (flags & (EX | PX)) != 0, spec.name);
    }

    private long expireTime(byte[] arg, long unit, boolean relative, String command) {
      long ms = integer(arg);
      if (ms <= 0 || (unit == 1000 && ms > Long.MAX_VALUE / 1000)) throw invalidExpire(command);
      ms *= unit;
      if (relative) {
        if (ms > Long.MAX_VALUE - now) throw invalidExpire(command);
        ms += now;
      }
      return ms;
    }

    private DataStore.@Nullable Change set(byte @Nullable [] v, long exp) {
      int flags = options(true);
      long when = (flags & ANY_EXPIRE) != 0 ? optionTime(flags) : 0;
      if ((flags & GET) != 0) bulk(v);
      boolean found = v != null;
      if (((flags & NX) != 0 && found) || ((flags & XX) != 0 && !found)) {
        if ((flags & GET) == 0) Resp.nil(out, resp3);
        return null;
      }
      if ((flags & GET) == 0) Resp.ok(out);
      if ((flags & ANY_EXPIRE) == 0) when = (flags & KEEPTTL) != 0 ? exp : 0;
      return new DataStore.Change(args[2], when);
    }

    private DataStore.@Nullable Change getex(byte @Nullable [] v, long exp) {
      int flags = options(false);
      if (v == null) {
        Resp.nil(out, resp3);
        return null;
      }
      long when = (flags & ANY_EXPIRE) != 0 ? optionTime(flags) : 0;
      bulk(v);
      if ((flags & (EXAT | PXAT)) != 0 && when <= now) return new DataStore.Change(null, 0);
      if ((flags & ANY_EXPIRE) != 0) return new DataStore.Change(v, when);
      if ((flags & PERSIST) != 0 && exp != 0) return new DataStore.Change(v, 0);
      return null;
    }

    // ---- EXPIRE family

    private static final int E_NX = 1, E_XX = 2, E_GT = 4, E_LT = 8;

    private DataStore.@Nullable Change expire(
        byte @Nullable [] v, long exp, long unit, long basetime) {
      int flags = 0;
      for (int j = 3; j < args.length; j++) {
        String opt = ascii(args[j]);
        switch (opt.toLowerCase(Locale.ROOT)) {
          case "nx" -> flags |= E_NX;
          case "xx" -> flags |= E_XX;
          case "gt" -> flags |= E_GT;
          case "lt" -> flags |= E_LT;
          default -> throw new Refused("ERR Unsupported option " + cString(args[j]));
        }
      }
      if ((flags & E_NX) != 0 && (flags & (E_XX | E_GT | E_LT)) != 0)
        throw new Refused("ERR NX and XX, GT or LT options at the same time are not compatible");
      if ((flags & E_GT) != 0 && (flags & E_LT) != 0)
        throw new Refused("ERR GT and LT options at the same time are not compatible");
      long when = integer(args[2]);
      if (unit == 1000) {
        if (when > Long.MAX_VALUE / 1000 || when < Long.MIN_VALUE / 1000)
          throw invalidExpire(spec.name);
        when *= 1000;
      }
      if (when > Long.MAX_VALUE - basetime) throw invalidExpire(spec.name);
      when += basetime;
      if (v == null) {
        Resp.integer(out, 0);
        return null;
      }
      long current = exp == 0 ? -1 : exp;
      boolean refuse =
          ((flags & E_NX) != 0 && current != -1)
              || ((flags & E_XX) != 0 && current == -1)
              || ((flags & E_GT) != 0 && (when <= current || current == -1))
              || ((flags & E_LT) != 0 && current != -1 && when >= current);
      if (refuse) {
        Resp.integer(out, 0);
        return null;
      }
      Resp.integer(out, 1);
      if (when <= now) return new DataStore.Change(null, 0);
      return new DataStore.Change(v, when);
    }

    // ---- counters

    private DataStore.Change incrBy(byte @Nullable [] v, long exp, long by) {
      long old = v == null ? 0 : integer(v);
      if ((by < 0 && old < 0 && by < Long.MIN_VALUE - old)
          || (by > 0 && old > 0 && by > Long.MAX_VALUE - old))
        throw new Refused("ERR increment or decrement would overflow");
      long n = old + by;
      Resp.integer(out, n);
      return new DataStore.Change(Long.toString(n).getBytes(StandardCharsets.US_ASCII), exp);
    }

    private DataStore.Change incrByFloat(byte @Nullable [] v, long exp) {
      BigDecimal old = v == null ? BigDecimal.ZERO : LongDouble.parse(v);
      BigDecimal by = LongDouble.parse(args[2]);
      if (old == null || by == null) throw new Refused("ERR value is not a valid float");
      if (old == LongDouble.INFINITE || by == LongDouble.INFINITE)
        throw new Refused("ERR increment would produce NaN or Infinity");
      BigDecimal sum = LongDouble.round(old.add(by));
      if (sum == LongDouble.INFINITE)
        throw new Refused("ERR increment would produce NaN or Infinity");
      byte[] text = LongDouble.format(sum).getBytes(StandardCharsets.US_ASCII);
      Resp.bulk(out, text);
      return new DataStore.Change(text, exp);
    }

    // ---- ranges

    private DataStore.@Nullable Change setRange(byte @Nullable [] v, long exp) {
      long offset = integer(args[2]);
      if (offset < 0) throw new Refused("ERR offset is out of range");
      byte[] val = args[3];
      if (v == null) {
        if (val.length == 0) {
          Resp.integer(out, 0);
          return null;
        }
        checkLength(offset + val.length);
        v = new byte[0];
        exp = 0;
      } else if (val.length == 0) {
        Resp.integer(out, v.length);
        return null;
      } else {
        checkLength(offset + val.length);
      }
      byte[] n = Arrays.copyOf(v, (int) Math.max(v.length, offset + val.length));
      System.arraycopy(val, 0, n, (int) offset, val.length);
      Resp.integer(out, n.length);
      return new DataStore.Change(n, exp);
    }

    private void getRange(byte @Nullable [] v) {
      long start = integer(args[2]);
      long end = integer(args[3]);
      if (v == null) {
        Resp.bulk(out, new byte[0]);
        return;
      }
      long len = v.length;
      if (start < 0 && end < 0 && start > end) {
        Resp.bulk(out, new byte[0]);
        return;
      }
      if (start < 0) start = len + start;
      if (end < 0) end = len + end;
      if (start < 0) start = 0;
      if (end < 0) end = 0;
      if (end >= len) end = len - 1;
      if (start > end || len == 0) Resp.bulk(out, new byte[0]);
      else Resp.bulk(out, Arrays.copyOfRange(v, (int) start, (int) end + 1));
    }

    private void checkLength(long total) {
      if (total > MAX_STRING)
        throw new Refused("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
      if (total > maxValue)
        throw new Refused(
            "ERR string exceeds maximum allowed size (this storage node's limit of "
                + maxValue
                + " bytes)");
    }

    private void bulk(byte @Nullable [] v) {
      Resp.bulk(out, v, resp3);
    }
  }

  /** Redis's string2ll: the whole argument a decimal long, no sign but '-', no leading zero. */
  static long integer(byte[] b) {
    Long n = parseLong(b);
    if (n == null) throw new Refused("ERR value is not an integer or out of range");
    return n;
  }

  static @Nullable Long parseLong(byte[] b) {
    int len = b.length;
    if (len == 0 || len >= 21) return null;
    if (len == 1 && b[0] == '0') return 0L;
    int i = b[0] == '-' ? 1 : 0;
    if (i == len || b[i] < '1' || b[i] > '9') return null;
    for (int j = i + 1; j < len; j++) if (b[j] < '0' || b[j] > '9') return null;
    try {
      return Long.parseLong(new String(b, StandardCharsets.US_ASCII));
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static Refused invalidExpire(String command) {
    return new Refused("ERR invalid expire time in '" + command + "' command");
  }

  private static String ascii(byte[] b) {
    return new String(b, StandardCharsets.ISO_8859_1);
  }

  /** As C prints a string: up to its first zero byte. */
  private static String cString(byte[] b) {
    int n = 0;
    while (n < b.length && b[n] != 0) n++;
    return new String(b, 0, n, StandardCharsets.ISO_8859_1);
  }

  /** C's long double (x87: 64-bit significand), exactly, as BigDecimals. */
  static final class LongDouble {
    /** Stands for an infinite value (compared by identity). */
    static final BigDecimal INFINITE = new BigDecimal("1E+100000");

    private static final int MAX_CHARS = 5 * 1024;
    private static final BigInteger TWO = BigInteger.valueOf(2);

    private LongDouble() {}

    /**
     * strtold as Redis's string2ld takes it: null for what Redis refuses (empty, too long, leading
     * space, trailing characters, NaN, overflow, underflow to zero), {@link #INFINITE} for "inf".
     */
    static @Nullable BigDecimal parse(byte[] b) {
      if (b.length == 0 || b.length >= MAX_CHARS) return null;
      String s = new String(b, StandardCharsets.ISO_8859_1);
      String body = s.startsWith("-") || s.startsWith("+") ? s.substring(1) : s;
      String lower = body.toLowerCase(Locale.ROOT);
      if (lower.equals("inf") || lower.equals("infinity")) return INFINITE;
      if (!body.matches("([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?")) return null;
      BigDecimal x;
      try {
        x = new BigDecimal(body);
      } catch (NumberFormatException | ArithmeticException e) {
        return null;
      }
      if (s.startsWith("-")) x = x.negate();
      BigDecimal r = round(x);
      if (r == INFINITE) return null;
      if (r.signum() == 0 && x.signum() != 0) return null; // underflow
      return r;
    }

    /** {@code x} rounded to the nearest long double (half even); {@link #INFINITE} past its max. */
    static BigDecimal round(BigDecimal x) {
      if (x.signum() == 0) return BigDecimal.ZERO;
      BigDecimal a = x.abs();
      double log2 = (a.unscaledValue().bitLength() - 1) - a.scale() * 3.321928094887362;
      if (log2 > 16400) return INFINITE;
      if (log2 < -16500) return BigDecimal.ZERO;
      int k = 63 - (int) Math.floor(log2);
      BigInteger m = scaled(a, k);
      while (m.bitLength() > 64) m = scaled(a, --k);
      while (m.bitLength() < 64) m = scaled(a, ++k);
      if (k < -16320) return INFINITE; // above LDBL_MAX (2^16384)
      BigDecimal r = k >= 0 ? exact(m, k) : new BigDecimal(m.shiftLeft(-k));
      return x.signum() < 0 ? r.negate() : r;
    }

    /** round(a * 2^k), half even. */
    private static BigInteger scaled(BigDecimal a, int k) {
      BigDecimal s =
          k >= 0
              ? a.multiply(new BigDecimal(TWO.pow(k)))
              : a.multiply(new BigDecimal(BigInteger.valueOf(5).pow(-k))).movePointLeft(-k);
      return s.setScale(0, RoundingMode.HALF_EVEN).toBigIntegerExact();
    }

    /** m / 2^k exactly. */
    private static BigDecimal exact(BigInteger m, int k) {
      return new BigDecimal(m.multiply(BigInteger.valueOf(5).pow(k))).movePointLeft(k);
    }

    /** printf("%.17Lf") without trailing zeros (and "-0" as "0"), as Redis prints INCRBYFLOAT. */
    static String format(BigDecimal x) {
      String s = x.setScale(17, RoundingMode.HALF_EVEN).toPlainString();
      if (s.indexOf('.') >= 0) {
        int l = s.length();
        while (s.charAt(l - 1) == '0') l--;
        if (s.charAt(l - 1) == '.') l--;
        s = s.substring(0, l);
      }
      return s.equals("-0") ? "0" : s;
    }
  }
}
