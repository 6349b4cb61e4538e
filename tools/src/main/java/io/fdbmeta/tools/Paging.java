package io.fdbmeta.tools;

import io.fdbmeta.layer.Page;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import org.jspecify.annotations.Nullable;

/** Reads a paged listing, one transaction per page, up to a number of items. */
final class Paging {
  static final int PAGE_SIZE = 1000;

  private Paging() {}

  /** What was read, and whether the listing has more than that. */
  record Collected<T>(List<T> items, boolean more) {}

  /** Calls {@code read(cursor, pageSize)} until {@code max} items are read or no pages remain. */
  static <T> Collected<T> collect(BiFunction<byte @Nullable [], Integer, Page<T>> read, int max) {
    List<T> items = new ArrayList<>();
    byte[] cursor = null;
    boolean more;
    do {
      Page<T> page = read.apply(cursor, Math.min(PAGE_SIZE, max - items.size()));
      items.addAll(page.items());
      cursor = page.nextCursor();
      more = page.hasMore();
    } while (more && items.size() < max);
    return new Collected<>(items, more);
  }
}
