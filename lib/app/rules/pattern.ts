import { RE2JS } from 're2js';
import { RULE_LIMITS } from '../../domain/rule/rule';

/**
 * `--match` patterns run on RE2JS, a pure-JS port of RE2: matching takes time linear in the text,
 * whatever the pattern, so no line can stall ingest. Two kinds of pattern are still refused when
 * a rule is added: what RE2 cannot run (backreferences, lookaround), and nested repetition such as
 * `(a+)+`, which RE2 would run safely but which backtracks catastrophically in any RegExp engine a
 * reader may copy it to (and is never needed to find a phrase).
 */

/** A compiled pattern: true when a record's text (its first RULE_LIMITS.matchChars characters) matches. */
export type Matcher = (text: string) => boolean;

export function compilePattern(pattern: string): Matcher {
  const re = RE2JS.compile(pattern);
  const cut = (text: string): string => (text.length > RULE_LIMITS.matchChars ? text.slice(0, RULE_LIMITS.matchChars) : text);
  const literal = literalMatcher(pattern);
  if (literal) return (text) => literal(cut(text));
  return (text) => re.test(cut(text));
}

/** No RE2 metacharacter: the pattern matches exactly the texts that contain it. */
const PLAIN = /^[^\\^$.|?*+()[\]{}]+$/;
// eslint-disable-next-line no-control-regex
const ASCII = /^[\u0000-\u007f]*$/;

/**
 * The two ASCII letters that RE2's case folding (Unicode's simple folding) joins with a letter
 * beyond ASCII: `k` with the Kelvin sign and `s` with the long s.
 */
const FOLDED_BEYOND_ASCII: Readonly<Record<string, string>> = { k: '[k\u212A]', s: '[s\u017F]' };

/**
 * A phrase, the commonest pattern, answered without RE2 and with the same answer on every text:
 * `OutOfMemoryError` is a substring test, and `(?i)connection refused` (which RE2JS runs about
 * 40 times slower, having no literal to look for first) one case-insensitive search. Undefined for
 * any other pattern, which RE2 runs.
 */
export function literalMatcher(pattern: string): ((text: string) => boolean) | undefined {
  const folded = pattern.startsWith('(?i)');
  const phrase = folded ? pattern.slice(4) : pattern;
  if (!PLAIN.test(phrase)) return undefined;
  if (!folded) return (text) => text.includes(phrase);
  if (!ASCII.test(phrase)) return undefined;
  // Without the `u` flag, `i` folds an ASCII letter with its other case only, never with a
  // letter beyond ASCII; the classes add the two that RE2 folds too, so the search is RE2's. The
  // phrase holds no metacharacter (PLAIN), so each of its other characters is its own source.
  const search = new RegExp([...phrase].map((c) => FOLDED_BEYOND_ASCII[c.toLowerCase()] ?? c).join(''), 'i');
  return (text) => search.test(text);
}

/** Why a pattern is refused, or undefined when it is safe to run. */
export function checkPattern(pattern: string): string | undefined {
  if (pattern.length > RULE_LIMITS.patternLength) return `a pattern has at most ${RULE_LIMITS.patternLength} characters`;
  try {
    RE2JS.compile(pattern);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return `RE2 cannot run it (${message}); backreferences and lookaround are not supported`;
  }
  const nested = nestedRepetition(pattern);
  return nested === undefined ? undefined : `nested repetition ${JSON.stringify(nested)} could backtrack catastrophically; repeat the inner part once (e.g. (a+)+ → a+)`;
}

/**
 * The first group that repeats (`*`, `+`, `{n,}`, `{n,m}` with m > 1) and holds a repetition
 * itself, if any: star height above one. Called on patterns RE2 has parsed, so the syntax is valid.
 */
export function nestedRepetition(pattern: string): string | undefined {
  // Per open group: where it starts, and whether it holds a repetition.
  const stack: { start: number; repeats: boolean }[] = [];
  let i = 0;
  const repeatAt = (j: number): number => {
    // The length of a repeating quantifier at j (0: none, or one that does not repeat).
    const c = pattern[j];
    if (c === '*' || c === '+') return 1;
    if (c !== '{') return 0;
    const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(j));
    if (!m) return 0;
    const repeats = m[2] !== undefined && (m[3] === '' || Number(m[3]) > 1) ? true : m[2] === undefined && Number(m[1]) > 1;
    return repeats ? m[0].length : -m[0].length;
  };
  while (i < pattern.length) {
    const c = pattern[i];
    if (c === '\\') {
      i += 2;
    } else if (c === '[') {
      // A class: skip to its closing bracket (a `]` first in it is a literal).
      let j = i + 1;
      if (pattern[j] === '^') j++;
      if (pattern[j] === ']') j++;
      while (j < pattern.length && pattern[j] !== ']') j += pattern[j] === '\\' ? 2 : pattern.slice(j, j + 2) === '[:' ? Math.max(2, pattern.indexOf(':]', j) + 2 - j) : 1;
      i = j + 1;
    } else if (c === '(') {
      stack.push({ start: i, repeats: false });
      i++;
    } else if (c === ')') {
      const group = stack.pop();
      const q = repeatAt(i + 1);
      if (group && q > 0 && group.repeats) return pattern.slice(group.start, i + 1 + q);
      if (group && (group.repeats || q > 0)) {
        const parent = stack[stack.length - 1];
        if (parent) parent.repeats = true;
      }
      i += 1 + Math.abs(q);
    } else {
      const q = repeatAt(i);
      if (q > 0) {
        const parent = stack[stack.length - 1];
        if (parent) parent.repeats = true;
      }
      i += q === 0 ? 1 : Math.abs(q);
    }
  }
  return undefined;
}
