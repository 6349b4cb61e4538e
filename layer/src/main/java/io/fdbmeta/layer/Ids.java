package io.fdbmeta.layer;

import java.security.SecureRandom;
import java.util.UUID;

/**
 * Identifiers chosen outside retry loops, so that a retried transaction writes the same ids as the
 * attempt that may already have committed.
 */
public final class Ids {
  /** The id of the first range, created by bootstrap. */
  public static final long ROOT_RANGE_ID = 1;

  private static final SecureRandom RANDOM = new SecureRandom();

  private Ids() {}

  /** A fresh range id: random, positive and above the reserved ids. */
  public static long newRangeId() {
    long id;
    do {
      id = RANDOM.nextLong() >>> 12; // 52 bits: readable in a CLI, exact in a JSON double
    } while (id <= 1000);
    return id;
  }

  public static String newOpId() {
    return UUID.randomUUID().toString();
  }
}
