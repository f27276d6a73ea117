import { beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../lib/api/app';
import type { ApiDeps } from '../../lib/api/deps';
import { loadConfig } from '../../lib/config';
import { judgeLogRules } from '../../lib/app/diagnose/rules';
import { silentLog } from '../../lib/app/log';
import { Outbox } from '../../lib/app/outbox';
import { MemoryAlerts, MemoryHosts, MemoryKeys, MemoryLogs, MemoryNotifications, MemoryReports, MemorySilences, MemoryStats } from '../../tools/memory';
import { MemoryLogRules } from '../../tools/memory/log-rules';

/** GET, POST and DELETE /api/v1/rules on the in-memory adapters: read key to list, write key to change. */
const NOW = Date.parse('2026-11-20T10:00:00Z');
const config = loadConfig({});
const keys = new MemoryKeys();
const hosts = new MemoryHosts(5);
const reports = new MemoryReports();
const rules = new MemoryLogRules();
const deps: ApiDeps = {
  keys, hosts, hostPages: hosts, notifications: new MemoryNotifications(), logs: new MemoryLogs(), silences: new MemorySilences(), rules,
  reports, reportPages: reports, liveness: config.liveness, hostCounts: new MemoryStats(), extraOrigins: [], now: () => NOW,
};
const app = buildApi(deps);
const token = { read: '', write: '' };

beforeAll(async () => {
  token.read = (await keys.create('read', 'reader', NOW)).token;
  token.write = (await keys.create('write', 'writer', NOW)).token;
});

async function call(method: string, path: string, key: string, body?: unknown) {
  const res = await app.request(path, {
    method,
    headers: { host: 'console.example', authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: (await res.json().catch(() => undefined)) as Record<string, unknown> & { error?: { code: string; message: string }; items?: Record<string, unknown>[] } };
}

describe('/api/v1/rules', () => {
  it('adds with a write key, lists and shows with a read key, removes with a write key', async () => {
    expect((await call('POST', '/api/v1/rules', token.read, { name: 'web-errors', app: 'web', count: 5, within: '1m' })).status).toBe(403);
    const made = await call('POST', '/api/v1/rules', token.write, { name: 'web-errors', app: 'web', level: 'error', count: 5, within: '1m', severity: 'critical' });
    expect(made.status).toBe(201);
    expect(made.json).toEqual({
      name: 'web-errors', scope: { app: 'web' }, condition: { kind: 'count', count: 5, withinMs: 60_000, minLevel: 40 }, severity: 'critical', createdAt: NOW, firing: false,
    });
    expect((await call('GET', '/api/v1/rules', token.read)).json.items?.map((r) => r.name)).toEqual(['web-errors']);
    expect((await call('GET', '/api/v1/rules/web-errors', token.read)).json).toMatchObject({ name: 'web-errors', firing: false });
    expect((await call('GET', '/api/v1/rules/nope', token.read)).status).toBe(404);
    expect((await call('DELETE', '/api/v1/rules/web-errors', token.read)).status).toBe(403);
    expect((await call('DELETE', '/api/v1/rules/web-errors', token.write))).toEqual({ status: 200, json: { name: 'web-errors', removed: true } });
    expect((await call('DELETE', '/api/v1/rules/web-errors', token.write)).status).toBe(404);
  });

  it('DELETE of a firing rule: the next pass closes its incident with one log-ok', async () => {
    expect((await call('POST', '/api/v1/rules', token.write, { name: 'api-burst', app: 'api', count: 1, within: '1m' })).status).toBe(201);
    await rules.commit('api-burst', undefined, { firing: true, since: NOW, judgedAt: NOW });
    expect((await call('DELETE', '/api/v1/rules/api-burst', token.write)).status).toBe(200);
    const alerts = new MemoryAlerts();
    for (const at of [NOW + 60_000, NOW + 120_000]) {
      const outbox = new Outbox();
      await judgeLogRules({ rules, log: silentLog }, at, [], outbox);
      await outbox.flush({ notifications: new MemoryNotifications(), alerts, now: () => at }, silentLog);
    }
    expect(alerts.published.map((n) => [n.kind, n.incident, n.details.reason])).toEqual([['log-ok', `@logs/rule/api-burst/${new Date(NOW).toISOString()}`, 'the rule was removed']]);
    expect(await rules.retired()).toEqual([]);
  });

  it('refuses bad rules with a clear message, a taken name with 409, and stores none of them', async () => {
    await call('POST', '/api/v1/rules', token.write, { name: 'taken', app: 'web', silent: '1h' });
    const bad: [unknown, number, RegExp][] = [
      [{ name: 'r', app: 'web', match: '(a+)+$' }, 400, /nested repetition/],
      [{ name: 'r', app: 'web', match: 'x'.repeat(50_000) }, 400, /at most 512 characters/],
      [{ name: 'r', app: 'web', count: 5, within: 'NaN' }, 400, /--within is a duration/],
      [{ name: 'r', app: 'web', count: 5, within: 20 }, 400, /from 1m to 7d/],
      [{ name: 'r', app: 'web', count: 0, within: '5m' }, 400, /at least 1/],
      [{ name: 'r', app: 'web', silent: '1s' }, 400, /from 10s to 30d/],
      [{ name: 'taken', app: 'api', count: 1, within: '1m' }, 409, /exists already/],
    ];
    for (const [body, status, reason] of bad) {
      const res = await call('POST', '/api/v1/rules', token.write, body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(status);
      expect(res.json.error?.message).toMatch(reason);
    }
    expect((await call('POST', '/api/v1/rules', token.write, '{"name":')).status).toBe(400);
    expect((await rules.list()).map((r) => r.name)).toEqual(['taken']);
  });

  it('is in the OpenAPI document: GET for a read key, POST and DELETE for a write key', async () => {
    const doc = (await (await app.request('/api/v1/openapi.json', { headers: { host: 'console.example', authorization: `Bearer ${token.read}` } })).json()) as { paths: Record<string, Record<string, { 'x-dts-role'?: string }>> };
    expect(doc.paths['/api/v1/rules']?.get?.['x-dts-role']).toBe('read');
    expect(doc.paths['/api/v1/rules']?.post?.['x-dts-role']).toBe('write');
    expect(doc.paths['/api/v1/rules/{name}']?.delete?.['x-dts-role']).toBe('write');
  });
});
