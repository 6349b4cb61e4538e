package io.fdbmeta.embedded.conformance;

import static io.fdbmeta.embedded.conformance.Fdb.b;
import static io.fdbmeta.embedded.conformance.Fdb.concat;
import static io.fdbmeta.embedded.conformance.Fdb.filled;
import static io.fdbmeta.embedded.conformance.Fdb.hex;
import static org.assertj.core.api.Assertions.assertThat;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.MutationType;
import com.apple.foundationdb.Transaction;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.SoftAssertions;

/**
 * Every atomic {@link MutationType} at byte level, as FoundationDB evaluates it at API 730
 * (fdbclient/include/fdbclient/Atomic.h: doLittleEndianAdd, doAndV2, doOr, doXor, doMax, doMinV2,
 * doByteMax, doByteMin, doAppendIfFits, doCompareAndClear). Each case is checked twice: read back
 * inside the mutating transaction (read-your-writes evaluation) and after commit.
 */
class AtomicOpsConformanceTest {

  /** {@code existing == null}: the key is absent. {@code expected == null}: absent afterwards. */
  record Case(String name, byte[] existing, MutationType op, byte[] operand, byte[] expected) {}

  private static final byte[] EMPTY = new byte[0];

  private static byte[] h(String hex) {
    return Fdb.hex(hex);
  }

  static List<Case> cases() {
    List<Case> c = new ArrayList<>();
    // ADD: little-endian, result as long as the operand; existing zero-extended or truncated.
    c.add(new Case("add simple", h("0100"), MutationType.ADD, h("0100"), h("0200")));
    c.add(new Case("add carry", h("ff00"), MutationType.ADD, h("0100"), h("0001")));
    c.add(new Case("add carry out is lost", h("ffff"), MutationType.ADD, h("0100"), h("0000")));
    c.add(
        new Case(
            "add existing longer is truncated", h("010203"), MutationType.ADD, h("01"), h("02")));
    c.add(new Case("add operand longer", h("ff"), MutationType.ADD, h("010000"), h("000100")));
    c.add(new Case("add missing key", null, MutationType.ADD, h("0500"), h("0500")));
    c.add(new Case("add empty existing", EMPTY, MutationType.ADD, h("03"), h("03")));
    c.add(new Case("add empty operand", h("01"), MutationType.ADD, EMPTY, EMPTY));
    c.add(
        new Case(
            "add 64-bit -1 + 2",
            h("ffffffffffffffff"),
            MutationType.ADD,
            h("0200000000000000"),
            h("0100000000000000")));
    // BIT_AND (AndV2 at API >= 510): a missing key takes the operand; a present one is
    // zero-extended, so a short or empty existing value ANDs to zeros.
    c.add(new Case("and", h("ff0f"), MutationType.BIT_AND, h("0fff"), h("0f0f")));
    c.add(new Case("and missing key", null, MutationType.BIT_AND, h("0f"), h("0f")));
    c.add(new Case("and empty existing", EMPTY, MutationType.BIT_AND, h("0f0f"), h("0000")));
    c.add(new Case("and existing shorter", h("ff"), MutationType.BIT_AND, h("ffff"), h("ff00")));
    c.add(new Case("and existing longer", h("ffffff"), MutationType.BIT_AND, h("0f"), h("0f")));
    c.add(new Case("and empty operand", h("ff"), MutationType.BIT_AND, EMPTY, EMPTY));
    // BIT_OR / BIT_XOR: the operand's extra bytes are kept, the existing value's are dropped.
    c.add(new Case("or", h("f0"), MutationType.BIT_OR, h("0f"), h("ff")));
    c.add(new Case("or existing shorter", h("01"), MutationType.BIT_OR, h("1010"), h("1110")));
    c.add(new Case("or existing longer", h("010203"), MutationType.BIT_OR, h("10"), h("11")));
    c.add(new Case("or missing key", null, MutationType.BIT_OR, h("42"), h("42")));
    c.add(new Case("xor", h("ff"), MutationType.BIT_XOR, h("0f"), h("f0")));
    c.add(new Case("xor existing shorter", h("01"), MutationType.BIT_XOR, h("0101"), h("0001")));
    c.add(new Case("xor existing longer", h("0102"), MutationType.BIT_XOR, h("03"), h("02")));
    c.add(new Case("xor missing key", null, MutationType.BIT_XOR, h("42"), h("42")));
    // MAX / MIN: unsigned little-endian, compared at the operand's length.
    c.add(new Case("max operand larger", h("0100"), MutationType.MAX, h("0001"), h("0001")));
    c.add(new Case("max existing larger", h("0001"), MutationType.MAX, h("0500"), h("0001")));
    c.add(
        new Case(
            "max existing truncated to operand", h("0001"), MutationType.MAX, h("05"), h("05")));
    c.add(
        new Case(
            "max existing zero-extended", h("07"), MutationType.MAX, h("050000"), h("070000")));
    c.add(new Case("max missing key", null, MutationType.MAX, h("05"), h("05")));
    c.add(new Case("max empty existing", EMPTY, MutationType.MAX, h("0500"), h("0500")));
    c.add(new Case("min operand smaller", h("0001"), MutationType.MIN, h("0500"), h("0500")));
    c.add(new Case("min existing smaller", h("0500"), MutationType.MIN, h("0001"), h("0500")));
    c.add(
        new Case(
            "min existing truncated to operand", h("0001"), MutationType.MIN, h("05"), h("00")));
    c.add(
        new Case(
            "min existing zero-extended", h("07"), MutationType.MIN, h("050001"), h("070000")));
    c.add(new Case("min missing key", null, MutationType.MIN, h("05"), h("05")));
    c.add(new Case("min empty existing", EMPTY, MutationType.MIN, h("05"), h("00")));
    // BYTE_MAX / BYTE_MIN: lexicographic, whole values.
    c.add(new Case("byte_max", b("abc"), MutationType.BYTE_MAX, b("abd"), b("abd")));
    c.add(new Case("byte_max prefix", b("ab"), MutationType.BYTE_MAX, b("abc"), b("abc")));
    c.add(new Case("byte_max shorter wins", b("b"), MutationType.BYTE_MAX, b("abc"), b("b")));
    c.add(new Case("byte_max missing key", null, MutationType.BYTE_MAX, b("a"), b("a")));
    c.add(new Case("byte_max unsigned", h("7f"), MutationType.BYTE_MAX, h("80"), h("80")));
    c.add(new Case("byte_min", b("abc"), MutationType.BYTE_MIN, b("abd"), b("abc")));
    c.add(new Case("byte_min prefix", b("ab"), MutationType.BYTE_MIN, b("abc"), b("ab")));
    c.add(new Case("byte_min missing key", null, MutationType.BYTE_MIN, b("z"), b("z")));
    c.add(new Case("byte_min empty existing", EMPTY, MutationType.BYTE_MIN, b("a"), EMPTY));
    c.add(new Case("byte_min unsigned", h("80"), MutationType.BYTE_MIN, h("7f"), h("7f")));
    // APPEND_IF_FITS: the 100,000-byte value limit; if the result would not fit, no change.
    c.add(new Case("append", b("ab"), MutationType.APPEND_IF_FITS, b("cd"), b("abcd")));
    c.add(new Case("append missing key", null, MutationType.APPEND_IF_FITS, b("cd"), b("cd")));
    c.add(
        new Case(
            "append exactly fits",
            filled(99_998, 'x'),
            MutationType.APPEND_IF_FITS,
            b("yz"),
            concat(filled(99_998, 'x'), b("yz"))));
    c.add(
        new Case(
            "append does not fit",
            filled(99_999, 'x'),
            MutationType.APPEND_IF_FITS,
            b("yz"),
            filled(99_999, 'x')));
    // COMPARE_AND_CLEAR: clears only on equality; a missing key stays missing.
    c.add(
        new Case("compare_and_clear equal", b("v"), MutationType.COMPARE_AND_CLEAR, b("v"), null));
    c.add(
        new Case(
            "compare_and_clear different", b("v"), MutationType.COMPARE_AND_CLEAR, b("w"), b("v")));
    c.add(
        new Case(
            "compare_and_clear prefix", b("vv"), MutationType.COMPARE_AND_CLEAR, b("v"), b("vv")));
    c.add(
        new Case("compare_and_clear missing", null, MutationType.COMPARE_AND_CLEAR, b("v"), null));
    return c;
  }

