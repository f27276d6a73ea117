import { describe, expect, it } from 'vitest';
import type { Host, HostState } from '../../lib/domain/model';
import { hostTransition, type DiagnoseRule } from '../../lib/domain/host/transitions';

const RULE: DiagnoseRule = { defaultInterval: 60, tolerance: 3, retireAfter: 7 * 86_400 };
const S = 1000;
const MIN = 60 * S;
const DAY = 86_400 * S;
const T0 = Date.UTC(2025, 10, 25, 12, 0, 0);
/** A host beating every 60 s is dead 180 s after its last beat. */
const LIMIT = 180 * S;
const RETIRE = 7 * DAY;

function host(state: HostState, over: Partial<Host> = {}): Host {
  return {
    hostname: 'web-1', state, stateSince: T0 - 10 * MIN, lastBeat: T0, sentAt: T0, skewMs: 0, interval: 60, labels: {},
    levels: { cpu: 'ok', mem: 'ok', disk: 'ok' }, cpuStreak: 0, firstSeen: T0 - DAY, ...over,
  };
}

const both = [Infinity, 0] as const;

function must<T>(v: T | undefined): T {
  if (v === undefined) throw new Error('the rule made nothing');
  return v;
}

describe('hostTransition: what diagnose does with one host', () => {
  describe('new', () => {
    it('→ alive (host-up) while its first beat is fresh, timed at when it became new', () => {
      const h = host('new', { stateSince: T0, lastBeat: T0 });
      const t = hostTransition(h, T0 + 30 * S, RULE, Infinity);
      expect(t).toMatchObject({ from: 'new', to: 'alive', at: T0, outageStart: undefined });
      expect(t?.notification).toMatchObject({ kind: 'host-up', severity: 'info', at: T0, id: `web-1|host-up|${T0}` });
      expect(t?.notification.details).toEqual({ interval: '60' });
    });

    it('→ alive even while the monitor declares no death', () => {
      expect(hostTransition(host('new', { stateSince: T0 }), T0 + 1, RULE, 0)?.to).toBe('alive');
    });

    it('reports the default interval for a host that declared 0', () => {
      expect(hostTransition(host('new', { stateSince: T0, interval: 0 }), T0 + 1, RULE, Infinity)?.notification.details.interval).toBe('60');
    });

    it('→ dead (host-down) if diagnose first sees it after its deadline', () => {
      const h = host('new', { stateSince: T0, lastBeat: T0 });
      const t = hostTransition(h, T0 + LIMIT, RULE, Infinity);
      expect(t).toMatchObject({ from: 'new', to: 'dead', at: T0 + LIMIT, outageStart: T0 });
      expect(t?.notification).toMatchObject({ kind: 'host-down', severity: 'critical', id: `web-1|host-down|${T0 + LIMIT}` });
    });

    it('stays new past its deadline while the monitor cannot declare hosts dead', () => {
      expect(hostTransition(host('new', { stateSince: T0 }), T0 + LIMIT, RULE, 0)).toBeUndefined();
    });
  });

  describe('alive', () => {
    it('→ nothing while beating, up to 1 ms before the deadline', () => {
      for (const now of [T0, T0 + 1, T0 + LIMIT - 1]) {
        for (const can of both) expect(hostTransition(host('alive'), now, RULE, can)).toBeUndefined();
      }
    });

    it('→ dead exactly at the deadline: host-down, timed at the deadline, outage starting at the last beat', () => {
      const t = hostTransition(host('alive'), T0 + LIMIT, RULE, Infinity);
      expect(t).toMatchObject({ from: 'alive', to: 'dead', at: T0 + LIMIT, outageStart: T0 });
      expect(t?.notification).toMatchObject({
        hostname: 'web-1', kind: 'host-down', severity: 'critical', at: T0 + LIMIT, id: `web-1|host-down|${T0 + LIMIT}`,
      });
      expect(t?.notification.details).toEqual({ lastBeat: new Date(T0).toISOString(), limitSeconds: '180' });
      expect(t?.notification.message).toBe('web-1 is down: no beat for 3m (limit 3m)');
    });

    it('→ dead long after the deadline, still timed at the deadline (not at now)', () => {
      const t = hostTransition(host('alive'), T0 + 2 * DAY, RULE, Infinity);
      expect(t?.at).toBe(T0 + LIMIT);
      expect(t?.notification.id).toBe(`web-1|host-down|${T0 + LIMIT}`);
    });

    it('uses the host’s own interval: a 10 s host is dead 30 s after its last beat', () => {
      expect(hostTransition(host('alive', { interval: 10 }), T0 + 30 * S - 1, RULE, Infinity)).toBeUndefined();
      expect(hostTransition(host('alive', { interval: 10 }), T0 + 30 * S, RULE, Infinity)?.at).toBe(T0 + 30 * S);
    });

    it('is never declared dead while the monitor doubts itself (a watermark of 0)', () => {
      expect(hostTransition(host('alive'), T0 + LIMIT, RULE, 0)).toBeUndefined();
      expect(hostTransition(host('alive'), T0 + 2 * DAY, RULE, 0)).toBeUndefined();
    });

    it('is declared dead only once the ingest watermark has passed its deadline: a beat received before it may still be on its way', () => {
      const now = T0 + LIMIT + 30 * S;
      expect(hostTransition(host('alive'), now, RULE, T0 + LIMIT - 1)).toBeUndefined();
      expect(hostTransition(host('alive'), now, RULE, T0 + LIMIT)?.to).toBe('dead');
    });
  });

  describe('dead', () => {
    const down = (over: Partial<Host> = {}) => host('dead', { lastBeat: T0, stateSince: T0 + LIMIT, outageStart: T0, ...over });

    it('→ alive (host-recovered) on a beat after it was declared dead, timed at resumedAt, with the downtime from outageStart', () => {
      const resumedAt = T0 + 1 * 3_600 * S + 5 * S;
      const h = down({ lastBeat: resumedAt + 2 * MIN, resumedAt });
      const t = hostTransition(h, resumedAt + 2 * MIN + 10 * S, RULE, Infinity);
      expect(t).toMatchObject({ from: 'dead', to: 'alive', at: resumedAt, outageStart: undefined });
      expect(t?.notification).toMatchObject({ kind: 'host-recovered', severity: 'info', at: resumedAt, id: `web-1|host-recovered|${resumedAt}` });
      expect(t?.notification.details).toEqual({ outageStart: new Date(T0).toISOString(), downtimeSeconds: '3605' });
      expect(t?.notification.message).toBe('web-1 recovered after 1h 5s down');
    });

    it('recovers even while the monitor cannot declare hosts dead', () => {
      const h = down({ lastBeat: T0 + 10 * MIN, resumedAt: T0 + 10 * MIN });
      expect(hostTransition(h, T0 + 10 * MIN + 1, RULE, 0)?.to).toBe('alive');
    });

    it('without resumedAt, is timed at the last beat', () => {
      const h = down({ lastBeat: T0 + 10 * MIN });
      const t = hostTransition(h, T0 + 10 * MIN + 1, RULE, Infinity);
      expect(t?.at).toBe(T0 + 10 * MIN);
      expect(t?.notification.details.downtimeSeconds).toBe('600');
    });

    // A death removes resumedAt, so a resumedAt before the death can only be a beat received
    // before it and stored after it: the death was wrong.
    it('→ alive (host-down-retracted) when its first beat back was received before the death: timed just after the death, sharing its incident', () => {
      const late = T0 + LIMIT - 1;
      const h = down({ lastBeat: T0 + 10 * MIN, resumedAt: late });
      const t = hostTransition(h, T0 + 10 * MIN + 1, RULE, Infinity);
      expect(t).toMatchObject({ from: 'dead', to: 'alive', at: T0 + LIMIT + 1, outageStart: undefined });
      expect(t?.notification).toMatchObject({ kind: 'host-down-retracted', severity: 'info', at: T0 + LIMIT + 1, id: `web-1|host-down-retracted|${T0 + LIMIT + 1}` });
      expect(t?.notification.details).toEqual({ outageStart: new Date(T0).toISOString(), lateBeat: new Date(late).toISOString() });
      const death = must(hostTransition(host('alive', { lastBeat: T0 }), T0 + LIMIT, RULE, Infinity)).notification;
      expect(t?.notification.incident).toBe(death.incident);
    });

    it('retracts on the late beat alone, before any beat after the death', () => {
      const late = T0 + LIMIT - 5 * S;
      const t = hostTransition(down({ lastBeat: late, resumedAt: late }), T0 + LIMIT + 2 * S, RULE, 0);
      expect(t?.notification.kind).toBe('host-down-retracted');
    });

    it('keeps the death when the late beat is itself past its deadline: the host did die, later', () => {
      const late = T0 + LIMIT - 5 * S;
      expect(hostTransition(down({ lastBeat: late, resumedAt: late }), late + LIMIT, RULE, Infinity)).toBeUndefined();
    });

    it('without outageStart, counts the downtime from when it was declared dead', () => {
      const h = down({ outageStart: undefined, lastBeat: T0 + 10 * MIN, resumedAt: T0 + 10 * MIN });
      const t = hostTransition(h, T0 + 10 * MIN + 1, RULE, Infinity);
      expect(t?.notification.details).toEqual({ outageStart: new Date(T0 + LIMIT).toISOString(), downtimeSeconds: '420' });
    });

    it('→ nothing while silent, up to 1 ms before retireAfter', () => {
      for (const now of [T0 + LIMIT, T0 + DAY, T0 + RETIRE - 1]) {
        for (const can of both) expect(hostTransition(down(), now, RULE, can)).toBeUndefined();
      }
    });

    it('→ retired exactly retireAfter after its last beat (host-retired)', () => {
      const t = hostTransition(down(), T0 + RETIRE, RULE, Infinity);
      expect(t).toMatchObject({ from: 'dead', to: 'retired', at: T0 + RETIRE, outageStart: undefined });
      expect(t?.notification).toMatchObject({ kind: 'host-retired', severity: 'info', at: T0 + RETIRE, id: `web-1|host-retired|${T0 + RETIRE}` });
      expect(t?.notification.details).toEqual({ lastBeat: new Date(T0).toISOString() });
    });

    it('→ retired long after, still timed at lastBeat + retireAfter', () => {
      expect(hostTransition(down(), T0 + 30 * DAY, RULE, Infinity)?.at).toBe(T0 + RETIRE);
    });

    it('a configurable retireAfter', () => {
      const rule = { ...RULE, retireAfter: 3_600 };
      expect(hostTransition(down(), T0 + 3_600 * S - 1, rule, Infinity)).toBeUndefined();
      expect(hostTransition(down(), T0 + 3_600 * S, rule, Infinity)?.to).toBe('retired');
    });

    it('a beat after the state change but already stale again does not recover it', () => {
      const h = down({ lastBeat: T0 + 10 * MIN, resumedAt: T0 + 10 * MIN });
      expect(hostTransition(h, T0 + 10 * MIN + LIMIT, RULE, Infinity)).toBeUndefined();
    });
  });

  describe('left (after a goodbye)', () => {
    const gone = (over: Partial<Host> = {}) => host('left', { lastBeat: T0, stateSince: T0, ...over });

    it('→ nothing on the goodbye beat itself, nor ever as host-down', () => {
      for (const now of [T0, T0 + LIMIT - 1, T0 + LIMIT, T0 + DAY, T0 + RETIRE - 1]) {
        for (const can of both) expect(hostTransition(gone(), now, RULE, can)).toBeUndefined();
      }
    });

    it('→ alive (host-up) on a beat after the goodbye', () => {
      const h = gone({ lastBeat: T0 + 5 * MIN });
      const t = hostTransition(h, T0 + 5 * MIN + 1, RULE, Infinity);
      expect(t).toMatchObject({ from: 'left', to: 'alive', at: T0 + 5 * MIN });
      expect(t?.notification).toMatchObject({ kind: 'host-up', severity: 'info', id: `web-1|host-up|${T0 + 5 * MIN}` });
    });

    it('→ retired retireAfter after its last beat', () => {
      expect(hostTransition(gone(), T0 + RETIRE - 1, RULE, Infinity)).toBeUndefined();
      const t = hostTransition(gone(), T0 + RETIRE, RULE, Infinity);
      expect(t).toMatchObject({ from: 'left', to: 'retired', at: T0 + RETIRE });
      expect(t?.notification.kind).toBe('host-retired');
    });
  });

  describe('retired', () => {
    const quiet = (over: Partial<Host> = {}) => host('retired', { lastBeat: T0, stateSince: T0 + RETIRE, ...over });

    it('→ nothing while silent, ever', () => {
      for (const now of [T0 + RETIRE, T0 + RETIRE + 1, T0 + 365 * DAY]) {
        for (const can of both) expect(hostTransition(quiet(), now, RULE, can)).toBeUndefined();
      }
    });

    it('→ alive (host-up) on a beat after retirement', () => {
      const back = T0 + RETIRE + DAY;
      const t = hostTransition(quiet({ lastBeat: back }), back + 1, RULE, Infinity);
      expect(t).toMatchObject({ from: 'retired', to: 'alive', at: back });
      expect(t?.notification).toMatchObject({ kind: 'host-up', id: `web-1|host-up|${back}` });
    });

    it('→ nothing for a beat after retirement that is itself stale again', () => {
      const back = T0 + RETIRE + DAY;
      expect(hostTransition(quiet({ lastBeat: back }), back + LIMIT, RULE, Infinity)).toBeUndefined();
    });

    it('→ nothing for a beat exactly at the moment of retirement (not after it)', () => {
      expect(hostTransition(quiet({ lastBeat: T0 + RETIRE, stateSince: T0 + RETIRE }), T0 + RETIRE + 1, RULE, Infinity)).toBeUndefined();
    });
  });

  describe('overlapping runs agree: the same stored host at different nows gives the same transition', () => {
    const cases: [string, Host, number, number][] = [
      ['new → alive', host('new', { stateSince: T0 }), T0 + 1, T0 + LIMIT - 1],
      ['alive → dead', host('alive'), T0 + LIMIT, T0 + LIMIT + 59 * S],
      ['dead → alive', host('dead', { stateSince: T0 - 5 * MIN, outageStart: T0 - 8 * MIN, resumedAt: T0 - 10 * S }), T0 + 1, T0 + 2 * MIN],
      ['dead → retired', host('dead', { stateSince: T0 + LIMIT, outageStart: T0 }), T0 + RETIRE, T0 + RETIRE + MIN],
      ['left → alive', host('left', { stateSince: T0 - MIN }), T0 + 1, T0 + MIN],
      ['left → retired', host('left', { stateSince: T0 }), T0 + RETIRE, T0 + RETIRE + DAY],
      ['retired → alive', host('retired', { stateSince: T0 - MIN }), T0, T0 + LIMIT - 1],
    ];

    it.each(cases)('%s: same target, time and notification id', (_name, h, now1, now2) => {
      const a = hostTransition(h, now1, RULE, Infinity);
      const b = hostTransition(h, now2, RULE, Infinity);
      expect(a).toBeDefined();
      expect(b?.to).toBe(a?.to);
      expect(b?.at).toBe(a?.at);
      expect(b?.outageStart).toBe(a?.outageStart);
      expect(b?.notification.id).toBe(a?.notification.id);
      expect(b?.notification.kind).toBe(a?.notification.kind);
    });
  });

  it('every notification names the host and is at the transition time', () => {
    const transitions = [
      hostTransition(host('new', { stateSince: T0 }), T0, RULE, Infinity),
      hostTransition(host('alive'), T0 + LIMIT, RULE, Infinity),
      hostTransition(host('dead', { stateSince: T0 - MIN }), T0, RULE, Infinity),
      hostTransition(host('dead', { stateSince: T0 + LIMIT }), T0 + RETIRE, RULE, Infinity),
    ];
    for (const t of transitions) {
      expect(t?.notification.hostname).toBe('web-1');
      expect(t?.notification.at).toBe(t?.at);
      expect(t?.notification.id.startsWith('web-1|')).toBe(true);
    }
  });
});
