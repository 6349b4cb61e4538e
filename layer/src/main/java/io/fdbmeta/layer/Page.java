package io.fdbmeta.layer;

import java.util.List;
import org.jspecify.annotations.Nullable;

/** One page of a listing and the cursor to pass for the next page (null when this is the last). */
public record Page<T>(List<T> items, byte @Nullable [] nextCursor) {
  public Page {
    items = List.copyOf(items);
  }

  public boolean hasMore() {
    return nextCursor != null;
  }
}
