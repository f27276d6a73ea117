/**
 * The status pages' use cases on the in-memory adapters: what diagnose and the report read and
 * write to keep a page current, and what a view reads.
 */
import { describe, expect, it } from 'vitest';
import { createStatusPage, refreshStatusPages, rollStatusPages, viewStatusPage } from '../../lib/app/status-pages';
import { silentLog } from '../../lib/app/log';
import { definePage, parseGroup, type PageDef } from '../../lib/domain/status/page';
import type { Host } from '../../lib/domain/model';
import type { StatusPagesPort } from '../../lib/ports';
import { MemoryChecks, MemoryHosts, MemoryStatusPages } from '../../tools/memory';
import type { Check } from '../../lib/domain/check/check';
import { beat, T0 } from '../contract/fixtures';

const H = 3_600_000;
const def = definePage({ slug: 'public', title: 'Acme', showHosts: false, createdAt: T0, groups: [parseGroup('Web=role=web'), parseGroup('Database=role=db')] as never }) as PageDef;

/** Memory adapters that count what a use case asks of them. */
async function world() {
  const hosts = new MemoryHosts();
  for (const [h, role] of [['web-1', 'web'], ['web-2', 'web'], ['db-1', 'db']] as const) {
    await hosts.recordBeat(beat(h, T0, { labels: { role } }), false);
    await hosts.changeState({ hostname: h, from: 'new', fromSince: T0, to: 'alive', at: T0, lastBeat: T0, requireSilence: false, outageStart: undefined });
  }
  const pages = new MemoryStatusPages();
  const calls = { list: 0, saves: 0, hostReads: 0 };
  const counted: StatusPagesPort = Object.assign(Object.create(pages) as StatusPagesPort, {
    list: () => { calls.list++; return pages.list(); },
    save: (...a: Parameters<StatusPagesPort['save']>) => { calls.saves++; return pages.save(...a); },
  });
  const countedHosts = { list: (segments?: number): Promise<Host[]> => { calls.hostReads++; return hosts.list(segments); } };
  const deps = { pages: counted, hosts: countedHosts, scanSegments: 1, log: silentLog };
  return { hosts, pages, calls, deps };
}

const kill = (hosts: MemoryHosts, hostname: string, at: number) =>
  hosts.changeState({ hostname, from: 'alive', fromSince: T0, to: 'dead', at, lastBeat: T0, requireSilence: false, outageStart: T0 });

describe('keeping a page current', () => {
  it('reads only the pages after a pass in which nothing could have moved them', async () => {
    const { calls, deps } = await world();
    await createStatusPage(deps, def, [], T0);
    calls.saves = 0;
    calls.hostReads = 0;
    await refreshStatusPages(deps, { now: T0 + 60_000, silences: [], changed: false, examined: 3 });
    // The page made by the CLI does not know the fleet's size yet: one look, then none.
    const first = { ...calls };
    await refreshStatusPages(deps, { now: T0 + 120_000, silences: [], changed: false, examined: 3 });
    expect({ hostReads: calls.hostReads - first.hostReads, saves: calls.saves - first.saves, list: calls.list - first.list }).toEqual({ hostReads: 0, saves: 0, list: 1 });
  });

  it('rewrites a page when a member dies, and not when a change moved none of its groups', async () => {
    const { hosts, calls, deps, pages } = await world();
    await createStatusPage(deps, def, [], T0);
    await refreshStatusPages(deps, { now: T0 + 60_000, silences: [], changed: false, examined: 3 });
    const saves = calls.saves;
    await hosts.recordBeat(beat('other', T0 + H, { labels: { role: 'cache' } }), false);
    await refreshStatusPages(deps, { now: T0 + H, silences: [], changed: true, examined: 3 });
    expect(calls.saves).toBe(saves);
    await kill(hosts, 'web-1', T0 + 2 * H);
    expect(await refreshStatusPages(deps, { now: T0 + 2 * H, silences: [], changed: true, examined: 4 })).toEqual({ written: 1 });
    const v = await viewStatusPage(pages, 'public', T0 + 3 * H);
    expect(v?.groups.map((g) => g.state)).toEqual(['degraded', 'operational']);
    // Half of web was down for the last of the three hours.
    expect(v?.groups[0]?.bars.at(-1)?.availability).toBe(83.33);
  });

  it('computes again when a silence begins, and shows it as maintenance', async () => {
    const { deps, pages } = await world();
    await createStatusPage(deps, def, [], T0);
    const silence = { id: 's1', target: { hostname: 'db-1' }, startsAt: T0 + H, endsAt: T0 + 2 * H, reason: 'disk swap' };
    expect(await refreshStatusPages(deps, { now: T0 + H, silences: [silence], changed: false, examined: 3 })).toEqual({ written: 1 });
    const v = await viewStatusPage(pages, 'public', T0 + H);
    expect(v?.maintenance).toEqual([{ groups: ['Database'], startsAt: new Date(T0 + H).toISOString(), endsAt: new Date(T0 + 2 * H).toISOString() }]);
    expect(v?.groups[1]?.maintenance).toBe(true);
  });

  it('tries again over a newer version when another writer came first', async () => {
    const { hosts, deps, pages } = await world();
    await createStatusPage(deps, def, [], T0);
    const stale = await pages.get('public');
    // The report saves in between: the pass's write over the old version fails, and is redone.
    expect(await pages.save('public', stale?.version ?? 0, stale?.state as never)).toBe(true);
    await kill(hosts, 'db-1', T0 + H);
    const racing = { ...deps, pages: Object.assign(Object.create(pages) as StatusPagesPort, { list: async () => [stale as NonNullable<typeof stale>] }) };
    expect(await refreshStatusPages(racing, { now: T0 + H, silences: [], changed: true, examined: 3 })).toEqual({ written: 1 });
    expect((await pages.get('public'))?.version).toBe((stale?.version ?? 0) + 2);
    expect((await viewStatusPage(pages, 'public', T0 + H))?.groups[1]?.state).toBe('down');
  });
});

