package io.fdbmeta.storage;

import org.jspecify.annotations.Nullable;

/**
 * A write the leaseholder stored and must replicate: its sequence number (the REPLICATE request id)
 * and its keys with their values, null for a delete.
 */
record ReplicatedWrite(long seq, byte[][] keys, byte[] @Nullable [] values) {}
