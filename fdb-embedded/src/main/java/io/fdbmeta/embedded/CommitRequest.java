package io.fdbmeta.embedded;

import java.util.List;

/** What a transaction hands over at commit: its read version, conflict ranges and mutations. */
record CommitRequest(
    long readVersion, List<KeyRange> reads, List<KeyRange> writes, List<Mutation> mutations) {}
