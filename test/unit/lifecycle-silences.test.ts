import { describe, expect, it } from 'vitest';
import type { Host, Silence } from '../../lib/domain/model';
import { notification } from '../../lib/domain/notification/notifications';
import { applySilence, parseSilenceTarget, silenceAt, silenceId, stillDownAfterSilence } from '../../lib/domain/notification/silences';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 25, 9, 0, 0);
const web = { hostname: 'web-1', labels: { role: 'web', rack: 'r1' } };

function silence(over: Partial<Silence> & Pick<Silence, 'target'>): Silence {
  return { id: 's1', startsAt: T0, endsAt: T0 + 60 * MIN, reason: 'kernel upgrade', ...over };
}

function deadHost(over: Partial<Host> = {}): Pick<Host, 'hostname' | 'labels' | 'state' | 'stateSince' | 'outageStart'> {
  return { ...web, state: 'dead', stateSince: T0 - 5 * MIN, outageStart: T0 - 8 * MIN, ...over };
}

describe('parseSilenceTarget', () => {
  it('reads a host name, or a label=value', () => {
    expect(parseSilenceTarget('web-1')).toEqual({ hostname: 'web-1' });
    expect(parseSilenceTarget(' role = web ')).toEqual({ label: 'role', value: 'web' });
  });

  it('names what is wrong with an empty target or a half label', () => {
    expect(parseSilenceTarget('  ')).toMatch(/a host name, label=value, check:NAME, app:NAME or rule:NAME/);
    expect(parseSilenceTarget('role=')).toMatch(/expected label=value/);
    expect(parseSilenceTarget('=web')).toMatch(/expected label=value/);
  });
});

describe('silenceId', () => {
  it('is the same for the same target and start, and differs otherwise', () => {
    expect(silenceId({ hostname: 'web-1' }, T0)).toBe(silenceId({ hostname: 'web-1' }, T0));
    expect(silenceId({ hostname: 'web-1' }, T0)).not.toBe(silenceId({ hostname: 'web-1' }, T0 + 1));
    expect(silenceId({ label: 'role', value: 'web' }, T0)).toMatch(/^[0-9a-f]{10}$/);
  });
});

describe('silenceAt: [startsAt, endsAt)', () => {
  const s = silence({ target: { hostname: 'web-1' } });

  it('covers its host from its first millisecond to the one before its end', () => {
    expect(silenceAt(web, [s], T0 - 1)).toBeUndefined();
    expect(silenceAt(web, [s], T0)).toBe(s);
    expect(silenceAt(web, [s], T0 + 60 * MIN - 1)).toBe(s);
    expect(silenceAt(web, [s], T0 + 60 * MIN)).toBeUndefined();
  });

  it('covers by label value, and no other host', () => {
    const byRole = silence({ target: { label: 'role', value: 'web' } });
    expect(silenceAt(web, [byRole], T0 + 1)).toBe(byRole);
    expect(silenceAt({ hostname: 'db-1', labels: { role: 'db' } }, [byRole], T0 + 1)).toBeUndefined();
    expect(silenceAt({ hostname: 'web-2', labels: {} }, [s], T0 + 1)).toBeUndefined();
  });

  it('of several, picks the one ending last', () => {
    const longer = silence({ id: 's2', target: { label: 'rack', value: 'r1' }, endsAt: T0 + 120 * MIN });
    expect(silenceAt(web, [s, longer], T0 + 1)?.id).toBe('s2');
  });
});

describe('applySilence', () => {
  const s = silence({ target: { hostname: 'web-1' } });
  const down = (at: number) => notification('web-1', 'host-down', 'critical', at, 'web-1 is down');

  it('marks a notification inside the window suppressed, naming the silence', () => {
    expect(applySilence(down(T0 + MIN), web, [s]).suppressed).toBe('silence:s1');
  });

  it('judges by the time of the transition, not by when diagnose saw it', () => {
    expect(applySilence(down(T0 - 1), web, [s]).suppressed).toBeUndefined();
    expect(applySilence(down(T0 + 60 * MIN), web, [s]).suppressed).toBeUndefined();
  });

  it('keeps a reason already given (flapping, a storm)', () => {
    expect(applySilence({ ...down(T0 + MIN), suppressed: 'flapping' }, web, [s]).suppressed).toBe('flapping');
  });
});

describe('stillDownAfterSilence: a silence that starts and ends during an outage', () => {
  const s = silence({ target: { hostname: 'web-1' } });
  const END = T0 + 60 * MIN;

  it('says once that the host is still down, at the end of the silence, with a deterministic id', () => {
    const n = stillDownAfterSilence(deadHost(), s, [s], END + 30_000);
    expect(n).toMatchObject({ kind: 'host-still-down', severity: 'critical', at: END, id: `web-1|host-still-down|s1|${END}`, labels: web.labels });
    expect(n?.details).toMatchObject({ silence: 's1', outageStart: new Date(T0 - 8 * MIN).toISOString() });
    expect(stillDownAfterSilence(deadHost(), s, [s], END + 10 * MIN)?.id).toBe(n?.id);
  });

  it('also for a host that died during the silence (its host-down was suppressed)', () => {
    expect(stillDownAfterSilence(deadHost({ stateSince: T0 + 10 * MIN }), s, [s], END)?.kind).toBe('host-still-down');
  });

  it('says nothing before the end', () => {
    expect(stillDownAfterSilence(deadHost(), s, [s], END - 1)).toBeUndefined();
  });

  it('says nothing for a host that recovered during the silence', () => {
    expect(stillDownAfterSilence(deadHost({ state: 'alive', stateSince: T0 + 20 * MIN }), s, [s], END)).toBeUndefined();
  });

  it('says nothing for a host that died after the silence ended: its own host-down went out', () => {
    expect(stillDownAfterSilence(deadHost({ stateSince: END }), s, [s], END + MIN)).toBeUndefined();
  });

  it('says nothing while another silence still covers the host', () => {
    const next = silence({ id: 's2', target: { label: 'role', value: 'web' }, startsAt: T0 + 30 * MIN, endsAt: END + 60 * MIN });
    expect(stillDownAfterSilence(deadHost(), s, [s, next], END)).toBeUndefined();
  });

  it('says nothing for a host the silence did not cover', () => {
    expect(stillDownAfterSilence(deadHost({ hostname: 'db-1', labels: {} }), s, [s], END)).toBeUndefined();
  });
});
