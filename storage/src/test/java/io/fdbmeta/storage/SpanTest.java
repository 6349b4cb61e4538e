package io.fdbmeta.storage;

import static io.fdbmeta.storage.Bytes.b;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class SpanTest {
  @Test
  void uncoveredPiecesInOrder() {
    Span all = new Span(b("a"), null);
    List<Span> parts = List.of(new Span(b("c"), b("e")), new Span(b("a"), b("b")));
    List<Span> gaps = all.uncovered(parts);
    assertThat(gaps).hasSize(2);
    assertThat(gaps.get(0).sameAs(new Span(b("b"), b("c")))).isTrue();
    assertThat(gaps.get(1).sameAs(new Span(b("e"), null))).isTrue();
  }

  @Test
  void childrenCoverTheirParent() {
    Span parent = new Span(b("a"), b("m"));
    assertThat(parent.coveredBy(List.of(new Span(b("g"), b("m")), new Span(b("a"), b("g")))))
        .isTrue();
    assertThat(parent.coveredBy(List.of(new Span(new byte[0], null)))).isTrue();
    assertThat(parent.coveredBy(List.of(new Span(b("a"), b("g"))))).isFalse();
    assertThat(parent.coveredBy(List.of())).isFalse();
  }

  @Test
  void overlapsMeansAKeyInBoth() {
    Span am = new Span(b("a"), b("m"));
    assertThat(am.overlaps(new Span(b("l"), null))).isTrue();
    assertThat(am.overlaps(new Span(b("m"), null))).as("end is exclusive").isFalse();
    assertThat(new Span(b("m"), null).overlaps(am)).isFalse();
    assertThat(am.overlaps(new Span(new byte[0], b("b")))).isTrue();
    assertThat(new Span(b("x"), null).overlaps(new Span(b("z"), null))).isTrue();
  }
}
