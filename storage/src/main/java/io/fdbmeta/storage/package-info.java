/** The reference storage node: in-memory data per range, served under the layer's leases. */
@NullMarked
package io.fdbmeta.storage;

import org.jspecify.annotations.NullMarked;
