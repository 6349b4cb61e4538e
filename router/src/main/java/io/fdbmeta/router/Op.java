package io.fdbmeta.router;

import io.fdbmeta.wire.Command;
import io.netty.buffer.ByteBuf;
import org.jspecify.annotations.Nullable;

/**
 * A command's slot in its connection's reply order ({@link ReplyQueue}): its reply is parked here
 * until every earlier command's reply has been written. A command that touches keys says so to the
 * queue's {@link KeyGate} while it is unanswered.
 */
class Op {
  final Command cmd;

  /** When the command was decoded, on the event loop's clock. */
  final long start;

  @Nullable ByteBuf reply;
  boolean closeAfter;

  Op(Command cmd, long start) {
    this.cmd = cmd;
    this.start = start;
  }

  /** Registers the keys this command touches; called when it takes its slot. */
  void enter(KeyGate gate) {}

  /** Unregisters them; called once, when its reply is ready. */
  void leave(KeyGate gate) {}
}
