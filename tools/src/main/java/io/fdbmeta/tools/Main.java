package io.fdbmeta.tools;

/** Placeholder entry point of the fdbmeta CLI. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.out.println("fdbmeta");
  }
}
