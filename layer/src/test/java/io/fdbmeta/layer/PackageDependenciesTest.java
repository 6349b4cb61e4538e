package io.fdbmeta.layer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The layer's three packages depend one way, as package-info says: core imports neither route/ nor
 * control/, and route/ and control/ do not import each other. Checked on the sources, imports and
 * fully qualified names alike, so a javadoc link counts too.
 */
class PackageDependenciesTest {
  private static final Path SOURCES = Path.of("src/main/java/io/fdbmeta/layer");
  private static final Pattern LAYER_NAME = Pattern.compile("io\\.fdbmeta\\.layer\\.(\\w+)\\.");

  /** For each package directory, the layer subpackages its sources must not name. */
  private static final Map<String, List<String>> FORBIDDEN =
      Map.of(
          "", List.of("route", "control"),
          "route", List.of("control"),
          "control", List.of("route"));

  @Test
  void packagesDependOneWay() {
    List<String> violations = new ArrayList<>();
    FORBIDDEN.forEach(
        (dir, forbidden) -> {
          for (Path file : javaFiles(dir.isEmpty() ? SOURCES : SOURCES.resolve(dir))) {
            Matcher m = LAYER_NAME.matcher(read(file));
            while (m.find())
              if (forbidden.contains(m.group(1)))
                violations.add(SOURCES.relativize(file) + " names io.fdbmeta.layer." + m.group(1));
          }
        });
    assertThat(violations).isEmpty();
  }

  @Test
  void everyPackageIsChecked() {
    assertThat(javaFiles(SOURCES)).isNotEmpty();
    assertThat(javaFiles(SOURCES.resolve("route"))).isNotEmpty();
    assertThat(javaFiles(SOURCES.resolve("control"))).isNotEmpty();
    try (Stream<Path> dirs = Files.list(SOURCES)) {
      assertThat(dirs.filter(Files::isDirectory).map(d -> d.getFileName().toString()))
          .containsExactlyInAnyOrder("route", "control");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The .java files directly in {@code dir}. */
  private static List<Path> javaFiles(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> f.toString().endsWith(".java")).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