describe("the report's daily rewrite", () => {
  it('writes each finished day of each group as an item, and the bars from them', async () => {
    const { hosts, deps, pages } = await world();
    await createStatusPage(deps, def, [], T0);
    await kill(hosts, 'web-1', T0 + H);
    await refreshStatusPages(deps, { now: T0 + H, silences: [], changed: true, examined: 3 });
    const tomorrow = T0 + 24 * H;
    expect(await rollStatusPages(deps, tomorrow)).toEqual({ written: 1 });
    const days = await pages.days('public', '2026-11-20', '2026-11-20');
    expect(days.map((d) => [d.group, d.upMs / d.totalMs]).sort()).toEqual([['database', 1], ['web', (H + 0.5 * (14 * H - H)) / (14 * H)]]);
    const v = await viewStatusPage(pages, 'public', tomorrow);
    expect(v?.groups[0]?.bars.at(-2)).toEqual({ day: '2026-11-20', availability: Math.floor(((H + 6.5 * H) / (14 * H)) * 10_000) / 100 });
  });
});

describe('a view', () => {
  it('is one read, and nothing for a page never computed or not there', async () => {
    const { pages } = await world();
    let gets = 0;
    const counted = { get: (slug: string) => { gets++; return pages.get(slug); } };
    expect(await viewStatusPage(counted, 'nope', T0)).toBeUndefined();
    await pages.create(def);
    expect(await viewStatusPage(counted, 'public', T0)).toBeUndefined();
    expect(gets).toBe(2);
  });
});

describe('a group of checks', () => {
  it('holds the checks whose labels match: degraded when one of them fails, and a paused one counts for nothing', async () => {
    const { deps } = await world();
    const checks = new MemoryChecks();
    const check = (name: string, team: string, over: Partial<Check> = {}): Check => ({
      name, keyHash: `k-${name}`, schedule: { everyMs: H }, graceMs: 0, labels: { team }, createdAt: T0, paused: false, state: 'up', stateSince: T0, pings: 1, ...over,
    });
    for (const c of [check('backup-db', 'ops'), check('backup-files', 'ops'), check('etl', 'data'), check('old-sync', 'ops', { paused: true, state: 'late' })]) await checks.add(c);
    const page = definePage({
      slug: 'jobs', title: 'Jobs', showHosts: true, createdAt: T0,
      groups: [parseGroup('Backups=label=team=ops', 'check'), parseGroup('Web=role=web')] as never,
    }) as PageDef;
    const withChecks = { ...deps, checks };
    await createStatusPage(withChecks, page, [], T0);
    const before = await viewStatusPage(deps.pages, 'jobs', T0);
    expect(before?.groups.map((g) => [g.name, g.state, g.hosts?.map((m) => m.name)])).toEqual([
      ['Backups', 'operational', ['backup-db', 'backup-files']], ['Web', 'operational', ['web-1', 'web-2']],
    ]);

    await checks.changeState({ keyHash: 'k-backup-db', from: 'up', fromSince: T0, lastPing: undefined, to: 'failed', at: T0 + H, problemSince: T0 + H });
    await refreshStatusPages(withChecks, { now: T0 + H, silences: [], changed: true, examined: 3 });
    const after = await viewStatusPage(deps.pages, 'jobs', T0 + H);
    expect(after?.groups.map((g) => [g.name, g.state])).toEqual([['Backups', 'degraded'], ['Web', 'operational']]);
  });
});
