import { describe, expect, it } from 'vitest';
import type { Host, HostState } from '../../lib/domain/model';
import { hostTransition, type DiagnoseRule } from '../../lib/domain/host/transitions';

const RULE: DiagnoseRule = { defaultInterval: 60, tolerance: 3, retireAfter: 7 * 86_400 };
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 18, 9, 0, 0);

function host(state: HostState, over: Partial<Host> = {}): Host {
  return {
    hostname: 'old-1', state, stateSince: T0 + 180_000, lastBeat: T0, sentAt: T0, skewMs: 0, interval: 60, labels: {},
    levels: { cpu: 'ok', mem: 'ok', disk: 'ok' }, cpuStreak: 0, firstSeen: T0 - 30 * DAY, ...over,
  };
}

describe('retirement', () => {
  it('a dead host is retired exactly retireAfter after its last beat, not a millisecond before', () => {
    expect(hostTransition(host('dead'), T0 + 7 * DAY - 1, RULE, Infinity)).toBeUndefined();
    const t = hostTransition(host('dead'), T0 + 7 * DAY, RULE, Infinity);
    expect(t).toMatchObject({ from: 'dead', to: 'retired', at: T0 + 7 * DAY });
    expect(t?.notification).toMatchObject({ kind: 'host-retired', severity: 'info' });
  });

  it('a retired host gets no further notification while it stays silent', () => {
    expect(hostTransition(host('retired', { stateSince: T0 + 7 * DAY }), T0 + 60 * DAY, RULE, Infinity)).toBeUndefined();
  });

  it('a retired host that beats again comes back, announced as a host coming up', () => {
    const back = T0 + 9 * DAY;
    const t = hostTransition(host('retired', { stateSince: T0 + 7 * DAY, lastBeat: back }), back + 30_000, RULE, Infinity);
    expect(t).toMatchObject({ from: 'retired', to: 'alive', at: back });
    expect(t?.notification).toMatchObject({ kind: 'host-up', id: `old-1|host-up|${back}` });
  });

  it('a goodbye followed by silence is never an outage: left, then retired', () => {
    const left = host('left', { stateSince: T0 });
    expect(hostTransition(left, T0 + DAY, RULE, Infinity)).toBeUndefined();
    expect(hostTransition(left, T0 + 7 * DAY, RULE, Infinity)).toMatchObject({ to: 'retired' });
  });
});
