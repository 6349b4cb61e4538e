package io.fdbmeta.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Only a real cluster may load {@code com.apple.foundationdb.FDB}. Each case runs the CLI in a
 * fresh class loader, so it can ask whether FDB was loaded, and so a failed initialisation of FDB
 * (no libfdb_c) cannot leak into other tests.
 */
class NativeClientIsolationTest {
  private static final String FDB = "com.apple.foundationdb.FDB";

  @Test
  void missingClusterFileIsReportedWithoutLoadingFdb(@TempDir Path tmp) throws Exception {
    try (Isolated cli = new Isolated()) {
      String missing = tmp.resolve("missing.cluster").toString();
      Result r = cli.run(Map.of(), "--cluster-file", missing, "ping");
      assertThat(r.code).isEqualTo(2);
      assertThat(r.err.lines())
          .singleElement()
          .asString()
          .contains("--cluster-file " + missing + ": no such file");
      assertThat(cli.loaded("io.fdbmeta.tools.Main")).isTrue();
      assertThat(cli.loaded(FDB)).isFalse();
    }
  }

  @Test
  void embeddedStoreNeverLoadsFdb(@TempDir Path tmp) throws Exception {
    try (Isolated cli = new Isolated()) {
      cli.run(Map.of(), "--embedded", tmp.toString(), "--help");
      cli.run(Map.of(), "--version");
      cli.run(Map.of(), "bench", "store", "--seconds", "-1");
      String store = tmp.resolve("store").toString();
      for (String[] args :
          new String[][] {
            {"init"},
            {"status"},
            {"nodes", "add", "n1", "--addr", "h:1", "--zone", "z", "--rack", "r"},
            {"nodes", "list"},
            {"ranges", "split", "1", "m"},
            {"ranges", "list"},
            {"ranges", "lookup", "k"}
          }) {
        List<String> line = new ArrayList<>(List.of("--embedded", store));
        line.addAll(List.of(args));
        Result r = cli.run(Map.of(), line.toArray(String[]::new));
        assertThat(r.code).as(String.join(" ", args) + ": " + r.err).isZero();
      }
      assertThat(cli.loaded(FDB)).isFalse();
    }
  }

  @Test
  void withoutLibfdbCARealClusterGivesOneClearLine(@TempDir Path tmp) throws Exception {
    assumeTrue(libfdbCAbsent(), "libfdb_c is installed here; this test covers machines without it");
    Path clusterFile = Files.writeString(tmp.resolve("fdb.cluster"), "test:test@127.0.0.1:4500\n");
    try (Isolated cli = new Isolated()) {
      Result r = cli.run(Map.of("FDB_CLUSTER_FILE", clusterFile.toString()), "ping");
      assertThat(r.code).isEqualTo(1);
      assertThat(r.err.lines())
          .singleElement()
          .asString()
          .startsWith("fdbmeta: cannot load the FoundationDB client library libfdb_c")
          .endsWith("install foundationdb-clients or use --embedded");
      assertThat(cli.loaded(FDB)).as("the check above must be able to see FDB loaded").isTrue();
      // A second attempt in the same JVM fails differently inside FDB (NoClassDefFoundError); same
      // line.
      Result again = cli.run(Map.of(), "--cluster-file", clusterFile.toString(), "ping");
      assertThat(again.err.lines())
          .singleElement()
          .asString()
          .startsWith("fdbmeta: cannot load the FoundationDB client library libfdb_c");
    }
  }

  private static boolean libfdbCAbsent() {
    List<String> dirs =
        new ArrayList<>(
            List.of(
                "/usr/lib",
                "/usr/lib64",
                "/usr/local/lib",
                "/usr/lib/x86_64-linux-gnu",
                "/usr/lib/aarch64-linux-gnu",
                "/lib"));
    for (String var : List.of("LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH")) {
      String v = System.getenv(var);
      if (v != null) dirs.addAll(List.of(v.split(File.pathSeparator)));
    }
    dirs.addAll(List.of(System.getProperty("java.library.path", "").split(File.pathSeparator)));
    return dirs.stream()
        .filter(d -> !d.isEmpty())
        .flatMap(
            d -> Stream.of("libfdb_c.so", "libfdb_c.dylib", "fdb_c.dll").map(f -> Path.of(d, f)))
        .noneMatch(Files::exists);
  }

  private record Result(int code, String out, String err) {}

  /**
   * The test class path in a loader of its own (child of the platform loader, so nothing is
   * shared).
   */
  private static final class Isolated extends URLClassLoader {
    Isolated() throws Exception {
      super(classPath(), ClassLoader.getPlatformClassLoader());
    }

    private static URL[] classPath() throws Exception {
      List<URL> urls = new ArrayList<>();
      for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
        if (!entry.isEmpty())
          urls.add(
              Path.of(entry).toUri().toURL()); // surefire's manifest jar: Class-Path is followed
      }
      return urls.toArray(URL[]::new);
    }

    boolean loaded(String name) {
      return findLoadedClass(name) != null;
    }

    Result run(Map<String, String> env, String... args) throws Exception {
      Class<?> main = loadClass("io.fdbmeta.tools.Main");
      assertThat(main.getClassLoader()).isSameAs(this);
      Method run =
          main.getMethod("run", String[].class, PrintWriter.class, PrintWriter.class, Map.class);
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      int code =
          (int) run.invoke(null, args, new PrintWriter(out, true), new PrintWriter(err, true), env);
      return new Result(code, out.toString(), err.toString());
    }
  }
}
