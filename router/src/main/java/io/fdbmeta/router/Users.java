package io.fdbmeta.router;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/*
 * The router's users: who may connect and what they may run. A users file has one user a line:
 *
 *   # NAME  PASSWORD-HASH                         PERMISSIONS (default +@all)
 *   default sha256$5f1c...$9a0b...                 +@all
 *   app     sha256$0c2d...$77e1...                 +@all
 *   report  sha256$a1b2...$c3d4...                 +@all -@write
 *
 * Blank lines and lines starting with '#' are ignored. Permissions are Redis ACL category rules
 * read left to right over the two categories the router tells apart: +@all / -@all (everything)
 * and +@write / -@write (commands in Redis's @write category: SET, MSET, DEL, ...). "+@all -@write"
 * is a read-only user; it gets Redis's -NOPERM for a write.
 *
 * Passwords are stored as "sha256$SALT$HASH": SHA-256 of the salt's bytes then the password's
 * UTF-8, both hex; `fdbmeta users hash` makes one. One salted SHA-256, as Redis ACL's SHA-256 (which
 * is unsalted), not a slow KDF: AUTH is answered on the event loop, a slow hash there would let
 * failed AUTHs stall every connection of the loop, and like Redis we expect long random passwords,
 * which a fast hash does not weaken. The comparison takes constant time.
 *
 * "AUTH password" is "AUTH default password": the default user must be in the file for it to work.
 * With a users file every connection starts unauthenticated; without one, auth is off and every
 * connection is Redis's passwordless default user (ALL).
 */
/** The users of a router with authentication on: see the comment at the top. Immutable. */
public final class Users {
  /** One user: its name, salted password hash and whether it may run @write commands. */
  public record User(String name, byte[] salt, byte[] hash, boolean canWrite) {}

  /** Every connection's user when auth is off: Redis's "default" user with nopass and +@all. */
  static final User NOPASS_DEFAULT = new User("default", new byte[0], new byte[0], true);

  private static final String SCHEME = "sha256";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Map<String, User> byName;

  private Users(Map<String, User> byName) {
    this.byName = byName;
  }

  /** The users of a users file; a bad line is an {@link IllegalArgumentException} naming it. */
  public static Users load(Path file) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read users file " + file + ": " + e, e);
    }
    return parse(lines, file.toString());
  }

  /** The users of the lines of a users file; {@code source} names it in errors. */
  public static Users parse(List<String> lines, String source) {
    Map<String, User> users = new LinkedHashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) continue;
      String where = source + ":" + (i + 1) + ": ";
      String[] t = line.split("\\s+");
      if (t.length < 2)
        throw new IllegalArgumentException(where + "expected 'NAME PASSWORD-HASH [+@all|-@write]'");
      byte[][] saltHash = parseHash(t[1]);
      if (saltHash == null)
        throw new IllegalArgumentException(
            where
                + "the password must be stored as "
                + SCHEME
                + "$SALT$HASH (make one with 'fdbmeta users hash'), got '"
                + t[1]
                + "'");
      boolean all = t.length == 2;
      boolean write = all;
      for (int j = 2; j < t.length; j++) {
        switch (t[j]) {
          case "+@all" -> {
            all = true;
            write = true;
          }
          case "-@all" -> {
            all = false;
            write = false;
          }
          case "+@write" -> write = true;
          case "-@write" -> write = false;
          default ->
              throw new IllegalArgumentException(
                  where + "unknown permission '" + t[j] + "' (known: +@all -@all +@write -@write)");
        }
      }
      if (!all)
        throw new IllegalArgumentException(
            where + "a user needs +@all (add -@write for a read-only user)");
      if (users.put(t[0], new User(t[0], saltHash[0], saltHash[1], write)) != null)
        throw new IllegalArgumentException(where + "user '" + t[0] + "' is listed twice");
    }
    if (users.isEmpty())
      throw new IllegalArgumentException(source + ": no users (auth would refuse every client)");
    return new Users(Map.copyOf(users));
  }

  /** {@code password} stored as the users file wants it, with a fresh random salt. */
  public static String hash(String password) {
    byte[] salt = new byte[16];
    RANDOM.nextBytes(salt);
    HexFormat hex = HexFormat.of();
    return SCHEME + "$" + hex.formatHex(salt) + "$" + hex.formatHex(digest(salt, password));
  }

  /** The user whose name and password these are, or null (unknown user or wrong password). */
  @Nullable User authenticate(String name, byte[] password) {
    User u = byName.get(name);
    // an unknown user costs a hash too, so timing does not tell which names exist
    byte[] d = digest(u == null ? new byte[16] : u.salt(), password);
    return u != null && MessageDigest.isEqual(d, u.hash()) ? u : null;
  }

  /** The names of the users, for logs. */
  public List<String> names() {
    return List.copyOf(byName.keySet());
  }

  private static byte @Nullable [][] parseHash(String s) {
    String[] p = s.split("\\$", -1);
    if (p.length != 3 || !p[0].equals(SCHEME)) return null;
    try {
      byte[] salt = HexFormat.of().parseHex(p[1]);
      byte[] hash = HexFormat.of().parseHex(p[2]);
      return salt.length == 0 || hash.length != 32 ? null : new byte[][] {salt, hash};
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static byte[] digest(byte[] salt, String password) {
    return digest(salt, password.getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] digest(byte[] salt, byte[] password) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(salt);
      return md.digest(Objects.requireNonNull(password));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from the JDK", e);
    }
  }
}
