package io.fdbmeta.tools;

import picocli.CommandLine.Option;

/** {@code --json}: the command prints one JSON object on one line instead of text. */
final class JsonOption {
  @Option(names = "--json", description = "Print one JSON object (one line) instead of text.")
  boolean json;
}
