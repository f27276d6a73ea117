import { describe, expect, it } from 'vitest';
import { parseFilter, matches, type Filter } from '../../lib/domain/channel/filter';
import { redactUrl } from '../../lib/domain/channel/channel';
import { channelUrlProblem } from '../../lib/adapters/http/url-policy';

const local = { allowLoopback: true };
const urlProblem = (url: string) => channelUrlProblem(url, local);
import { incidentAction, incidentKey } from '../../lib/domain/notification/incidents';
import { atOfNotificationId, notification } from '../../lib/domain/notification/notifications';
import { sampleNotifications } from '../support/sample-notifications';

const s = sampleNotifications();

describe('incidents', () => {
  it('a down and its recovery share one key; so do a level\'s rise and fall, a flap and its end, skew and its end', () => {
    expect(s['host-recovered'].incident).toBe(s['host-down'].incident);
    expect(s['host-retired'].incident).toBe(s['host-down'].incident);
    expect(s['resource-ok'].incident).toBe(s['resource-critical'].incident);
    expect(s['resource-warning'].incident).toBe(s['resource-critical'].incident);
    expect(s['host-stable'].incident).toBe(s['host-flapping'].incident);
    expect(s['clock-ok'].incident).toBe(s['clock-skew'].incident);
    expect(s['monitor-ok'].incident).toBe(s['monitor-degraded'].incident);
    expect(s['fleet-storm-over'].incident).toBe(s['fleet-storm'].incident);
    expect(s['fleet-storm-recovering'].incident).toBe(s['fleet-storm'].incident);
  });

  it('two outages of one host are two incidents', () => {
    const a = notification('web-1', 'host-down', 'critical', 1000, 'x', { lastBeat: new Date(0).toISOString() });
    const b = notification('web-1', 'host-down', 'critical', 9000, 'x', { lastBeat: new Date(8000).toISOString() });
    expect(a.incident).not.toBe(b.incident);
  });

  it('opens on trouble, closes on its end, and neither on notices', () => {
    const action = (k: keyof typeof s) => incidentAction(s[k]);
    expect(['host-down', 'host-still-down', 'resource-warning', 'resource-critical', 'fleet-storm', 'host-flapping', 'clock-skew', 'monitor-degraded'].map((k) => action(k as keyof typeof s))).toEqual(Array(8).fill('open'));
    expect(['host-recovered', 'host-retired', 'resource-ok', 'fleet-storm-over', 'clock-ok', 'monitor-ok', 'host-stable'].map((k) => action(k as keyof typeof s))).toEqual(Array(7).fill('close'));
    expect(['host-up', 'host-left', 'fleet-new-hosts', 'fleet-storm-recovering'].map((k) => action(k as keyof typeof s))).toEqual(Array(4).fill('none'));
    expect(incidentAction({ kind: 'host-stable', severity: 'critical' })).toBe('open');
  });

  it('the key is a function of the notification alone', () => {
    const n = s['host-down'];
    expect(incidentKey(n)).toBe(n.incident);
  });

  it('an id ends with its time, which locates it in the table', () => {
    expect(atOfNotificationId(s['resource-ok'].id)).toBe(s['resource-ok'].at);
    expect(atOfNotificationId('nonsense')).toBeUndefined();
  });
});

describe('channel filters', () => {
  const f = (text: string): Filter => {
    const p = parseFilter(text);
    if (!p.ok) throw new Error(p.error);
    return p.filter;
  };
  const db = { severity: 'critical' as const, kind: 'host-down' as const, hostname: 'db-1', labels: { role: 'db', rack: 'r1' } };

  it('all terms must hold; alternatives with |; globs on hosts; labels; severity>=', () => {
    expect(matches(f(''), db)).toBe(true);
    expect(matches(f('severity=critical,label.role=db'), db)).toBe(true);
    expect(matches(f('severity=critical,label.role=web'), db)).toBe(false);
    expect(matches(f('kind=host-down|host-recovered'), db)).toBe(true);
    expect(matches(f('host=db-*'), db)).toBe(true);
    expect(matches(f('host=web-*'), db)).toBe(false);
    expect(matches(f('label.rack!=r9'), db)).toBe(true);
    expect(matches(f('label.zone=a'), db)).toBe(false);
    expect(matches(f('severity>=warning'), db)).toBe(true);
    expect(matches(f('severity>=warning'), { ...db, severity: 'info' })).toBe(false);
  });

  it('refuses what it does not understand, naming the term', () => {
    for (const [text, why] of [
      ['sevrity=critical', /unknown field "sevrity"/],
      ['severity=urgent', /info, warning or critical/],
      ['label.role=', /empty value/],
      ['kind>=host-down', />= applies to one severity/],
      ['just-words', /expected field=value/],
    ] as const) {
      const p = parseFilter(text);
      expect(p.ok).toBe(false);
      if (!p.ok) expect(p.error).toMatch(why);
    }
  });
});

describe('channel URLs', () => {
  it('https anywhere, http only on loopback, and shown without their secret part', () => {
    expect(urlProblem('https://hooks.slack.com/services/T/B/x')).toBeUndefined();
    expect(urlProblem('http://127.0.0.1:9000/x')).toBeUndefined();
    expect(urlProblem('http://localhost:9000/x')).toBeUndefined();
    expect(urlProblem('http://example.com/x')).toMatch(/https/);
    expect(urlProblem('http://example.com/secret-token')).not.toMatch(/secret-token/);
    expect(redactUrl('https://hooks.slack.com/services/T/B/secret')).toBe('hooks.slack.com/…');
  });
});

describe('grouped fleet notices', () => {
  it('a burst of first beats from NEW_HOSTS_GROUP hosts on is one notice; fewer are not grouped', async () => {
    const { newHostsNotice, NEW_HOSTS_GROUP } = await import('../../lib/domain/fleet/notices');
    const firsts = Array.from({ length: 25 }, (_, i) => ({ hostname: `h-${String(i).padStart(2, '0')}`, at: 1000 + i }));
    expect(newHostsNotice(firsts.slice(0, NEW_HOSTS_GROUP - 1))).toBeUndefined();
    const n = newHostsNotice(firsts);
    expect(n).toMatchObject({ kind: 'fleet-new-hosts', severity: 'info', at: 1000, hostname: '@fleet' });
    expect(n?.message).toMatch(/^25 new hosts: h-00, h-01, .* h-19 and 5 more$/);
  });

  it('a storm in progress, then over when none of the hosts held under it is down any more', async () => {
    const { openStorms, stormProgress } = await import('../../lib/domain/fleet/notices');
    const storm = s['fleet-storm'];
    const [open] = openStorms([storm]);
    expect(open).toMatchObject({ underStorm: 10, back: 0, incident: storm.incident });
    const progress = stormProgress(open as NonNullable<typeof open>, ['db-9', 'db-4'], storm.at + 60_000);
    expect(progress?.message).toBe('8 of 10 hosts with rack=r1 recovered; 2 still down: db-4, db-9');
    expect(progress?.incident).toBe(storm.incident);
    // Nothing moved since that notice: nothing to say.
    const [after] = openStorms([storm, progress as NonNullable<typeof progress>]);
    expect(stormProgress(after as NonNullable<typeof after>, ['db-4', 'db-9'], storm.at + 120_000)).toBeUndefined();
    const over = stormProgress(after as NonNullable<typeof after>, [], storm.at + 600_000);
    expect(over).toMatchObject({ kind: 'fleet-storm-over', incident: storm.incident });
    expect(openStorms([storm, progress as NonNullable<typeof progress>, over as NonNullable<typeof over>])).toEqual([]);
  });
});
