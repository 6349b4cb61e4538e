package io.fdbmeta.embedded.conformance;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.TestTemplate;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A test that runs once per backend ({@link Backend.Kind}); the method takes a {@link Backend}
 * parameter. Runs show up as {@code [embedded-memory]}, {@code [embedded-durable]} and {@code
 * [foundationdb]}; a backend that cannot run here is reported as skipped, with the reason.
 *
 * <p>{@code -Dconformance.backends=embedded-memory,foundationdb} restricts the backends.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@TestTemplate
@ExtendWith(BackendProvider.class)
public @interface ConformanceTest {}
