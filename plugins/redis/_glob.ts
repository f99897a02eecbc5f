/**
 * Redis's glob matching (`stringmatchlen` in Redis's `util.c`), ported byte for byte: `*`, `?`, `[…]` with
 * `^` negation, ranges in either order and `\` escapes, an unclosed `[` running to the end of the pattern,
 * and matching on UTF-8 bytes (`?` is one byte, so it does not match `é`). With `withinLevel`, no wildcard
 * matches a `.`: what Sluice's Redis channels promise (`logs.*` is one level), applied on top of what Redis
 * itself delivers.
 *
 * @module
 */

const DOT = 0x2e;
const encoder = new TextEncoder();

function match(p: Uint8Array, pi: number, s: Uint8Array, si: number, withinLevel: boolean): boolean {
  let pLen = p.length - pi;
  let sLen = s.length - si;
  while (pLen > 0 && sLen > 0) {
    switch (p[pi]) {
      case 0x2a: { // *
        while (pLen > 1 && p[pi + 1] === 0x2a) {
          pi++;
          pLen--;
        }
        if (pLen === 1) return !withinLevel || !s.subarray(si).includes(DOT);
        while (sLen > 0) {
          if (match(p, pi + 1, s, si, withinLevel)) return true;
          if (withinLevel && s[si] === DOT) return false;
          si++;
          sLen--;
        }
        return false;
      }
      case 0x3f: // ?
        if (withinLevel && s[si] === DOT) return false;
        si++;
        sLen--;
        break;
      case 0x5b: { // [
        pi++;
        pLen--;
        const not = p[pi] === 0x5e; // ^
        if (not) {
          pi++;
          pLen--;
        }
        let matched = false;
        for (;;) {
          if (p[pi] === 0x5c && pLen >= 2) { // \
            pi++;
            pLen--;
            if (p[pi] === s[si]) matched = true;
          } else if (p[pi] === 0x5d) { // ]
            break;
          } else if (pLen <= 0) {
            pi--;
            pLen++;
            break;
          } else if (pLen >= 3 && p[pi + 1] === 0x2d) { // a-z
            let start = p[pi]!;
            let end = p[pi + 2]!;
            if (start > end) [start, end] = [end, start];
            pi += 2;
            pLen -= 2;
            const c = s[si]!;
            if (c >= start && c <= end) matched = true;
          } else if (p[pi] === s[si]) {
            matched = true;
          }
          pi++;
          pLen--;
        }
        if (not) matched = !matched;
        if (!matched || (withinLevel && s[si] === DOT)) return false;
        si++;
        sLen--;
        break;
      }
      case 0x5c: // \
        if (pLen >= 2) {
          pi++;
          pLen--;
        }
        if (p[pi] !== s[si]) return false;
        si++;
        sLen--;
        break;
      default:
        if (p[pi] !== s[si]) return false;
        si++;
        sLen--;
    }
    pi++;
    pLen--;
    if (sLen === 0) {
      while (pLen > 0 && p[pi] === 0x2a) {
        pi++;
        pLen--;
      }
      break;
    }
  }
  return pLen === 0 && sLen === 0;
}

/** Whether Redis's `PSUBSCRIBE pattern` receives a message on `channel`; `withinLevel` keeps wildcards in a `.` level. */
export function globMatches(pattern: string, channel: string, withinLevel = false): boolean {
  return match(encoder.encode(pattern), 0, encoder.encode(channel), 0, withinLevel);
}
