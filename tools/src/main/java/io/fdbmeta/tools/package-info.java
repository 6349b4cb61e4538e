/**
 * The {@code fdbmeta} command line: one picocli class per command, global store options inherited
 * by every command. Entry point: {@link io.fdbmeta.tools.Main}.
 *
 * <p>Service commands ({@code controller}, {@code router}, {@code node}; {@code store serve}) run
 * until SIGTERM and share: {@link io.fdbmeta.tools.ServiceAdmin}, the admin port ({@code /healthz},
 * {@code /readyz}, {@code /metrics} written with {@link io.fdbmeta.tools.PrometheusText}); {@link
 * io.fdbmeta.tools.ServiceLog}, one timestamped line per event; {@link
 * io.fdbmeta.tools.ServiceShutdown}, a bounded clean stop, then exit 0. {@link
 * io.fdbmeta.tools.FdbmetaProcess} runs any command in a child JVM, for tests and benchmarks.
 */
@NullMarked
package io.fdbmeta.tools;

import org.jspecify.annotations.NullMarked;
