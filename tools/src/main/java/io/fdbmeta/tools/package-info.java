/**
 * The {@code fdbmeta} command line: one picocli class per command, global store options inherited
 * by every command. Entry point: {@link io.fdbmeta.tools.Main}.
 */
@NullMarked
package io.fdbmeta.tools;

import org.jspecify.annotations.NullMarked;
