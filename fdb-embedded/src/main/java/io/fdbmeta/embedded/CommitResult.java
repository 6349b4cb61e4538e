package io.fdbmeta.embedded;

/** A commit's version and its 10-byte versionstamp (the version, then a zero batch order). */
record CommitResult(long version, byte[] versionstamp) {}
