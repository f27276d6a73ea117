import { beforeEach, describe, expect, it } from 'vitest';
import { buildApi } from '../../lib/api/app';
import type { ApiDeps } from '../../lib/api/deps';
import { addCheck } from '../../lib/app/checks/manage';
import { loadConfig } from '../../lib/config';
import { MemoryChecks, MemoryHosts, MemoryKeys, MemoryLogs, MemoryNotifications, MemoryReports, MemorySilences, MemoryStats } from '../../tools/memory';

/**
 * `/ping/<key>[/start|/fail|/<0-255>]` and `/api/v1/checks` on the in-memory adapters: a ping
 * needs no API key, and every bad input gets a clear 4xx and changes nothing.
 */
const NOW = Date.parse('2026-11-20T10:00:00Z');
const config = loadConfig({});
const KEY = 'Zm9vYmFyYmF6cXV4cXV1eDEy';
let checks: MemoryChecks;
let logs: MemoryLogs;
let keys: MemoryKeys;
let app: ReturnType<typeof buildApi>;

beforeEach(async () => {
  checks = new MemoryChecks();
  logs = new MemoryLogs();
  keys = new MemoryKeys();
  const hosts = new MemoryHosts(5);
  const reports = new MemoryReports();
  const deps: ApiDeps = {
    keys, hosts, hostPages: hosts, notifications: new MemoryNotifications(), logs, silences: new MemorySilences(),
    reports, reportPages: reports, liveness: config.liveness, hostCounts: new MemoryStats(), extraOrigins: [], now: () => NOW,
    checks, pings: { checks, logs, logTtlDays: 14, runsHours: 24 },
  };
  app = buildApi(deps);
  expect((await addCheck(checks, { name: 'backup', cron: '0 2 * * *', tz: 'Europe/Berlin', grace: '30m', maxRun: '1h', labels: { team: 'ops' } }, NOW - 86_400_000, KEY)).ok).toBe(true);
});

const ping = async (path: string, init: RequestInit = {}) => {
  const res = await app.request(path, init);
  return { status: res.status, text: await res.text() };
};
const output = () => logs.query({ app: 'backup', minLevel: 10, since: NOW - 60_000, until: NOW + 60_000, limit: 10 });

describe('HTTP pings', () => {
  it('records a success on GET /ping/<key>, with no API key', async () => {
    expect(await ping(`/ping/${KEY}`)).toEqual({ status: 200, text: 'OK\n' });
    expect(await checks.get('backup')).toMatchObject({ lastSuccess: NOW, lastOk: true, pings: 1 });
  });

  it('records start, fail and exit statuses, and keeps a POST body as the output', async () => {
    expect((await ping(`/ping/${KEY}/start`)).status).toBe(200);
    expect((await ping(`/ping/${KEY}/3`, { method: 'POST', body: 'boom\n' })).status).toBe(200);
    expect(await checks.get('backup')).toMatchObject({ lastStart: NOW, lastEnd: NOW, lastOk: false, lastExit: 3, pings: 2 });
    expect(await output()).toMatchObject([{ app: 'backup', text: 'boom\n', level: 40 }]);
    expect((await ping(`/ping/${KEY}/fail`, { method: 'POST' })).status).toBe(200);
    expect(await checks.get('backup')).toMatchObject({ lastOk: false, pings: 3 });
  });

  it('keeps only the last 10 KB of a long body', async () => {
    expect((await ping(`/ping/${KEY}/0`, { method: 'POST', body: `${'x'.repeat(50_000)}tail` })).status).toBe(200);
    const [record] = await output();
    expect(Buffer.byteLength(record?.text ?? '')).toBe(10_240);
    expect(record?.text.endsWith('tail')).toBe(true);
  });

  describe('refuses, and changes nothing', () => {
    const cases: [string, string, RequestInit, number, RegExp][] = [
      ['an unknown key', '/ping/AAAAAAAAAAAAAAAAAAAAAAAA', {}, 404, /unknown or revoked ping key/],
      ['a key of the wrong shape', '/ping/short', {}, 404, /unknown or revoked ping key/],
      ['exit status 256', `/ping/${KEY}/256`, {}, 400, /exit status 0 to 255/],
      ['exit status abc', `/ping/${KEY}/abc`, {}, 400, /exit status 0 to 255/],
      ['a body over the limit', `/ping/${KEY}`, { method: 'POST', body: 'x'.repeat(100 * 1024 + 1) }, 413, /at most 102400 bytes/],
      ['a deeper path', `/ping/${KEY}/0/extra`, {}, 404, /no route/],
    ];
    for (const [what, path, init, status, text] of cases) {
      it(what, async () => {
        const res = await ping(path, init);
        expect(res.status).toBe(status);
        expect(res.text).toMatch(text);
        expect(await checks.get('backup')).toMatchObject({ pings: 0 });
        expect(await output()).toEqual([]);
      });
    }

    it('a revoked key (its check removed)', async () => {
      await checks.remove('backup');
      expect(await ping(`/ping/${KEY}`)).toEqual({ status: 404, text: 'unknown or revoked ping key\n' });
    });
  });

  it('records a ping for a paused check', async () => {
    await checks.setPaused('backup', true);
    expect((await ping(`/ping/${KEY}`)).status).toBe(200);
    expect(await checks.get('backup')).toMatchObject({ paused: true, pings: 1 });
  });
});

describe('/api/v1/checks', () => {
  it('lists the checks and shows one, with an API key only, never the key or its hash', async () => {
    expect((await app.request('/api/v1/checks')).status).toBe(401);
    const token = (await keys.create('read', 'reader', NOW)).token;
    const auth = { headers: { authorization: `Bearer ${token}`, host: 'x' } };
    await ping(`/ping/${KEY}`);
    const list = await (await app.request('/api/v1/checks', auth)).json() as { items: Record<string, unknown>[] };
    expect(list.items).toMatchObject([{ name: 'backup', state: 'new', schedule: 'cron "0 2 * * *" Europe/Berlin', graceSeconds: 1800, maxRunSeconds: 3600, lastSignal: 'success', pings: 1 }]);
    expect(JSON.stringify(list)).not.toMatch(/keyHash|Zm9vYmFy/);
    const one = await app.request('/api/v1/checks/backup', auth);
    expect(one.status).toBe(200);
    expect(await one.json()).toMatchObject({ name: 'backup', nextExpected: '2026-11-21T01:00:00.000Z', lateAt: '2026-11-21T01:30:00.000Z' });
    expect((await app.request('/api/v1/checks/nope', auth)).status).toBe(404);
  });
});
