package io.fdbmeta.tools.bench;

import java.io.PrintWriter;

/** What a benchmark prints: a table for people and, on request, one JSON line for scripts. */
public interface Report {
  String table(String reproduce);

  String json(String reproduce);

  /**
   * The table, then the JSON line if {@code json}; {@code reproduce} is the command that reruns it.
   */
  default void print(PrintWriter out, String reproduce, boolean json) {
    out.print(table(reproduce));
    if (json) out.println(json(reproduce));
    out.flush();
  }
}
