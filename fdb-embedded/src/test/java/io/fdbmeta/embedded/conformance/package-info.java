/**
 * The FoundationDB API conformance suite: one set of tests written against {@link
 * com.apple.foundationdb.Database} only, run against every backend (see {@link
 * io.fdbmeta.embedded.conformance.Backend}). A test marked {@link
 * io.fdbmeta.embedded.conformance.ConformanceTest} runs once per backend, and the report names the
 * backend of each run. A backend that cannot run here (no cluster file, no Docker, no native
 * client) is skipped with a message saying why.
 *
 * <p>Nothing here may load {@code com.apple.foundationdb.FDB} except {@link
 * io.fdbmeta.embedded.conformance.RealCluster}, and that only in a JVM where a real cluster is
 * configured: the native client is absent on development machines.
 */
package io.fdbmeta.embedded.conformance;
