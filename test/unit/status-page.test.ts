import { describe, expect, it } from 'vitest';
import {
  accrue, carryPage, computePage, definePage, groupKey, groupState, hostMember, parseGroup, withHistory, type Member, type PageDef,
} from '../../lib/domain/status/page';
import { badgeJson, publicView } from '../../lib/domain/status/view';
import { renderBadgeSvg, renderStatusHtml } from '../../lib/domain/status/render';
import type { Silence } from '../../lib/domain/model';

const DAY = 86_400_000;
const T0 = Date.parse('2026-11-20T00:00:00Z');
const H = 3_600_000;

const page = (more: Partial<Parameters<typeof definePage>[0]> = {}): PageDef => {
  const d = definePage({
    slug: 'public', title: 'Acme status', showHosts: false, createdAt: T0,
    groups: [parseGroup('Web=role=web'), parseGroup('Database=role=db')] as never, ...more,
  });
  if (typeof d === 'string') throw new Error(d);
  return d;
};
const host = (name: string, role: string, up = true, more: Record<string, string> = {}): Member => ({ kind: 'host', name, labels: { role, ...more }, up });

describe('a page definition', () => {
  it('reads groups as NAME=label=value[,label=value]', () => {
    expect(parseGroup('Web=role=web')).toEqual({ name: 'Web', selector: { kind: 'host', labels: { role: 'web' } } });
    expect(parseGroup('Edge EU=role=edge,region=eu', 'check')).toEqual({ name: 'Edge EU', selector: { kind: 'check', labels: { role: 'edge', region: 'eu' } } });
    expect(parseGroup('Web')).toMatch(/NAME=label=value/);
    expect(parseGroup('Web=role')).toMatch(/label=value/);
    expect(parseGroup('=role=web')).toMatch(/NAME=label=value/);
    expect(parseGroup('Web=role=web,=x')).toMatch(/selector/);
  });

  it('refuses bad slugs, empty pages and groups whose badge names collide', () => {
    expect(page().groups.map((g) => g.key)).toEqual(['web', 'database']);
    expect(definePage({ slug: 'Bad Slug', title: 't', groups: [], showHosts: false, createdAt: T0 })).toMatch(/page name/);
    expect(definePage({ slug: 'ok', title: 't', groups: [], showHosts: false, createdAt: T0 })).toMatch(/at least one group/);
    expect(definePage({ slug: 'ok', title: ' ', groups: [parseGroup('A=a=b') as never], showHosts: false, createdAt: T0 })).toMatch(/title/);
    expect(definePage({ slug: 'ok', title: 't', groups: [parseGroup('Web API=a=b') as never, parseGroup('web-api=c=d') as never], showHosts: false, createdAt: T0 })).toMatch(/share the badge name "web-api"/);
    expect(groupKey('Données & API')).toBe('donnees-api');
  });
});

describe('members and group state', () => {
  it('counts new and alive hosts up, dead down, and left or retired not at all', () => {
    const base = { hostname: 'h', labels: {} };
    expect(hostMember({ ...base, state: 'alive' })?.up).toBe(true);
    expect(hostMember({ ...base, state: 'new' })?.up).toBe(true);
    expect(hostMember({ ...base, state: 'dead' })?.up).toBe(false);
    expect(hostMember({ ...base, state: 'left' })).toBeUndefined();
    expect(hostMember({ ...base, state: 'retired' })).toBeUndefined();
  });

  it('is operational with every member up, down with none, degraded between', () => {
    expect(groupState(3, 3)).toBe('operational');
    expect(groupState(3, 2)).toBe('degraded');
    expect(groupState(3, 0)).toBe('down');
  });

  it('selects by every label of the selector, and by kind: a check never joins a group of hosts', () => {
    const def = page({ groups: [parseGroup('Web EU=role=web,region=eu') as never, parseGroup('Backups=team=ops', 'check') as never] });
    const members: Member[] = [host('w1', 'web', true, { region: 'eu' }), host('w2', 'web', false, { region: 'us' }), { kind: 'check', name: 'backup', labels: { team: 'ops' }, up: false }, { kind: 'host', name: 'h', labels: { team: 'ops' }, up: true }];
    const { state } = computePage(def, undefined, members, [], T0);
    expect(state.groups.map((g) => [g.key, g.state, g.members, g.up])).toEqual([['web-eu', 'operational', 1, 1], ['backups', 'down', 1, 0]]);
  });
});

