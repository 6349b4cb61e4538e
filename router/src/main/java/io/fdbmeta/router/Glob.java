package io.fdbmeta.router;

/**
 * Redis's glob-style matching (util.c stringmatchlen, case-sensitive) for SCAN MATCH and KEYS:
 * {@code *}, {@code ?}, {@code [abc]}, {@code [^a-z]}, {@code \} escapes; bytes compared as C's
 * signed chars, as Redis compares them.
 */
final class Glob {
  private final byte[] p;
  private boolean skipLonger;

  private Glob(byte[] pattern) {
    this.p = pattern;
  }

  /** Whether {@code key} matches {@code pattern}. */
  static boolean matches(byte[] pattern, byte[] key) {
    if (pattern.length == 1 && pattern[0] == '*') return true;
    return new Glob(pattern).match(0, p(pattern), key, 0, key.length, 0);
  }

  private static int p(byte[] b) {
    return b.length;
  }

  /** The pattern byte at i, or 0 past the end (C reads the terminator there). */
  private byte at(int i) {
    return i < p.length ? p[i] : 0;
  }

  private boolean match(int pi, int plen, byte[] s, int si, int slen, int nesting) {
    if (nesting > 1000) return false;
    while (plen > 0 && slen > 0) {
      switch (at(pi)) {
        case '*':
          while (plen > 0 && at(pi + 1) == '*') {
            pi++;
            plen--;
          }
          if (plen == 1) return true;
          while (slen > 0) {
            if (match(pi + 1, plen - 1, s, si, slen, nesting + 1)) return true;
            if (skipLonger) return false;
            si++;
            slen--;
          }
          skipLonger = true;
          return false;
        case '?':
          si++;
          slen--;
          break;
        case '[':
          {
            pi++;
            plen--;
            boolean not = at(pi) == '^';
            if (not) {
              pi++;
              plen--;
            }
            boolean match = false;
            while (true) {
              if (at(pi) == '\\' && plen >= 2) {
                pi++;
                plen--;
                if (at(pi) == s[si]) match = true;
              } else if (at(pi) == ']') {
                break;
              } else if (plen == 0) {
                pi--;
                plen++;
                break;
              } else if (plen >= 3 && at(pi + 1) == '-') {
                int start = at(pi);
                int end = at(pi + 2);
                int c = s[si];
                if (start > end) {
                  int t = start;
                  start = end;
                  end = t;
                }
                pi += 2;
                plen -= 2;
                if (c >= start && c <= end) match = true;
              } else if (at(pi) == s[si]) {
                match = true;
              }
              pi++;
              plen--;
            }
            if (not) match = !match;
            if (!match) return false;
            si++;
            slen--;
            break;
          }
        case '\\':
          if (plen >= 2) {
            pi++;
            plen--;
          }
          if (at(pi) != s[si]) return false;
          si++;
          slen--;
          break;
        default:
          if (at(pi) != s[si]) return false;
          si++;
          slen--;
          break;
      }
      pi++;
      plen--;
      if (slen == 0) {
        while (at(pi) == '*') {
          pi++;
          plen--;
        }
        break;
      }
    }
    return plen == 0 && slen == 0;
  }
}
