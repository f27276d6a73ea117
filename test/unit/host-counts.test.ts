import { describe, expect, it } from 'vitest';
import { buildApi } from '../../lib/api/app';
import type { ApiDeps } from '../../lib/api/deps';
import { loadConfig } from '../../lib/config';
import type { Beat, Host } from '../../lib/domain/model';
import { hostView } from '../../lib/domain/host/view';
import { runDiagnose, type DiagnoseDeps } from '../../lib/app/diagnose/pass';
import { commitSegment, judgeSegment, runFannedPass, type DiagnoseWorkers } from '../../lib/app/diagnose/fanout';
import { storeBeat, type HeartbeatIngest } from '../../lib/app/ingest/heartbeats';
import { silentLog } from '../../lib/app/log';
import {
  MemoryAlerts, MemoryHeartbeatQueue, MemoryHosts, MemoryKeys, MemoryLogs, MemoryNotifications, MemoryReports, MemorySilences, MemoryStats,
} from '../../tools/memory';

/**
 * Issue 20, finding 9: `GET /api/v1/hosts/counts` reads the one item the diagnose pass writes
 * from its own scan, never the hosts table. The hosts port the API is given here throws on any
 * read of the whole table, so a route that scanned would answer 500.
 */

const config = loadConfig({ DTS_STORM_MIN_HOSTS: '1000' });
const T0 = Date.parse('2026-11-20T10:00:00Z');

