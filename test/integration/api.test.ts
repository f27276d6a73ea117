import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi, type Asset } from '../../lib/api/app';
import { apiDeps, namesFromEnv } from '../../lib/compose';
import { loadConfig } from '../../lib/config';
import type { Notification, NotificationKind, Severity } from '../../lib/domain/model';
import { ApiKeyStore } from '../../lib/adapters/dynamodb/api-keys';
import { World } from '../../tools/harness/day-world';
import { startTestCloud, type TestCloud } from '../../tools/harness/cloud';

/** The operator API against the embedded cloud: every store call goes through the real SDK. */
const HOUR = 3_600_000;
let cloud: TestCloud;
let world: World;
let app: ReturnType<typeof buildApi>;
let keys: ApiKeyStore;
const token = { read: '', write: '', revoked: '' };
const ASSETS: Record<string, Asset> = { '/': { type: 'text/html; charset=utf-8', body: '<!doctype html><title>dts</title>' } };

beforeAll(async () => {
  cloud = await startTestCloud();
  world = new World(cloud, Date.now() - 2 * HOUR);
  keys = new ApiKeyStore(cloud.clients.ddb, cloud.names.apiKeysTable);
  token.read = (await keys.create('read', 'test reader', world.now)).token;
  token.write = (await keys.create('write', 'test writer', world.now)).token;
  const revoked = await keys.create('write', 'test revoked', world.now);
  await keys.revoke(revoked.key.keyId, world.now);
  token.revoked = revoked.token;
  app = buildApi(apiDeps({ config: loadConfig(cloud.env), clients: cloud.clients, names: namesFromEnv(cloud.env), now: () => world.now }), ASSETS);
});
afterAll(async () => cloud?.stop());

async function call(method: string, path: string, key?: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await app.request(path, {
    method,
    headers: { host: 'console.example', ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json: json as Record<string, unknown> & { items?: Record<string, unknown>[]; next?: string | null; error?: { code: string; message: string } }, headers: res.headers, text };
}

/** Every operation the OpenAPI document lists, with path parameters filled in. */
async function routeTable(): Promise<{ method: string; path: string; role: string }[]> {
  const doc = (await call('GET', '/api/v1/openapi.json', token.read)).json as { paths: Record<string, Record<string, { 'x-dts-role'?: string }>> };
  // The status pages and badges are public by design (test/integration/status-pages.test.ts).
  const routes = Object.entries(doc.paths).filter(([path]) => path.startsWith('/api/')).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({
    method: method.toUpperCase(), path: path.replace(/\{[^}]+\}/g, 'x'), role: op['x-dts-role'] ?? 'missing',
  })));
  return [...routes, { method: 'GET', path: '/api/v1/openapi.json', role: 'read' }];
}

