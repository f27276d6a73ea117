import { describe, expect, it } from 'vitest';
import { cliIn } from '../support/cli';

// No backend at all (an address where no local cloud answers): a bad rule is refused for itself.
const dts = cliIn(() => ({ DTS_LOCAL_ENDPOINT: 'http://127.0.0.1:9', PATH: process.env.PATH }));

describe('dts rules add, before any backend', () => {
  it('refuses a bad rule with its reason and exit code 2', async () => {
    for (const [argv, reason] of [
      [['--match', '(a+)+$'], /nested repetition "\(a\+\)\+" could backtrack catastrophically/],
      [['--match', 'x'.repeat(600)], /at most 512 characters; this one has 600/],
      [['--count', '5', '--within', 'NaN'], /--within is a duration such as 5m/],
      [['--count', '0', '--within', '5m'], /at least 1, got "0"/],
      [['--silent', '5s'], /from 10s to 30d/],
      [['--count', '3', '--within', '5m', '--level', 'loud'], /unknown level "loud"/],
    ] as const) {
      const r = await dts('rules', 'add', 'bad', '--app', 'web', ...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toMatch(reason);
    }
  });
});
