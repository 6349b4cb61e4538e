package io.fdbmeta.layer;

/**
 * Where a long layer operation (an export or import of a whole catalog) reports how far it got, so
 * a tool can draw a progress bar; called from the operation's thread.
 */
public interface Progress {
  /** Does nothing. */
  Progress NONE =
      new Progress() {
        @Override
        public void phase(String name, long total) {}

        @Override
        public void at(long done) {}
      };

  /** A new phase starts: {@code total} units to do, or -1 if unknown. */
  void phase(String name, long total);

  /** {@code done} units of the current phase are done. */
  void at(long done);
}