describe('auth on every route', () => {
  it('lists every route with its role in the generated OpenAPI document', async () => {
    const routes = await routeTable();
    expect(routes.map((r) => `${r.method} ${r.path}`).sort()).toEqual([
      'DELETE /api/v1/rules/x', 'DELETE /api/v1/silences/x', 'GET /api/v1/checks', 'GET /api/v1/checks/x', 'GET /api/v1/hosts', 'GET /api/v1/hosts/counts', 'GET /api/v1/hosts/x', 'GET /api/v1/logs',
      'GET /api/v1/notifications', 'GET /api/v1/openapi.json', 'GET /api/v1/reports', 'GET /api/v1/reports/latest', 'GET /api/v1/rules', 'GET /api/v1/rules/x',
      'GET /api/v1/silences', 'POST /api/v1/rules', 'POST /api/v1/silences',
    ]);
    expect(routes.every((r) => r.role === 'read' || r.role === 'write')).toBe(true);
  });

  it('answers 401 without a key, with a malformed, an unknown or a revoked key, on every route', async () => {
    const unknown = token.read.replace(/_[^_]+$/, '_' + 'A'.repeat(43));
    for (const r of await routeTable()) {
      for (const [label, headers] of [
        ['none', {}], ['not bearer', { authorization: `Basic ${token.write}` }], ['malformed', { authorization: 'Bearer nope' }],
        ['unknown secret', { authorization: `Bearer ${unknown}` }], ['revoked', { authorization: `Bearer ${token.revoked}` }],
      ] as const) {
        const res = await call(r.method, r.path, undefined, r.method === 'POST' ? {} : undefined, headers);
        expect({ route: `${r.method} ${r.path}`, label, status: res.status, code: res.json?.error?.code }).toEqual({ route: `${r.method} ${r.path}`, label, status: 401, code: 'unauthorized' });
      }
    }
  });

  it('answers 403 to a read key on every write route, and lets it through on every read route', async () => {
    const routes = await routeTable();
    expect(routes.filter((r) => r.role === 'write').length).toBeGreaterThanOrEqual(2);
    for (const r of routes) {
      const res = await call(r.method, r.path, token.read, r.method === 'POST' ? { target: 'web-1', seconds: 60, reason: 'x' } : undefined);
      if (r.role === 'write') expect({ route: r.path, status: res.status, code: res.json?.error?.code }).toEqual({ route: r.path, status: 403, code: 'forbidden' });
      else expect([200, 404], `${r.method} ${r.path}`).toContain(res.status);
    }
  });

  it('serves the page without a key, and nothing else', async () => {
    const page = await call('GET', '/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    // No other site may frame the page that holds a key and a silence form.
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'; script-src 'self'.*object-src 'none'; base-uri 'none'/);
    expect((await call('GET', '/api/v1/nowhere')).status).toBe(401);
    expect((await call('GET', '/api/v1/nowhere', token.read)).json.error?.code).toBe('not_found');
  });

  it('allows CORS only from the console\'s own origin', async () => {
    const own = await call('GET', '/api/v1/hosts/counts', token.read, undefined, { origin: 'https://console.example' });
    expect(own.headers.get('access-control-allow-origin')).toBe('https://console.example');
    const other = await call('GET', '/api/v1/hosts/counts', token.read, undefined, { origin: 'https://evil.example' });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await call('OPTIONS', '/api/v1/silences', undefined, undefined, { origin: 'https://evil.example', 'access-control-request-method': 'POST' });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('hosts', () => {
  beforeAll(async () => {
    for (let i = 0; i < 23; i++) {
      const role = i % 3 === 0 ? 'db' : 'web';
      world.set(`node-${String(i).padStart(2, '0')}`, { interval: 60, labels: { role } });
      await world.beat(`node-${String(i).padStart(2, '0')}`);
    }
    world.now += HOUR / 2;
    for (let i = 0; i < 23; i++) if (i % 5 !== 0) await world.beat(`node-${String(i).padStart(2, '0')}`);
    await world.diagnose();
  });

  async function walk(query: string, limit: number): Promise<{ hostnames: string[]; pages: number }> {
    const hostnames: string[] = [];
    let next: string | null | undefined;
    let pages = 0;
    do {
      const res = await call('GET', `/api/v1/hosts?limit=${limit}${query}${next ? `&next=${encodeURIComponent(next)}` : ''}`, token.read);
      expect(res.status).toBe(200);
      expect(res.json.items?.length ?? 0).toBeLessThanOrEqual(limit);
      hostnames.push(...(res.json.items ?? []).map((h) => h.hostname as string));
      next = res.json.next;
      pages++;
    } while (next);
    return { hostnames, pages };
  }

  it('pages through every host once, with no silent cut-off', async () => {
    const { hostnames, pages } = await walk('', 7);
    expect(new Set(hostnames).size).toBe(hostnames.length);
    expect(hostnames.filter((h) => h.startsWith('node-')).sort()).toEqual(Array.from({ length: 23 }, (_, i) => `node-${String(i).padStart(2, '0')}`));
    expect(pages).toBeGreaterThanOrEqual(4);
  });

  it('filters by state, label and name prefix', async () => {
    const dead = await walk('&state=dead', 5);
    expect(dead.hostnames.sort()).toEqual(['node-00', 'node-05', 'node-10', 'node-15', 'node-20']);
    const db = await walk('&label=role%3Ddb', 4);
    expect(db.hostnames.sort()).toEqual(['node-00', 'node-03', 'node-06', 'node-09', 'node-12', 'node-15', 'node-18', 'node-21']);
    expect((await walk('&prefix=node-1', 100)).hostnames.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `node-1${i}`));
    expect((await call('GET', '/api/v1/hosts?label=role', token.read)).json.error?.code).toBe('bad_request');
    expect((await call('GET', '/api/v1/hosts?state=zombie', token.read)).status).toBe(400);
  });

  it('counts hosts by state as of the last diagnose pass, and shows one host with its notifications', async () => {
    type Counts = { total: number; byState: Record<string, number>; overdue: number; at: number };
    // The pass above read the five silent hosts alive and past their deadline, then declared them dead.
    const seen = (await call('GET', '/api/v1/hosts/counts', token.read)).json as Counts;
    expect(seen.at).toBe(world.passes.at(-1)?.at);
    expect(seen.overdue).toBeGreaterThanOrEqual(5);
    expect(seen.total).toBeGreaterThanOrEqual(23);
    // The next pass counts them dead.
    world.now += 1000;
    await world.diagnose();
    const counts = (await call('GET', '/api/v1/hosts/counts', token.read)).json as Counts;
    expect(counts).toMatchObject({ overdue: 0, at: world.now });
    expect(counts.byState.dead).toBeGreaterThanOrEqual(5);
    expect(counts.total).toBeGreaterThanOrEqual(23);
    const one = await call('GET', '/api/v1/hosts/node-05', token.read);
    expect(one.json).toMatchObject({ host: { hostname: 'node-05', state: 'dead', labels: { role: 'web' } } });
    expect((one.json.notifications as { kind: string }[]).map((n) => n.kind)).toContain('host-down');
    expect((await call('GET', '/api/v1/hosts/nobody', token.read)).status).toBe(404);
  });

  it('refuses a cursor it did not give out', async () => {
    const res = await call('GET', '/api/v1/hosts?next=bm9wZQ', token.read);
    expect(res.status).toBe(400);
    expect(res.json.error?.code).toBe('bad_cursor');
  });
});

describe('notifications', () => {
  const base = Date.UTC(2026, 10, 20, 22, 0, 0);
  beforeAll(async () => {
    // 30 notifications over two UTC days, of three kinds, every third suppressed by a silence.
    const kinds: [NotificationKind, Severity][] = [['host-down', 'critical'], ['resource-warning', 'warning'], ['host-recovered', 'info']];
    for (let i = 0; i < 30; i++) {
      const [kind, severity] = kinds[i % 3] as [NotificationKind, Severity];
      const n: Notification = {
        id: `n-${i}`, hostname: `feed-${i % 4}`, kind, severity, at: base + i * 10 * 60_000, message: `#${i}`, details: {},
        ...(i % 2 === 0 ? { suppressed: 'silence:abc' } : {}),
      };
      await world.notifications.record(n);
    }
  });
  const range = `since=${new Date(base).toISOString()}&until=${new Date(base + 6 * HOUR).toISOString()}`;

  async function walk(query: string, limit: number): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    let next: string | null | undefined;
    do {
      const res = await call('GET', `/api/v1/notifications?${range}&limit=${limit}${query}${next ? `&next=${encodeURIComponent(next)}` : ''}`, token.read);
      expect(res.status, JSON.stringify(res.json)).toBe(200);
      out.push(...(res.json.items ?? []));
      next = res.json.next;
    } while (next);
    return out;
  }

  it('pages through the fleet\'s feed newest first, across days', async () => {
    const all = await walk('', 4);
    expect(all.map((n) => n.message)).toEqual(Array.from({ length: 30 }, (_, i) => `#${29 - i}`));
  });

  it('filters by kind, severity, host and suppression', async () => {
    expect((await walk('&kind=host-down', 3)).map((n) => n.message)).toEqual([27, 24, 21, 18, 15, 12, 9, 6, 3, 0].map((i) => `#${i}`));
    expect((await walk('&severity=info', 100)).every((n) => n.kind === 'host-recovered')).toBe(true);
    const suppressed = await walk('&suppressed=true', 4);
    expect(suppressed).toHaveLength(15);
    expect(suppressed.every((n) => n.suppressed === 'silence:abc')).toBe(true);
    expect((await walk('&suppressed=false', 4)).every((n) => n.suppressed === undefined)).toBe(true);
    expect((await walk('&host=feed-1&kind=resource-warning', 1)).map((n) => n.message)).toEqual(['#25', '#13', '#1']);
    expect((await call('GET', '/api/v1/notifications?kind=boom', token.read)).status).toBe(400);
    const badTime = await call('GET', '/api/v1/notifications?since=yesterday', token.read);
    expect(badTime.status).toBe(400);
    expect(badTime.json.error?.message).toBe('since: expected epoch milliseconds or an ISO time, got "yesterday"');
  });
});

describe('logs', () => {
  let t0 = 0;
  beforeAll(async () => {
    t0 = world.now;
    await world.log('api', 'web-a', 40, 5);
    await world.log('api', 'web-a', 20, 10);
    world.now += 1000;
    await world.log('billing', 'db-b', 50, 3);
    await world.log('billing', 'db-b', 30, 4);
    world.now += 1000;
    await world.log('worker', 'web-c', 40, 4);
  });

  it('reads the whole fleet\'s errors newest first, a page at a time, from the sparse index', async () => {
    const seen: Record<string, unknown>[] = [];
    let next: string | null | undefined;
    let pages = 0;
    do {
      const res = await call('GET', `/api/v1/logs?since=${t0 - 1000}&until=${world.now + 60_000}&limit=5${next ? `&next=${encodeURIComponent(next)}` : ''}`, token.read);
      expect(res.status, JSON.stringify(res.json)).toBe(200);
      seen.push(...(res.json.items ?? []));
      next = res.json.next;
      pages++;
    } while (next);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(12);
    expect(seen.every((r) => (r.level as number) >= 40)).toBe(true);
    expect(new Set(seen.map((r) => r.app))).toEqual(new Set(['api', 'billing', 'worker']));
    const times = seen.map((r) => r.timestamp as number);
    expect(times).toEqual([...times].sort((a, b) => b - a));
    const critical = await call('GET', `/api/v1/logs?since=${t0 - 1000}&level=critical`, token.read);
    expect(critical.json.items?.map((r) => r.app)).toEqual(['billing', 'billing', 'billing']);
  });

  it('filters by text within a bounded query, and refuses a fleet-wide query below error', async () => {
    const grep = await call('GET', `/api/v1/logs?app=billing&level=debug&since=${t0 - 1000}&grep=${encodeURIComponent('record 2')}`, token.read);
    // Both records share one timestamp, so their order between them is the key's, not the test's business.
    expect(grep.json.items?.map((r) => [r.level, r.text]).sort()).toEqual([[30, 'billing record 2'], [50, 'billing record 2']]);
    const fleet = await call('GET', '/api/v1/logs?level=info', token.read);
    expect(fleet.status).toBe(400);
    expect((await call('GET', '/api/v1/logs?app=a&host=b', token.read)).status).toBe(400);
    expect((await call('GET', '/api/v1/logs?since=0&until=2000000000000', token.read)).json.error?.message).toMatch(/31 days/);
  });
});

describe('silences and reports', () => {
  it('creates a silence with a write key, lists it, and ends it', async () => {
    const made = await call('POST', '/api/v1/silences', token.write, { target: 'role=db', seconds: 7200, reason: 'failover drill' });
    expect(made.status).toBe(201);
    expect(made.json).toMatchObject({ target: { label: 'role', value: 'db' }, reason: 'failover drill', inForce: true });
    const listed = await call('GET', '/api/v1/silences', token.read);
    expect(listed.json.items?.map((s) => s.id)).toContain(made.json.id);
    const host = await call('GET', '/api/v1/hosts/node-03', token.read);
    expect((host.json.host as { silencedBy?: string }).silencedBy).toBe(made.json.id);
    expect((await call('DELETE', `/api/v1/silences/${made.json.id as string}`, token.write)).status).toBe(200);
    expect((await call('DELETE', `/api/v1/silences/${made.json.id as string}`, token.write)).status).toBe(404);
    expect((await call('GET', '/api/v1/silences', token.read)).json.items?.map((s) => s.id)).not.toContain(made.json.id);
    expect((await call('POST', '/api/v1/silences', token.write, { target: 'role=', seconds: 60, reason: 'x' })).status).toBe(400);
    expect((await call('POST', '/api/v1/silences', token.write, { target: 'web-1', seconds: 60 })).status).toBe(400);
  });

  it('pages silences', async () => {
    for (let i = 0; i < 5; i++) await call('POST', '/api/v1/silences', token.write, { target: `page-${i}`, seconds: 600 + i, reason: 'paging' });
    const ids: string[] = [];
    let next: string | null | undefined;
    do {
      const res = await call('GET', `/api/v1/silences?limit=2${next ? `&next=${encodeURIComponent(next)}` : ''}`, token.read);
      ids.push(...(res.json.items ?? []).map((s) => s.reason as string));
      next = res.json.next;
    } while (next);
    expect(ids.filter((r) => r === 'paging')).toHaveLength(5);
  });

  it('shows the latest report, and lists reports', async () => {
    await world.report(24);
    const latest = await call('GET', '/api/v1/reports/latest', token.read);
    expect(latest.status).toBe(200);
    expect(latest.json.markdown).toMatch(/#/);
    const list = await call('GET', '/api/v1/reports?limit=5', token.read);
    expect(list.json.items?.length).toBe(1);
    expect(list.json.next).toBeNull();
  });
});

describe('24-hour history', () => {
  it('gives each host its last 24 hours of peaks, in the list and alone, as the OpenAPI document describes', async () => {
    const start = world.now;
    for (const [i, cpu] of [30, 75, 10].entries()) {
      world.now = start + i * HOUR;
      await world.beat('hist-1', { interval: 60, cpu, mem: 41, disk: 52 });
    }
    type History = { from: number; cpu: (number | null)[]; mem: (number | null)[]; disk: (number | null)[] };
    const one = (await call('GET', '/api/v1/hosts/hist-1', token.read)).json as { host: { history: History } };
    const h = one.host.history;
    expect(h.from).toBe((Math.floor(world.now / HOUR) - 23) * HOUR);
    expect(h.cpu.slice(-3)).toEqual([30, 75, 10]);
    expect(h.cpu.slice(0, -3).every((v) => v === null)).toBe(true);
    expect([h.mem.at(-1), h.disk.at(-1)]).toEqual([41, 52]);
    const listed = (await call('GET', '/api/v1/hosts?prefix=hist-', token.read)).json.items?.[0] as { history: History };
    expect(listed.history).toEqual(h);

    const doc = (await call('GET', '/api/v1/openapi.json', token.read)).json as { components: { schemas: Record<string, { properties: Record<string, unknown> }> } };
    expect(doc.components.schemas.Host?.properties.history).toEqual({ $ref: '#/components/schemas/HostHistory' });
    expect(doc.components.schemas.HostHistory?.properties.cpu).toMatchObject({ type: 'array', minItems: 24, maxItems: 24 });
  });
});
