package io.fdbmeta.layer;

/**
 * One reason an import file is refused, with the line it is on (1-based; 0 when it concerns the
 * file as a whole). Imports collect every problem before writing anything and write nothing if
 * there is one.
 */
public record ImportProblem(long line, String message) {
  /** At most this many problems are collected; a file with more is clearly not the right one. */
  public static final int MAX = 100;

  @Override
  public String toString() {
    return line > 0 ? "line " + line + ": " + message : message;
  }
}