describe('availability', () => {
  it('counts time member-weighted at the share up since the last computation', () => {
    const t = accrue({ day: '2026-11-20', since: T0, upMs: 0, totalMs: 0 }, 'web', 0.75, T0 + 4 * H);
    expect(t.finished).toEqual([]);
    expect(t.tally).toEqual({ day: '2026-11-20', since: T0 + 4 * H, upMs: 3 * H, totalMs: 4 * H });
  });

  it('finishes each day it crosses, at the share it had', () => {
    const t = accrue({ day: '2026-11-20', since: T0 + 12 * H, upMs: 6 * H, totalMs: 12 * H }, 'web', 0.5, T0 + 2 * DAY + 6 * H);
    expect(t.finished).toEqual([
      { group: 'web', day: '2026-11-20', upMs: 12 * H, totalMs: 24 * H },
      { group: 'web', day: '2026-11-21', upMs: 12 * H, totalMs: 24 * H },
    ]);
    expect(t.tally).toEqual({ day: '2026-11-22', since: T0 + 2 * DAY + 6 * H, upMs: 3 * H, totalMs: 6 * H });
  });

  it('counts no time for a group with no members', () => {
    expect(accrue({ day: '2026-11-20', since: T0, upMs: 0, totalMs: 0 }, 'web', undefined, T0 + H).tally.totalMs).toBe(0);
  });
});

describe('a page over time', () => {
  const def = page();
  const fleet = [host('web-1', 'web'), host('web-2', 'web'), host('db-1', 'db')];

  it('turns a group degraded when a member dies, opens an incident, and closes it on recovery', () => {
    const a = computePage(def, undefined, fleet, [], T0).state;
    expect(a.groups.map((g) => g.state)).toEqual(['operational', 'operational']);
    const b = computePage(def, a, [host('web-1', 'web', false), fleet[1] as Member, fleet[2] as Member], [], T0 + H).state;
    expect(b.groups.map((g) => g.state)).toEqual(['degraded', 'operational']);
    expect(b.incidents).toEqual([{ group: 'web', state: 'degraded', start: T0 + H }]);
    const c = computePage(def, b, [host('web-1', 'web', false), host('web-2', 'web', false), fleet[2] as Member], [], T0 + 2 * H).state;
    expect(c.incidents).toEqual([{ group: 'web', state: 'down', start: T0 + H }]);
    const d = computePage(def, c, fleet, [], T0 + 3 * H).state;
    expect(d.incidents).toEqual([{ group: 'web', state: 'down', start: T0 + H, end: T0 + 3 * H }]);
    // One hour all up, one hour half up, one hour none up: 1.5 of 3 hours.
    expect(d.groups[0]?.tally).toMatchObject({ upMs: 1.5 * H, totalMs: 3 * H });
  });

  it("shows today's bar under 100% after a death, and the 89 days before it from the history", () => {
    const a = computePage(def, undefined, fleet, [], T0).state;
    const b = computePage(def, a, [host('web-1', 'web', false), fleet[1] as Member, fleet[2] as Member], [], T0 + 6 * H).state;
    const v = publicView(def, b, T0 + 12 * H);
    const web = v.groups[0];
    expect(web?.bars).toHaveLength(90);
    expect(web?.bars.at(-1)).toEqual({ day: '2026-11-20', availability: 75 });
    expect(web?.bars.at(-2)).toEqual({ day: '2026-11-19', availability: null });
    expect(v.groups[1]?.bars.at(-1)?.availability).toBe(100);
    expect(v.state).toBe('degraded');
    expect(v.asOf).toBe('2026-11-20T12:00:00.000Z');
  });

  it('carries a page into the next days for the report, and rebuilds its bars from the daily items', () => {
    const a = computePage(def, undefined, fleet, [], T0).state;
    const { state, finished } = carryPage(a, T0 + DAY + H);
    expect(finished.map((f) => [f.group, f.day, f.upMs / f.totalMs])).toEqual([['web', '2026-11-20', 1], ['database', '2026-11-20', 1]]);
    const rebuilt = withHistory(state, [{ group: 'web', day: '2026-11-19', upMs: 1, totalMs: 2 }, { group: 'web', day: '2026-05-01', upMs: 1, totalMs: 1 }], T0 + DAY + H);
    expect(rebuilt.groups[0]?.history).toEqual([{ day: '2026-11-20', availability: 1 }, { day: '2026-11-19', availability: 0.5 }]);
  });

  it('shows silences over members as maintenance, by group and window only', () => {
    const s: Silence = { id: 's1', target: { label: 'role', value: 'db' }, startsAt: T0, endsAt: T0 + 2 * H, reason: 'secret-reason: rotate db password hunter2' };
    const other: Silence = { id: 's2', target: { hostname: 'not-a-member' }, startsAt: T0, endsAt: T0 + 2 * H, reason: 'x' };
    const { state } = computePage(def, undefined, fleet, [s, other], T0 + H);
    expect(state.maintenance).toEqual([{ groups: ['database'], startsAt: T0, endsAt: T0 + 2 * H }]);
    expect(state.groups.map((g) => g.maintenance)).toEqual([false, true]);
    const v = publicView(def, state, T0 + H);
    expect(v.maintenance).toEqual([{ groups: ['Database'], startsAt: '2026-11-20T00:00:00.000Z', endsAt: '2026-11-20T02:00:00.000Z' }]);
    expect(JSON.stringify(v) + renderStatusHtml(v)).not.toContain('hunter2');
  });
});

