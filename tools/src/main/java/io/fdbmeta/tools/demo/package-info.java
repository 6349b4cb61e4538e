/** {@code fdbmeta demo}: a storage cluster, routers and a checking workload in one process. */
@NullMarked
package io.fdbmeta.tools.demo;

import org.jspecify.annotations.NullMarked;
