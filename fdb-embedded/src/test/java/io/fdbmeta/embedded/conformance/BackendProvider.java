package io.fdbmeta.embedded.conformance;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.Extension;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestTemplateInvocationContext;
import org.junit.jupiter.api.extension.TestTemplateInvocationContextProvider;

/**
 * Expands each {@link ConformanceTest} into one run per backend, each with a fresh {@link Backend}.
 */
final class BackendProvider implements TestTemplateInvocationContextProvider {

  @Override
  public boolean supportsTestTemplate(ExtensionContext context) {
    return true;
  }

  @Override
  public Stream<TestTemplateInvocationContext> provideTestTemplateInvocationContexts(
      ExtensionContext context) {
    return selectedKinds().stream().map(Invocation::new);
  }

  private static List<Backend.Kind> selectedKinds() {
    String selected = System.getProperty("conformance.backends", "").trim();
    if (selected.isEmpty()) return List.of(Backend.Kind.values());
    Set<String> names =
        Arrays.stream(selected.split(",")).map(String::trim).collect(Collectors.toSet());
    List<Backend.Kind> kinds =
        Arrays.stream(Backend.Kind.values()).filter(k -> names.contains(k.label())).toList();
    if (kinds.isEmpty()) {
      throw new IllegalArgumentException(
          "-Dconformance.backends="
              + selected
              + " names no backend; known: "
              + Arrays.stream(Backend.Kind.values()).map(Backend.Kind::label).toList());
    }
    return kinds;
  }

  /** One run of a test against one backend; owns that run's {@link Backend}. */
  private static final class Invocation
      implements TestTemplateInvocationContext,
          BeforeEachCallback,
          AfterEachCallback,
          ParameterResolver {
    private final Backend.Kind kind;
    private Backend backend;

    Invocation(Backend.Kind kind) {
      this.kind = kind;
    }

    @Override
    public String getDisplayName(int invocationIndex) {
      return "[" + kind.label() + "]";
    }

    @Override
    public List<Extension> getAdditionalExtensions() {
      return List.of(this);
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
      if (kind == Backend.Kind.FOUNDATIONDB) {
        RealCluster.Availability cluster = RealCluster.get();
        Assumptions.assumeTrue(
            cluster.isAvailable(), () -> "real FoundationDB run skipped: " + cluster.reason());
      }
      backend = Backend.create(kind, context.getDisplayName());
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
      if (backend != null) {
        backend.close();
        backend = null;
      }
    }

    @Override
    public boolean supportsParameter(ParameterContext p, ExtensionContext e) {
      return p.getParameter().getType() == Backend.class;
    }

    @Override
    public Object resolveParameter(ParameterContext p, ExtensionContext e) {
      if (backend == null) throw new IllegalStateException("backend not created for " + kind);
      return backend;
    }
  }
}
