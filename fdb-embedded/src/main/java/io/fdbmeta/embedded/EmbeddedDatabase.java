package io.fdbmeta.embedded;

/** Placeholder while the engine is written; replaced by the real Database implementation. */
public final class EmbeddedDatabase {
  EmbeddedDatabase(EmbeddedFdb.Builder config) {
    throw new UnsupportedOperationException("in progress");
  }
}
