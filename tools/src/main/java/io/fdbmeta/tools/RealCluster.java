package io.fdbmeta.tools;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.FDB;
import com.apple.foundationdb.FDBException;
import java.nio.file.Path;

/**
 * Opens a real FoundationDB cluster. This is the only main code that touches {@code
 * com.apple.foundationdb.FDB}: loading that class loads the native client (libfdb_c), which most
 * machines running fdbmeta do not have. Callers reach it only for {@code --cluster-file} or {@code
 * FDB_CLUSTER_FILE}, after checking that the cluster file exists.
 */
final class RealCluster {
  private RealCluster() {}

  static Database open(Path clusterFile) {
    try {
      return FDB.selectAPIVersion(Stores.FDB_API_VERSION).open(clusterFile.toString());
    } catch (UnsatisfiedLinkError | ExceptionInInitializerError | NoClassDefFoundError e) {
      // NoClassDefFoundError: FDB's initialisation already failed earlier in this JVM.
      throw new CliException(
          1,
          "cannot load the FoundationDB client library libfdb_c ("
              + rootMessage(e)
              + "); install foundationdb-clients or use --embedded",
          e);
    } catch (FDBException e) {
      throw new CliException(
          1,
          "cannot open the FoundationDB cluster "
              + clusterFile
              + ": "
              + e.getMessage()
              + " ("
              + e.getCode()
              + ")",
          e);
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) t = t.getCause();
    String m = t.getMessage();
    return m == null ? t.getClass().getSimpleName() : m.strip();
  }
}
