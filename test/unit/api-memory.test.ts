import { beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../lib/api/app';
import type { ApiDeps } from '../../lib/api/deps';
import { loadConfig } from '../../lib/config';
import { MemoryHosts, MemoryKeys, MemoryLogs, MemoryNotifications, MemoryReports, MemorySilences, MemoryStats } from '../../tools/memory';

/**
 * The operator API on the in-memory adapters (tools/memory): ApiDeps names ports, so the same
 * app runs on them without a cast. test/integration/api.test.ts proves the same routes on the
 * engines; here they run in milliseconds.
 */
const NOW = Date.parse('2026-11-20T10:00:00Z');
const config = loadConfig({});
const keys = new MemoryKeys();
const hosts = new MemoryHosts(5);
const reports = new MemoryReports();
const stats = new MemoryStats();
const deps: ApiDeps = {
  keys, hosts, hostPages: hosts, notifications: new MemoryNotifications(), logs: new MemoryLogs(), silences: new MemorySilences(),
  reports, reportPages: reports, liveness: config.liveness, hostCounts: stats, extraOrigins: [], now: () => NOW,
};
const app = buildApi(deps);
const token = { read: '', write: '', revoked: '' };
const NODES = Array.from({ length: 23 }, (_, i) => `node-${String(i).padStart(2, '0')}`);

beforeAll(async () => {
  token.read = (await keys.create('read', 'reader', NOW)).token;
  token.write = (await keys.create('write', 'writer', NOW)).token;
  const revoked = await keys.create('write', 'revoked', NOW);
  await keys.revoke(revoked.key.keyId, NOW);
  token.revoked = revoked.token;
  for (const [i, hostname] of NODES.entries()) {
    await hosts.recordBeat({ hostname, receivedAt: NOW - 30_000, sentAt: NOW - 30_000, interval: 60, labels: { role: i % 3 === 0 ? 'db' : 'web' }, goodbye: false }, false);
  }
});

async function call(method: string, path: string, key?: string, body?: unknown, on = app) {
  const res = await on.request(path, {
    method,
    headers: { host: 'console.example', ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const json = (await res.json().catch(() => undefined)) as Record<string, unknown> & { items?: Record<string, unknown>[]; next?: string | null; error?: { code: string } };
  return { status: res.status, json };
}

async function walk(query: string, limit: number): Promise<string[]> {
  const names: string[] = [];
  let next: string | null | undefined;
  do {
    const res = await call('GET', `/api/v1/hosts?limit=${limit}${query}${next ? `&next=${encodeURIComponent(next)}` : ''}`, token.read);
    expect(res.status).toBe(200);
    expect(res.json.items?.length ?? 0).toBeLessThanOrEqual(limit);
    names.push(...(res.json.items ?? []).map((h) => h.hostname as string));
    next = res.json.next;
  } while (next);
  return names;
}

describe('the operator API, in memory', () => {
  it('answers 401 without a valid key and 403 to a read key on a write route', async () => {
    for (const key of [undefined, 'nope', token.revoked]) expect((await call('GET', '/api/v1/hosts', key)).status).toBe(401);
    expect((await call('POST', '/api/v1/silences', token.read, { target: 'web-1', seconds: 60, reason: 'x' })).json.error?.code).toBe('forbidden');
  });

  it('pages through every host once, and filters by label and prefix', async () => {
    const all = await walk('', 7);
    expect(all.slice().sort()).toEqual(NODES);
    expect((await walk('&label=role%3Ddb', 4)).sort()).toEqual(NODES.filter((_, i) => i % 3 === 0));
    expect((await walk('&prefix=node-1', 100)).sort()).toEqual(NODES.filter((n) => n.startsWith('node-1')));
    expect((await call('GET', '/api/v1/hosts/nobody', token.read)).status).toBe(404);
  });

  it('the OpenAPI document gives an example of each kind of silence target, and each is created as that kind', async () => {
    const doc = (await call('GET', '/api/v1/openapi.json', token.read)).json as {
      paths: Record<string, Record<string, { summary: string; requestBody: { content: Record<string, { examples: Record<string, { value: { target: string } }> }> } }>>;
    };
    const create = doc.paths['/api/v1/silences']?.post;
    const examples = create?.requestBody.content['application/json']?.examples ?? {};
    const kinds: Record<string, unknown> = {};
    // Silences of its own, so that the examples' silences cover nothing the other tests look at.
    const own = buildApi({ ...deps, silences: new MemorySilences() });
    for (const [kind, example] of Object.entries(examples)) {
      const made = await call('POST', '/api/v1/silences', token.write, example.value, own);
      expect(made.status, kind).toBe(201);
      kinds[kind] = made.json.target;
    }
    // One of each shape the Silence schema's target takes, and a check (a host named check:NAME).
    expect(kinds).toEqual({
      host: { hostname: 'web-1' }, label: { label: 'role', value: 'db' }, check: { hostname: 'check:nightly-backup' }, app: { app: 'web' }, rule: { rule: 'web-errors' },
    });
    // The summary names what the examples show.
    for (const form of ['label value', 'check:NAME', 'app:NAME', 'rule:NAME']) expect(create?.summary).toContain(form);
  });

  it('creates a silence with a write key, shows it on the hosts it covers, and ends it once', async () => {
    const made = await call('POST', '/api/v1/silences', token.write, { target: 'role=db', seconds: 7200, reason: 'failover drill' });
    expect(made.status).toBe(201);
    expect(made.json).toMatchObject({ target: { label: 'role', value: 'db' }, reason: 'failover drill', inForce: true });
    const host = await call('GET', '/api/v1/hosts/node-03', token.read);
    expect((host.json.host as { silencedBy?: string }).silencedBy).toBe(made.json.id);
    expect((await call('DELETE', `/api/v1/silences/${made.json.id as string}`, token.write)).status).toBe(200);
    expect((await call('DELETE', `/api/v1/silences/${made.json.id as string}`, token.write)).status).toBe(404);
  });
});
