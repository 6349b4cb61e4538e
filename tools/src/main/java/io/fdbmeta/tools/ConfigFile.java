package io.fdbmeta.tools;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/*
 * `--config FILE` of the service commands (controller, router, node): one format for all three.
 *
 *   # a comment
 *   listen = 127.0.0.1:6380
 *   admin  = 127.0.0.1:9380
 *
 * One `key = value` per line; keys are the command's long options without "--" (not config, help
 * or version, nor the global store options: the store is named on the command line or by the
 * environment, FDB_CLUSTER_FILE or FDBMETA_STORE, as for every command); blank lines and lines
 * starting with '#' are ignored; whitespace around key and value is trimmed; a key may appear
 * once. An option given on the command line wins over the file:
 * the file is picocli's default-value provider (DefaultsFromFile, set on the whole command tree by
 * Main), which picocli asks only for the options the command line did not set.
 *
 * The file is read once per command line, when picocli first asks (or, if the command line sets
 * every option, by ErrorHandlers.validateThenRun before the command runs), and checked whole: an
 * unknown key, a line that is not `key = value`, a repeated key or a value a HOST:PORT option
 * cannot parse is one line naming FILE:LINE and the key, exit 2. Values the command checks itself
 * (ids) name the file line too: commands report them through badValue.
 */
/** {@code --config FILE} for a service command: see the comment at the top. */
final class ConfigFile {
  /** Options that cannot be set from a file. */
  private static final List<String> NOT_KEYS = List.of("config", "help", "version");

  /** Options whose value is a HOST:PORT to listen on, checked when the file is read. */
  private static final List<String> LISTEN_KEYS = List.of("listen", "admin");

  /**
   * The mixin: add {@code @Mixin ConfigFile.ConfigOption configFile = new
   * ConfigFile.ConfigOption();}.
   */
  static final class ConfigOption {
    @Option(
        names = "--config",
        paramLabel = "FILE",
        description =
            "Read settings from FILE: one 'key = value' a line, keys named as the long options"
                + " without '--' (e.g. 'listen = 127.0.0.1:6380'), '#' starts a comment. Options"
                + " on the command line win over the file.")
    @Nullable Path file;

    private @Nullable ConfigFile loaded;
  }

  /** Picocli's default-value provider: what the command's --config file says, if anything. */
  static final class DefaultsFromFile implements IDefaultValueProvider {
    @Override
    public @Nullable String defaultValue(ArgSpec arg) {
      if (!(arg instanceof OptionSpec o) || o.longestName().equals("--config")) return null;
      ConfigFile f = of(arg.command());
      if (f == null) return null;
      Entry e = f.entries.get(o.longestName().substring(2));
      return e == null ? null : e.value();
    }
  }

  /** One setting and the line it is on (1-based). */
  record Entry(String key, String value, int line) {}

  private final Path file;
  private final Map<String, Entry> entries;

  private ConfigFile(Path file, Map<String, Entry> entries) {
    this.file = file;
    this.entries = entries;
  }

  /**
   * The --config file of {@code spec}'s command, read and checked on first use; null if the command
   * has no --config option or it was not given.
   *
   * @throws ParameterException (exit 2) naming the file, line and key of the first problem
   */
  static @Nullable ConfigFile of(CommandSpec spec) {
    ConfigOption option = option(spec);
    if (option == null || option.file == null) return null;
    if (option.loaded == null) option.loaded = read(spec, option.file);
    return option.loaded;
  }

  private static @Nullable ConfigOption option(CommandSpec spec) {
    for (CommandSpec m : spec.mixins().values())
      if (m.userObject() instanceof ConfigOption c) return c;
    return null;
  }

  static ConfigFile read(CommandSpec spec, Path file) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ParameterException(
          spec.commandLine(), "--config: cannot read " + file + ": " + describe(e));
    }
    TreeSet<String> known = new TreeSet<>();
    for (OptionSpec o : spec.options()) {
      String name = o.longestName();
      if (name.startsWith("--") && !o.inherited() && !NOT_KEYS.contains(name.substring(2)))
        known.add(name.substring(2));
    }
    Map<String, Entry> entries = new LinkedHashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) continue;
      String where = file + ":" + (i + 1) + ": ";
      int eq = line.indexOf('=');
      if (eq <= 0)
        throw new ParameterException(
            spec.commandLine(), where + "'" + line + "' is not 'key = value'");
      String key = line.substring(0, eq).strip();
      String value = line.substring(eq + 1).strip();
      if (!known.contains(key))
        throw new ParameterException(
            spec.commandLine(),
            where
                + "unknown key '"
                + key
                + "' for '"
                + spec.qualifiedName()
                + "' (known: "
                + String.join(", ", known)
                + ")");
      Entry earlier = entries.get(key);
      if (earlier != null)
        throw new ParameterException(
            spec.commandLine(),
            where + "key '" + key + "' again (first set on line " + earlier.line() + ")");
      if (value.isEmpty())
        throw new ParameterException(spec.commandLine(), where + "key '" + key + "' has no value");
      if (LISTEN_KEYS.contains(key)) {
        try {
          HostPort.parseListen(value);
        } catch (IllegalArgumentException e) {
          throw new ParameterException(
              spec.commandLine(), where + "bad value for key '" + key + "': " + e.getMessage());
        }
      }
      entries.put(key, new Entry(key, value, i + 1));
    }
    return new ConfigFile(file, entries);
  }

  /**
   * A usage error (exit 2) for a bad value of {@code option}: names the file, line and key if the
   * value came from the --config file, else the option.
   */
  static ParameterException badValue(CommandSpec spec, String option, String message) {
    String key = option.substring(2);
    ConfigFile f = of(spec);
    Entry e = f == null ? null : f.entries.get(key);
    ParseResult parsed = spec.commandLine().getParseResult();
    if (f != null && e != null && (parsed == null || !parsed.hasMatchedOption(option)))
      return new ParameterException(
          spec.commandLine(),
          f.file + ":" + e.line() + ": bad value for key '" + key + "': " + message);
    return new ParameterException(spec.commandLine(), option + " " + message);
  }

  private static String describe(IOException e) {
    return e instanceof java.nio.file.NoSuchFileException
        ? "no such file"
        : e.getClass().getSimpleName() + ": " + e.getMessage();
  }
}
