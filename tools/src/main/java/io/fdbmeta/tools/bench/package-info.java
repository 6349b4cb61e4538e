/** Benchmarks behind {@code fdbmeta bench}; commands only parse options and print reports. */
@NullMarked
package io.fdbmeta.tools.bench;

import org.jspecify.annotations.NullMarked;