  private static byte[] key(int i) {
    return b(String.format("atomic/%03d", i));
  }

  @ConformanceTest
  void everyAtomicOpAtByteLevel(Backend backend) {
    Database db = backend.db();
    List<Case> cases = cases();
    db.run(
        tr -> {
          for (int i = 0; i < cases.size(); i++) {
            if (cases.get(i).existing() != null) tr.set(key(i), cases.get(i).existing());
          }
          return null;
        });
    Map<String, String> inTransaction = new LinkedHashMap<>();
    try (Transaction tr = db.createTransaction()) {
      for (int i = 0; i < cases.size(); i++) {
        tr.mutate(cases.get(i).op(), key(i), cases.get(i).operand());
      }
      for (int i = 0; i < cases.size(); i++) {
        inTransaction.put(cases.get(i).name(), hex(tr.get(key(i)).join()));
      }
      tr.commit().join();
    }
    SoftAssertions soft = new SoftAssertions();
    db.read(
        (com.apple.foundationdb.ReadTransaction tr) -> {
          for (int i = 0; i < cases.size(); i++) {
            Case c = cases.get(i);
            String expected = c.expected() == null ? null : hex(c.expected());
            soft.assertThat(abbreviate(hex(tr.get(key(i)).join())))
                .as("%s after commit", c.name())
                .isEqualTo(abbreviate(expected));
            soft.assertThat(abbreviate(inTransaction.get(c.name())))
                .as("%s read in the mutating transaction", c.name())
                .isEqualTo(abbreviate(expected));
          }
          return null;
        });
    soft.assertAll();
  }

  @ConformanceTest
  void atomicOpsCompose(Backend backend) {
    Database db = backend.db();
    // Several ops on one key in one transaction apply in order.
    db.run(
        tr -> {
          tr.mutate(MutationType.ADD, b("x"), h("05"));
          tr.mutate(MutationType.BIT_OR, b("x"), h("10"));
          tr.mutate(MutationType.MAX, b("x"), h("07"));
          tr.mutate(MutationType.APPEND_IF_FITS, b("x"), h("aa"));
          return null;
        });
    assertThat(hex(Fdb.get(db, b("x")))).isEqualTo("15aa");
    // Across transactions, concurrent adds all land.
    for (int i = 0; i < 10; i++) {
      db.run(
          tr -> {
            tr.mutate(MutationType.ADD, b("sum"), Fdb.le64(3));
            return null;
          });
    }
    assertThat(Fdb.le64(Fdb.get(db, b("sum")))).isEqualTo(30);
  }

  /** Long values print as length plus a prefix, so a failure stays readable. */
  private static String abbreviate(String hex) {
    if (hex == null || hex.length() <= 64) return hex;
    return hex.length() / 2
        + " bytes "
        + hex.substring(0, 16)
        + "..."
        + hex.substring(hex.length() - 16);
  }
}
