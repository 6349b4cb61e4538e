package io.fdbmeta.wire;

import org.jspecify.annotations.Nullable;

/**
 * A RESP command checked by {@link RespParser}: its name and arguments as a typed request, or
 * {@link Invalid} with the error to answer. The arrays are the decoder's own and are handed over;
 * do not modify them.
 */
public sealed interface RespRequest {
  Command command();

  /** {@code GET key} */
  record Get(byte[] key) implements RespRequest {
    @Override
    public Command command() {
      return Command.GET;
    }
  }

  /** {@code SET key value} (no options) */
  record Set(byte[] key, byte[] value) implements RespRequest {
    @Override
    public Command command() {
      return Command.SET;
    }
  }

  /**
   * {@code DEL}, {@code UNLINK}, {@code EXISTS}, {@code TOUCH} or {@code MGET} {@code key...}: at
   * least one key.
   */
  record Keys(Command command, byte[][] keys) implements RespRequest {}

  /** {@code MSET key value...}: at least one pair, keys and values in parallel. */
  record MSet(byte[][] keys, byte[][] values) implements RespRequest {
    @Override
    public Command command() {
      return Command.MSET;
    }
  }

  /**
   * {@code RANGE start end [LIMIT n] [WITHCURSOR]}: {@code limit} is in [1, the parser's maximum],
   * the parser's default if none was given; an empty {@code end} means no end. {@code withCursor}:
   * the reply is [next start key or null when the walk reached end, [key, value, ...]].
   */
  record Range(byte[] from, byte[] to, int limit, boolean withCursor) implements RespRequest {
    public Range(byte[] from, byte[] to, int limit) {
      this(from, to, limit, false);
    }

    @Override
    public Command command() {
      return Command.RANGE;
    }
  }

  /**
   * A command answered by the port itself: PING and ECHO ({@code message}: the argument, null for a
   * bare PING), QUIT, SELECT 0, COMMAND, INFO ({@code message}: the section, null for none).
   */
  record Local(Command command, byte @Nullable [] message) implements RespRequest {}

  /** A command refused as it stands: {@code error} is the reply's text, {@code ERR ...}. */
  record Invalid(Command command, String error) implements RespRequest {}

  /**
   * A connection command the router answers from the connection's state (HELLO, CLIENT, COMMAND,
   * RESET, SELECT, INFO, ...), already checked for arity: {@code args} are the whole command, the
   * name first.
   */
  record Connection(Command command, byte[][] args) implements RespRequest {}

  /**
   * A command over the whole keyspace (SCAN, KEYS, DBSIZE), already checked for arity: {@code args}
   * are the whole command, the name first; {@code name} its lower-case name.
   */
  record Walk(String name, byte[][] args) implements RespRequest {
    @Override
    public Command command() {
      return Command.OTHER;
    }
  }

  /**
   * A command whose keys are known from a command table but which is passed on as it is: {@code
   * args} are the whole command, the name first, {@code keys} the key arguments (at least one), all
   * of which must lie in one range. {@code writes}: whether it may write its keys.
   */
  record Forward(String name, byte[][] args, byte[][] keys, boolean writes) implements RespRequest {
    @Override
    public Command command() {
      return Command.OTHER;
    }
  }
}