/** The hosts store, with every whole-table read refused: what the API may not do. */
function noScans(hosts: MemoryHosts): MemoryHosts {
  return new Proxy(hosts, {
    get(target, key, receiver) {
      if (key === 'list' || key === 'scanSegment' || key === 'page') return () => { throw new Error(`the API scanned the hosts table (${String(key)})`); };
      const value = Reflect.get(target, key, receiver) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

async function world() {
  let clock = T0;
  const now = () => clock;
  const hosts = new MemoryHosts(5);
  const stats = new MemoryStats();
  const silences = new MemorySilences();
  const keys = new MemoryKeys();
  const reports = new MemoryReports();
  const delivery = { notifications: new MemoryNotifications(), alerts: new MemoryAlerts(), now };
  const diagnosis: DiagnoseDeps = {
    hosts, stats, delivery, silences, queue: new MemoryHeartbeatQueue(now), lagWaitMs: 0, rule: config.liveness, scanSegments: 2,
    log: silentLog, storm: config.lifecycle.storm, flap: config.lifecycle.flap,
  };
  const ingest: HeartbeatIngest = {
    hosts, delivery, quarantine: undefined, levels: config.levels, limits: { maxFutureSeconds: 86_400, textMaxBytes: 32_768 }, log: silentLog,
  };
  const walled = noScans(hosts);
  const api: ApiDeps = {
    keys, hosts: walled, hostPages: walled, hostCounts: stats, notifications: delivery.notifications, logs: new MemoryLogs(), silences,
    reports, reportPages: reports, liveness: config.liveness, extraOrigins: [], now,
  };
  const app = buildApi(api);
  const token = (await keys.create('read', 'reader', T0)).token;
  const beat = (hostname: string, receivedAt: number, goodbye = false): Beat => ({ hostname, receivedAt, sentAt: receivedAt, interval: 60, labels: { role: 'web' }, goodbye });
  // A fleet with a host in every state the pass reads: fresh, overdue, gone, silenced.
  for (let i = 0; i < 6; i++) await storeBeat(ingest, beat(`fresh-${i}`, T0));
  await storeBeat(ingest, beat('quiet-1', T0));
  await storeBeat(ingest, beat('quiet-2', T0));
  await storeBeat(ingest, beat('leaving', T0));
  await storeBeat(ingest, beat('leaving', T0 + 1000, true));
  await silences.create({ id: 'maint', target: { hostname: 'fresh-0' }, startsAt: T0, endsAt: T0 + 3_600_000, reason: 'maintenance' });
  return {
    hosts, stats, diagnosis, ingest, beat, silences,
    get clock() { return clock; },
    advance(ms: number) { clock += ms; },
    async counts(): Promise<{ status: number; body: Record<string, unknown> }> {
      const res = await app.request('/api/v1/hosts/counts', { headers: { host: 'console.example', authorization: `Bearer ${token}` } });
      return { status: res.status, body: await res.json() as Record<string, unknown> };
    },
  };
}

/** The figures as the route computed them before: every host's view at `now`. */
function viewCounts(all: readonly Host[], now: number, silences: Awaited<ReturnType<MemorySilences['all']>>) {
  const byState: Record<string, number> = { new: 0, alive: 0, dead: 0, left: 0, retired: 0 };
  let overdue = 0;
  let silenced = 0;
  for (const h of all) {
    const v = hostView(h, now, config.liveness, silences);
    byState[v.state] = (byState[v.state] ?? 0) + 1;
    if (v.overdue) overdue++;
    if (v.silencedBy !== undefined) silenced++;
  }
  return { total: all.length, byState, overdue, silenced, at: now };
}

describe('GET /api/v1/hosts/counts reads what diagnose counted', () => {
  it('answers zeros at time 0 before any pass, without reading the hosts table', async () => {
    const w = await world();
    expect(await w.counts()).toEqual({ status: 200, body: { total: 0, byState: { new: 0, alive: 0, dead: 0, left: 0, retired: 0 }, overdue: 0, silenced: 0, at: 0 } });
  });

  it('answers the figures a pass counted from its own scan, as the host view gives them at the pass\'s time', async () => {
    const w = await world();
    // quiet-1 and quiet-2 stop beating; the others beat on. Two minutes later both are overdue.
    w.advance(60_000);
    for (let i = 0; i < 6; i++) await storeBeat(w.ingest, w.beat(`fresh-${i}`, w.clock));
    w.advance(120_000);
    for (let i = 0; i < 6; i++) await storeBeat(w.ingest, w.beat(`fresh-${i}`, w.clock));
    const expected = viewCounts(await w.hosts.list(), w.clock, await w.silences.all());
    expect(expected).toMatchObject({ total: 9, overdue: 2, silenced: 1, byState: { left: 1 } });
    const passAt = w.clock;
    await runDiagnose(w.diagnosis);
    // Read later: the counts keep the pass's time, and what the hosts were when it read them.
    w.advance(15_000);
    expect(await w.counts()).toEqual({ status: 200, body: expected });
    expect((await w.counts()).body.at).toBe(passAt);
    // The next pass counts the deaths the first declared.
    await runDiagnose(w.diagnosis);
    expect((await w.counts()).body).toMatchObject({ total: 9, overdue: 0, byState: { dead: 2, left: 1 }, at: passAt + 15_000 });
  });

  it('sums a fanned-out pass\'s workers, and keeps the last whole pass\'s counts when a worker fails', async () => {
    const w = await world();
    w.advance(180_000);
    for (let i = 0; i < 6; i++) await storeBeat(w.ingest, w.beat(`fresh-${i}`, w.clock));
    const expected = viewCounts(await w.hosts.list(), w.clock, await w.silences.all());
    let failing = false;
    const workers: DiagnoseWorkers = {
      count: 3,
      judge: async (r) => {
        if (failing && r.segments.first === 2) throw new Error('injected: worker down');
        return judgeSegment(w.diagnosis, r);
      },
      commit: (r) => commitSegment(w.diagnosis, r),
    };
    await runFannedPass(w.diagnosis, workers);
    expect((await w.counts()).body).toEqual(expected);
    w.advance(30_000);
    failing = true;
    await runFannedPass({ ...w.diagnosis, log: { ...silentLog, error: () => undefined } }, workers);
    expect((await w.counts()).body).toEqual(expected);
  });
});
