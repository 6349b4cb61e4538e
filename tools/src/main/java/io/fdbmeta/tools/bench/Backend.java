package io.fdbmeta.tools.bench;

/** What {@code bench store} runs each workload on. */
public enum Backend {
  MEMORY("memory", "fdb-embedded, in memory"),
  DURABLE("durable", "fdb-embedded, durable in a directory"),
  SERVED("served", "fdb-embedded, durable, served by `fdbmeta store serve` in another process"),
  SKIPLIST("skiplist", "raw ConcurrentSkipListMap<byte[], byte[]>, no transactions");

  final String id;
  final String description;

  Backend(String id, String description) {
    this.id = id;
    this.description = description;
  }
}
