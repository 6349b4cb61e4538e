package io.fdbmeta.tools;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * {@code --json}: the command prints one JSON object on one line instead of text. Given before the
 * command name, as the global options may be, it applies to the command if the command has it.
 */
final class JsonOption {
  /** The name commands give this mixin. */
  static final String MIXIN = "output";

  @Option(names = "--json", description = "Print one JSON object (one line) instead of text.")
  boolean json;

  /** The --json of {@code command}, or a usage error if it prints no JSON. */
  static JsonOption of(CommandSpec command) {
    CommandSpec mixin = command.mixins().get(MIXIN);
    if (mixin == null || !(mixin.userObject() instanceof JsonOption o)) {
      throw new ParameterException(command.commandLine(), "--json: this command prints no JSON");
    }
    return o;
  }
}
