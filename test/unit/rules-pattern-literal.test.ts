import fc from 'fast-check';
import { RE2JS } from 're2js';
import { describe, expect, it } from 'vitest';
import { compilePattern, literalMatcher } from '../../lib/app/rules/pattern';
import { RULE_LIMITS } from '../../lib/domain/rule/rule';

/** A phrase answered without RE2 must answer as RE2 does, on every text. */
const texts = [
  'java.lang.OutOfMemoryError: Java heap space', 'outofmemoryerror', 'OUTOFMEMORYERROR', 'no error here', '',
  'Connection Refused by peer', 'CONNECTION REFUSED', 'connection  refused', 'connection refu-sed',
  // RE2 folds s with the long s (U+017F) and k with the Kelvin sign (U+212A).
  'connection refuſed', 'connection refused ☃', 'KILLED', 'kilowatt \u212Aelvin',
  // A match in ASCII case beside letters beyond ASCII.
  'CONNECTION REFUSED — ſ', 'Connection refuſed, then connection REFUSED', '\u212AILLED', 'ſ \u212A',
];
const patterns = ['OutOfMemoryError', '(?i)connection refused', '(?i)k', '(?i)OutOfMemoryError', 'connection refused', ' '];

describe('a phrase pattern, matched without RE2', () => {
  it('takes only phrases: a pattern with any RE2 metacharacter goes to RE2', () => {
    for (const p of patterns) expect(literalMatcher(p), p).toBeDefined();
    for (const p of ['timeout after \\d+ms', 'a.b', '(?i)a+', '^start', 'end$', 'x|y', '(?i)[a]', 'a{2}', '(?s)x', '(?i)']) {
      expect(literalMatcher(p), p).toBeUndefined();
    }
    // Folding a phrase beyond ASCII is RE2's alone.
    expect(literalMatcher('(?i)straße')).toBeUndefined();
  });

  it('answers as RE2 on every text', () => {
    for (const p of patterns) {
      const re = RE2JS.compile(p);
      const fast = literalMatcher(p);
      const matches = compilePattern(p);
      for (const t of texts) {
        expect(matches(t), `${p} on ${t}`).toBe(re.test(t));
        expect(fast?.(t), `${p} on ${t}`).toBe(re.test(t));
      }
    }
    expect(literalMatcher('(?i)connection refused')?.('connection refuſed')).toBe(true);
    expect(literalMatcher('(?i)kill')?.('\u212AILL')).toBe(true);
    expect(literalMatcher('(?i)connection refused')?.('CONNECTION REFUSED — ſ')).toBe(true);
    expect(literalMatcher('connection refused')?.('connection refuſed')).toBe(false);
  });

  it('answers as RE2 on any phrase and text, letters beyond ASCII that fold or not included', () => {
    // Letters around the folds: ASCII in both cases, the two that fold with ASCII (ſ, K), and
    // others that fold or case-map near ASCII but not with it in RE2 (ı, İ, ß, µ, μ, Å, å, é).
    const letters = [...'ksKSiIaAbB', '\u017F', '\u212A', 'ı', 'İ', 'ß', 'µ', 'μ', '\u212B', 'å', 'é'];
    const phrase = fc.string({ unit: fc.constantFrom(...'ksKSiIaAbB- :/'), minLength: 1, maxLength: 6 });
    const text = fc.string({ unit: fc.constantFrom(...letters, ' '), maxLength: 24 });
    fc.assert(fc.property(phrase, text, fc.boolean(), (p, t, folded) => {
      const pattern = folded ? `(?i)${p}` : p;
      expect(literalMatcher(pattern)?.(t), `${pattern} on ${t}`).toBe(RE2JS.compile(pattern).test(t));
    }), { numRuns: 2_000 });
  });

  it('still reads the first 8 KB only', () => {
    const far = `${'x'.repeat(RULE_LIMITS.matchChars)}OutOfMemoryError`;
    expect(compilePattern('OutOfMemoryError')(far)).toBe(false);
    expect(compilePattern('(?i)outofmemoryerror')(far)).toBe(false);
    expect(compilePattern('(?i)outofmemoryerror')(far.slice(16))).toBe(true);
  });
});
