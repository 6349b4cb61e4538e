package io.fdbmeta.tools.bench;

/** The operations {@code bench store} measures, each on every backend. */
public enum Workload {
  POINT_READ("pointReads", "point reads/s", "1 get", 16, 1),
  POINT_READ_BATCH("batchedPointReads", "point reads/s", "10 gets", 16, 10),
  COMMIT_1("commits1Client", "single-key commits/s", "1 set", 1, 1),
  COMMIT_16("commits16Clients", "single-key commits/s", "1 set", 16, 1),
  /** Enough concurrent commits for group commit to amortize each log flush over many commits. */
  COMMIT_256("commits256Clients", "single-key commits/s", "1 set", 256, 1),
  COMMIT_10_KEYS("tenKeyCommits", "key-writes/s (txn/s x 10)", "10 sets", 100, 10),
  RANGE_READ("rangeReads", "range-read keys/s", "1000 keys", 4, 1000);

  /** JSON name prefix. */
  final String id;

  /** What the figure counts: units (keys) per second. */
  final String label;

  /** The work of one transaction (one operation on the raw map). */
  final String perTransaction;

  final int clients;
  final int keysPerOp;

  Workload(String id, String label, String perTransaction, int clients, int keysPerOp) {
    this.id = id;
    this.label = label;
    this.perTransaction = perTransaction;
    this.clients = clients;
    this.keysPerOp = keysPerOp;
  }

  public int clients() {
    return clients;
  }
}