describe('what a view shows', () => {
  const secret = 'AKIAIOSFODNN7EXAMPLE';
  const fleet = [host('web-internal-7.corp', 'web', true, { token: secret }), host('db-1.corp', 'db', false)];

  it('never a hostname, a label or a selector, unless the page shows hosts, and then only names', () => {
    const def = page();
    const { state } = computePage(def, undefined, fleet, [], T0);
    const v = publicView(def, state, T0);
    for (const text of [JSON.stringify(v), renderStatusHtml(v), ...v.groups.map((g) => renderBadgeSvg(g) + JSON.stringify(badgeJson(g)))]) {
      expect(text).not.toContain('corp');
      expect(text).not.toContain(secret);
      expect(text).not.toMatch(/role=(web|db)/);
      expect(text).not.toContain('token');
    }
    const shown = page({ showHosts: true });
    const v2 = publicView(shown, computePage(shown, undefined, fleet, [], T0).state, T0);
    expect(v2.groups[0]?.hosts).toEqual([{ name: 'web-internal-7.corp', up: true }]);
    expect(JSON.stringify(v2)).not.toContain(secret);
  });

  it('escapes what the operator wrote', () => {
    const def = page({ title: '<script>alert(1)</script>', groups: [parseGroup('A&B "x"=role=web') as never] });
    const v = publicView(def, computePage(def, undefined, fleet, [], T0).state, T0);
    const html = renderStatusHtml(v);
    expect(html).not.toContain('<script>');
    expect(html).toContain('&#60;script&#62;');
    expect(renderBadgeSvg(v.groups[0] as never)).toContain('A&#38;B &#34;x&#34;');
  });

  it('gives badges their state in words and colour, in the shields endpoint format', () => {
    expect(badgeJson({ name: 'Web', state: 'degraded' })).toEqual({ schemaVersion: 1, label: 'Web', message: 'degraded', color: 'yellow' });
    expect(badgeJson({ name: 'Web', state: 'operational' }).message).toBe('up');
    expect(renderBadgeSvg({ name: 'Web', state: 'down' })).toMatch(/<svg[^>]+aria-label="Web: down".*fill="#e05d44"/);
  });

  it('is the same bytes all through a minute', () => {
    const def = page();
    const { state } = computePage(def, undefined, [host('web-1', 'web', false), host('web-2', 'web')], [], T0);
    expect(renderStatusHtml(publicView(def, state, T0 + 61_000))).toBe(renderStatusHtml(publicView(def, state, T0 + 119_000)));
    expect(renderStatusHtml(publicView(def, state, T0 + 61_000))).not.toBe(renderStatusHtml(publicView(def, state, T0 + 121_000)));
  });
});
