package io.fdbmeta.tools;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** Left-aligned text columns, two spaces apart, sized to their widest cell. */
final class Table {
  private final List<String[]> rows = new ArrayList<>();

  Table(String... header) {
    rows.add(header);
  }

  Table row(Object... cells) {
    String[] r = new String[cells.length];
    for (int i = 0; i < cells.length; i++) r[i] = String.valueOf(cells[i]);
    rows.add(r);
    return this;
  }

  void print(PrintWriter out) {
    int columns = rows.get(0).length;
    int[] width = new int[columns];
    for (String[] r : rows) {
      for (int i = 0; i < columns; i++)
        width[i] = Math.max(width[i], r[i].codePointCount(0, r[i].length()));
    }
    for (String[] r : rows) {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < columns; i++) {
        sb.append(r[i]);
        if (i < columns - 1)
          sb.append(" ".repeat(width[i] - r[i].codePointCount(0, r[i].length()) + 2));
      }
      out.println(sb);
    }
  }
}
