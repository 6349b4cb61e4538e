package io.fdbmeta.tools;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/**
 * {@code --version}: the project version (from a Maven-filtered resource) and the FDB API version.
 */
final class VersionProvider implements IVersionProvider {
  @Override
  public String[] getVersion() {
    Properties p = properties();
    return new String[] {
      "fdbmeta " + p.getProperty("version", "unknown"),
      "FoundationDB Java API version "
          + Stores.FDB_API_VERSION
          + " (fdb-java "
          + p.getProperty("fdbJavaVersion", "unknown")
          + ")",
      "Java " + Runtime.version()
    };
  }

  static String projectVersion() {
    return properties().getProperty("version", "unknown");
  }

  private static Properties properties() {
    Properties p = new Properties();
    try (InputStream in = VersionProvider.class.getResourceAsStream("version.properties")) {
      if (in != null) p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return p;
  }
}
