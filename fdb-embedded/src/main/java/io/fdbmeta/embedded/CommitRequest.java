package io.fdbmeta.embedded;

import java.util.List;

/** What a transaction hands over at commit: its read version, conflict ranges and mutations. */
record CommitRequest(
    long readVersion, List<KeyRange> reads, List<KeyRange> writes, List<Mutation> mutations) {

  /**
   * The read version of a transaction that read nothing: no commit conflicts with it and it is
   * never too old, so it needs no GRV.
   */
  static final long READS_NOTHING = Long.MAX_VALUE;
}
