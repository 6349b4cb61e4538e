package io.fdbmeta.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.yaml.snakeyaml.Yaml;

/** The module's checked-in files, read relative to the module directory Maven runs tests in. */
final class ConfigFiles {

  static final Path ROOT = root();

  private ConfigFiles() {}

  static String read(String relative) {
    try {
      return Files.readString(ROOT.resolve(relative), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static MonitorConf conf(String relative) {
    return MonitorConf.parse(read(relative));
  }

  static ClusterFile clusterFile(String relative) {
    return ClusterFile.parse(read(relative));
  }

  /** YAML, and therefore also JSON, parsed to maps and lists. */
  @SuppressWarnings("unchecked")
  static Map<String, Object> yaml(String relative) {
    Object doc = new Yaml().load(read(relative));
    assertThat(doc).as(relative + " top level").isInstanceOf(Map.class);
    return (Map<String, Object>) doc;
  }

  private static Path root() {
    Path dir = Path.of("").toAbsolutePath();
    if (!Files.exists(dir.resolve("start-local-cluster.sh"))) {
      dir = dir.resolve("fdb-config"); // run from the repository root
    }
    return dir;
  }
}
