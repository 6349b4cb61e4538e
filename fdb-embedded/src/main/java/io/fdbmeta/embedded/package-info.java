/**
 * An in-process implementation of the FoundationDB Java API. Entry point: {@link
 * io.fdbmeta.embedded.EmbeddedFdb}.
 */
@NullMarked
package io.fdbmeta.embedded;

import org.jspecify.annotations.NullMarked;
