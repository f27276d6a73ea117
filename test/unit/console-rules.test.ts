import { describe, expect, it } from 'vitest';
import { describeRule, type LogRule } from '../../web/src/rule-text';

const rule = (condition: LogRule['condition']): LogRule => ({ name: 'r', scope: { app: 'web' }, condition, severity: 'warning', createdAt: 0, firing: false });

describe('the console\'s log rules section', () => {
  it('says what each rule watches for, as dts rules does', () => {
    expect(describeRule(rule({ kind: 'count', count: 5, withinMs: 60_000, minLevel: 40 }))).toBe('5+ records at error+ in 1m');
    expect(describeRule(rule({ kind: 'count', count: 20, withinMs: 300_000, minLevel: 10 }))).toBe('20+ records in 5m');
    expect(describeRule(rule({ kind: 'silent', forMs: 26 * 3_600_000 }))).toBe('no record for 26h');
    expect(describeRule(rule({ kind: 'silent', forMs: 20_000 }))).toBe('no record for 20s');
    expect(describeRule(rule({ kind: 'match', pattern: 'OutOfMemoryError', count: 1, withinMs: 300_000, minLevel: 10 }))).toBe('1+ matching /OutOfMemoryError/ in 5m');
  });
});
