import { describe, expect, it } from 'vitest';
import { notification } from '../../lib/domain/notification/notifications';
import { attributesOf, labelAttributeName } from '../../lib/adapters/sns/alerts';
import { bodyOf, subjectOf } from '../../lib/domain/notification/text';

const T0 = Date.UTC(2026, 10, 25, 9, 13, 0);
const down = {
  ...notification('web-1', 'host-down', 'critical', T0, 'web-1 is down: no beat for 3m 30s (limit 3m)', { lastBeat: '2026-11-25T09:10:00.000Z' }),
  labels: { role: 'web', 'dts.disk.warning': '92', rack: 'r1' },
};

describe('what an alert says', () => {
  it('a subject that names severity, host and what happened, within SNS\'s 100 ASCII characters', () => {
    expect(subjectOf(down)).toBe('[dts critical] web-1 is down: no beat for 3m 30s (limit 3m)');
    const long = notification('x'.repeat(200), 'host-down', 'critical', T0, `${'x'.repeat(200)} is down — really`);
    expect(subjectOf(long)).toHaveLength(100);
    expect(subjectOf(long)).toMatch(/^[\x20-\x7e]+\.\.\.$/);
  });

  it('a plain-text body with the facts, the labels and what to do next', () => {
    const body = bodyOf(down);
    expect(body).toContain('host:     web-1');
    expect(body).toContain('labels:   role=web dts.disk.warning=92 rack=r1');
    expect(body).toContain('dts host web-1');
    expect(body).toContain('dts silence web-1 --for 2h');
    expect(body).toContain(`id: ${down.id}`);
  });

  it('attributes for severity, kind, hostname, id and each label but threshold overrides', () => {
    const a = attributesOf(down);
    expect(Object.fromEntries(Object.entries(a).map(([k, v]) => [k, v.StringValue]))).toEqual({
      severity: 'critical', kind: 'host-down', hostname: 'web-1', id: down.id, 'label.rack': 'r1', 'label.role': 'web',
    });
  });

  it('stays within SNS\'s 10 attributes', () => {
    const labels = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${String(i).padStart(2, '0')}`, 'v']));
    expect(Object.keys(attributesOf({ ...down, labels }))).toHaveLength(10);
  });

  it('makes label keys valid attribute names', () => {
    expect(labelAttributeName('team/owner')).toBe('label.team_owner');
    expect(labelAttributeName('a..b.')).toBe('label.a.b_');
  });
});
