package io.fdbmeta.layer;

import com.apple.foundationdb.subspace.Subspace;

/** Keys that only core writes, for tests in route/ and control/ that forge or inspect them. */
public final class KeysForTests {
  private KeysForTests() {}

  public static byte[] controllerKey(Keyspace ks) {
    return ks.controllerKey();
  }

  public static byte[] configKey(Keyspace ks, String name) {
    return ks.configKey(name);
  }

  public static Subspace livenessSubspace(Keyspace ks) {
    return ks.livenessSubspace();
  }
}
