/**
 * Status pages through a scheduled diagnose invocation, on the in-memory adapters and the real
 * clock: a member that dies during the deadline watch is on the page before the watch ends, not
 * after it (docs/STATUS.md, "Cheap to view"), and the rewrites are spaced by their gap.
 */
import { describe, expect, it } from 'vitest';
import { runScheduledDiagnose } from '../../lib/app/diagnose/scheduled';
import type { DiagnoseDeps } from '../../lib/app/diagnose/pass';
import { addCheck } from '../../lib/app/checks/manage';
import { createStatusPage, refreshStatusPages, viewStatusPage } from '../../lib/app/status-pages';
import { silentLog } from '../../lib/app/log';
import { loadConfig } from '../../lib/config';
import { definePage, parseGroup, type GroupState, type PageDef } from '../../lib/domain/status/page';
import type { StatusPagesPort } from '../../lib/ports';
import { MemoryAlerts, MemoryChecks, MemoryHeartbeatQueue, MemoryHosts, MemoryNotifications, MemoryStats, MemoryStatusPages } from '../../tools/memory';

// Storms are off: each death is its own, as the page sees it either way.
const config = loadConfig({ DTS_STORM_MIN_HOSTS: '1000' });
/** Hosts beat every second: with a tolerance of 3, each is dead 3 s after its last beat. */
const DEADLINE_MS = 3000;

const page = definePage({
  slug: 'public', title: 'Acme', showHosts: false, createdAt: Date.now(),
  groups: [parseGroup('Web=role=web'), parseGroup('Database=role=db'), parseGroup('Jobs=team=data', 'check')] as never,
}) as PageDef;

/** A fleet of web-1..3 and db-1, alive, whose last beats put each deadline `dieIn[host]` ms from now; a page over it. */
async function world(dieIn: Record<string, number>, watchMs: number) {
  const now = Date.now;
  const t0 = now();
  const hosts = new MemoryHosts();
  for (const [hostname, role] of [['web-1', 'web'], ['web-2', 'web'], ['web-3', 'web'], ['db-1', 'db']] as const) {
    const last = t0 - DEADLINE_MS + (dieIn[hostname] ?? 600_000);
    await hosts.recordBeat({ hostname, receivedAt: last, sentAt: last, interval: 1, labels: { role }, goodbye: false }, false);
    await hosts.changeState({ hostname, from: 'new', fromSince: last, to: 'alive', at: last, lastBeat: last, requireSilence: false, outageStart: undefined });
  }
  const checks = new MemoryChecks();
  const pages = new MemoryStatusPages();
  const writes: { at: number; groups: GroupState[] }[] = [];
  const counted: StatusPagesPort = Object.assign(Object.create(pages) as StatusPagesPort, {
    save: async (...a: Parameters<StatusPagesPort['save']>) => {
      const ok = await pages.save(...a);
      if (ok) writes.push({ at: now(), groups: a[2].groups.map((g) => g.state) });
      return ok;
    },
  });
  const stats = new MemoryStats();
  const d: DiagnoseDeps = {
    hosts, stats, checks, statusPages: counted, queue: new MemoryHeartbeatQueue(now), lagWaitMs: 0,
    delivery: { notifications: new MemoryNotifications(), alerts: new MemoryAlerts(), now },
    rule: { defaultInterval: 60, tolerance: 3, retireAfter: 7 * 86_400 }, scanSegments: 1, log: silentLog,
    storm: config.lifecycle.storm, flap: config.lifecycle.flap, watchMs, groupWaitMs: 0,
  };
  const pageDeps = { pages, hosts, checks, scanSegments: 1, log: silentLog };
  await createStatusPage(pageDeps, page, [], now());
  // As a pass before this one left it: it knows the fleet's size.
  await refreshStatusPages(pageDeps, { now: now(), silences: [], changed: false, examined: 4 });
  return { d, pages, checks, writes, t0 };
}

/** One scheduled invocation, and the page's groups as a viewer saw them, polled while it ran. */
async function invoke(d: DiagnoseDeps, pages: MemoryStatusPages, gapMs: number) {
  let ended: number | undefined;
  const run = runScheduledDiagnose(d, {
    fanout: { workers: 1, hostsPerWorker: 50_000, workerFunction: undefined }, workers: () => { throw new Error('no workers'); },
    budgetEnd: Date.now() + 60_000, publish: () => undefined, pageRewriteGapMs: gapMs,
  }).finally(() => { ended = Date.now(); });
  const seen: { at: number; groups: GroupState[] }[] = [];
  while (ended === undefined) {
    const v = await viewStatusPage(pages, 'public', Date.now());
    seen.push({ at: Date.now(), groups: v?.groups.map((g) => g.state) ?? [] });
    await new Promise((r) => setTimeout(r, 50));
  }
  await run;
  return { seen, ended };
}

describe('status pages through the deadline watch', () => {
  it('a host that dies during the watch is on the page before the watch ends', async () => {
    // db-1 dies 0.5 s from now, web-3 1.8 s from now: the watch lasts until web-3's death.
    const { d, pages, t0: started } = await world({ 'db-1': 500, 'web-3': 1800 }, 2000);
    const { seen, ended } = await invoke(d, pages, 300);
    expect(ended - started).toBeGreaterThanOrEqual(1800);
    const down = seen.find((s) => s.groups[1] === 'down');
    expect(down, 'the page showed db-1 down while the watch still waited for web-3').toMatchObject({ groups: ['operational', 'down', 'operational'] });
  }, 15_000);

  it('a check late during the watch is on the page before the watch ends', async () => {
    const { d, pages, checks, t0: started } = await world({ 'web-3': 1800 }, 2000);
    // Every 10 s, grace 5 s, added 14.5 s ago: late 0.5 s from now.
    expect((await addCheck(checks, { every: '10s', grace: '5s', name: 'etl', labels: { team: 'data' } }, started - 14_500)).ok).toBe(true);
    const { seen } = await invoke(d, pages, 300);
    const late = seen.find((s) => s.groups[2] === 'down');
    expect(late, 'the page showed the check down while the watch still waited for web-3').toMatchObject({ groups: ['operational', 'operational', 'down'] });
  }, 15_000);

  it('deaths close together are one rewrite, a gap after the last; a watch that commits nothing writes nothing', async () => {
    // web-1..3 die 0.3, 0.6 and 0.9 s from now (three watch batches), db-1 1.9 s from now; a gap of 1.3 s.
    const { d, pages, writes, t0: started } = await world({ 'web-1': 300, 'web-2': 600, 'web-3': 900, 'db-1': 1900 }, 2000);
    await invoke(d, pages, 1300);
    // Nothing had changed at the pass; one rewrite at the gap took the web deaths (all three, unless
    // the machine is slow), the last (the watch over) db-1's: two writes for four deaths.
    expect(writes).toHaveLength(2);
    expect((writes[0]?.at ?? 0) - started).toBeGreaterThanOrEqual(1300);
    expect(writes[0]?.groups.slice(1)).toEqual(['operational', 'operational']);
    expect(writes[1]?.groups).toEqual(['down', 'down', 'operational']);

    // web-1 beats again before its deadline: the watch reads it there, and commits nothing.
    const quiet = await world({ 'web-1': 500 }, 2000);
    setTimeout(() => void quiet.d.hosts.recordBeat({ hostname: 'web-1', receivedAt: Date.now(), sentAt: Date.now(), interval: 1, labels: { role: 'web' }, goodbye: false }, false), 200);
    await invoke(quiet.d, quiet.pages, 100);
    expect(quiet.writes).toEqual([]);
  }, 20_000);
});
