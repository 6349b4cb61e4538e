/** The deterministic simulation of the control loops behind {@code fdbmeta sim}. */
@NullMarked
package io.fdbmeta.tools.sim;

import org.jspecify.annotations.NullMarked;
