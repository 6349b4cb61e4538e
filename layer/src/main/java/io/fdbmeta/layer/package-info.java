/** The metadata layer storage services import. */
@NullMarked
package io.fdbmeta.layer;

import org.jspecify.annotations.NullMarked;
