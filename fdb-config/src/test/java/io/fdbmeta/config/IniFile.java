package io.fdbmeta.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reader for the ini dialect of fdbmonitor's {@code foundationdb.conf}: {@code [section]} headers,
 * {@code key = value} lines, whole-line {@code #} or {@code ;} comments.
 *
 * <p>Stricter than fdbmonitor on purpose: a repeated section or key is an error rather than a
 * silent override, because in a checked-in config it is always a mistake (two processes on one
 * port, say). Keys are normalised to underscores since fdbmonitor accepts {@code cluster-file} and
 * {@code cluster_file} alike.
 */
record IniFile(Map<String, Map<String, String>> sections) {

  static IniFile parse(String text) {
    Map<String, Map<String, String>> sections = new LinkedHashMap<>();
    Map<String, String> current = null;
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      int lineNo = i + 1;
      if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
        continue;
      }
      if (line.startsWith("[")) {
        if (!line.endsWith("]") || line.length() < 3) {
          throw error(lineNo, "malformed section header " + line);
        }
        String name = line.substring(1, line.length() - 1).strip();
        if (sections.containsKey(name)) {
          throw error(lineNo, "duplicate section [" + name + "]");
        }
        current = new LinkedHashMap<>();
        sections.put(name, current);
        continue;
      }
      int eq = line.indexOf('=');
      if (eq <= 0) {
        throw error(lineNo, "expected 'key = value', got: " + line);
      }
      if (current == null) {
        throw error(lineNo, "key outside any section: " + line);
      }
      String key = line.substring(0, eq).strip().replace('-', '_');
      if (current.put(key, line.substring(eq + 1).strip()) != null) {
        throw error(lineNo, "duplicate key " + key);
      }
    }
    sections.replaceAll((name, values) -> Collections.unmodifiableMap(values));
    return new IniFile(Collections.unmodifiableMap(sections));
  }

  Map<String, String> section(String name) {
    return sections.getOrDefault(name, Map.of());
  }

  private static IllegalArgumentException error(int lineNo, String message) {
    return new IllegalArgumentException("line " + lineNo + ": " + message);
  }
}
