import { describe, expect, it } from 'vitest';
import type { Host } from '../../lib/domain/model';
import { countsAsChange, flapStep, flappingEnd, type FlapRule } from '../../lib/domain/host/flapping';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 25, 9, 0, 0);
const RULE: FlapRule = { changes: 4, window: 1800 };

function host(over: Partial<Host> = {}): Pick<Host, 'hostname' | 'changes' | 'flappingSince' | 'state'> {
  return { hostname: 'web-1', state: 'alive', ...over };
}

describe('flapStep: more than N liveness changes in a window', () => {
  it('N changes in the window is not flapping', () => {
    const step = flapStep(host({ changes: [T0, T0 + MIN, T0 + 2 * MIN] }), T0 + 3 * MIN, RULE);
    expect(step.changes).toHaveLength(4);
    expect(step.started).toBeUndefined();
    expect(step.flappingSince).toBeUndefined();
  });

  it('the change that makes N + 1 starts it, once, at that change', () => {
    const step = flapStep(host({ changes: [T0, T0 + MIN, T0 + 2 * MIN, T0 + 3 * MIN] }), T0 + 4 * MIN, RULE);
    expect(step.flappingSince).toBe(T0 + 4 * MIN);
    expect(step.started).toMatchObject({ kind: 'host-flapping', severity: 'warning', at: T0 + 4 * MIN, id: `web-1|host-flapping|${T0 + 4 * MIN}` });
    expect(step.started?.details).toEqual({ changes: '5', windowSeconds: '1800' });
  });

  it('forgets changes that fell out of the window: one exactly a window old no longer counts', () => {
    const at = T0 + 30 * MIN;
    const step = flapStep(host({ changes: [T0, T0 + MIN, T0 + 2 * MIN, T0 + 3 * MIN] }), at, RULE);
    expect(step.changes).toEqual([T0 + MIN, T0 + 2 * MIN, T0 + 3 * MIN, at]);
    expect(step.started).toBeUndefined();
  });

  it('a flapping host keeps flapping, with no second start', () => {
    const step = flapStep(host({ changes: [T0, T0 + MIN, T0 + 2 * MIN, T0 + 3 * MIN, T0 + 4 * MIN], flappingSince: T0 + 4 * MIN }), T0 + 5 * MIN, RULE);
    expect(step.flappingSince).toBe(T0 + 4 * MIN);
    expect(step.started).toBeUndefined();
  });

  it('honours another limit and window', () => {
    const tight: FlapRule = { changes: 1, window: 60 };
    expect(flapStep(host({ changes: [T0] }), T0 + 59_999, tight).started?.kind).toBe('host-flapping');
    expect(flapStep(host({ changes: [T0] }), T0 + 60_000, tight).started).toBeUndefined();
  });

  it('counts only downs and recoveries', () => {
    expect(['host-down', 'host-recovered'].every((k) => countsAsChange(k as never))).toBe(true);
    expect(['host-up', 'host-left', 'host-retired', 'resource-warning'].some((k) => countsAsChange(k as never))).toBe(false);
  });
});

describe('flappingEnd: settled after a whole window without a change', () => {
  const flapping = host({ changes: [T0, T0 + MIN, T0 + 2 * MIN, T0 + 3 * MIN, T0 + 4 * MIN], flappingSince: T0 + 4 * MIN });
  const settles = T0 + 4 * MIN + 30 * MIN;

  it('not before a window has passed since the last change', () => {
    expect(flappingEnd(flapping, settles - 1, RULE)).toBeUndefined();
  });

  it('at the end of that window, saying the state it settled in', () => {
    expect(flappingEnd(flapping, settles, RULE)).toMatchObject({ kind: 'host-stable', severity: 'info', at: settles, id: `web-1|host-stable|${settles}` });
  });

  it('is critical when it settled down', () => {
    const n = flappingEnd({ ...flapping, state: 'dead' }, settles + MIN, RULE);
    expect(n).toMatchObject({ severity: 'critical', at: settles });
    expect(n?.message).toMatch(/DOWN/);
  });

  it('says nothing for a host that is not flapping', () => {
    expect(flappingEnd(host({ changes: [T0] }), T0 + 99 * MIN, RULE)).toBeUndefined();
  });
});
