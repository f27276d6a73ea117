/**
 * Status pages through the local cloud, every call through the real SDK: a page made with the
 * CLI, kept by diagnose (as the composition root wires it), rolled by the report, and served by
 * the API without a key. Also the no-leak test of issue 22.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../lib/api/app';
import { runDiagnose } from '../../lib/app/diagnose/pass';
import { runReport } from '../../lib/app/report';
import { diagnoseDeps, namesFromEnv, reportDeps, statusPageStore, type Root } from '../../lib/compose';
import { loadConfig } from '../../lib/config';
import { dayOf } from '../../lib/domain/model/days';
import { World } from '../../tools/harness/day-world';
import { idleQueue } from '../../tools/harness/idle-queue';
import { startTestCloud, type TestCloud } from '../../tools/harness/cloud';
import { cliIn } from '../support/cli';

const MINUTE = 60_000;
const SECRET_LABEL = 'sk_live_51HxQvT2eZvKYlo2C0123456789abcdef';
const LOG_LINE = 'payment failed for card 4111111111111111 token=tok_LEAKCANARY';
const OUTSIDER = 'vault-internal-9.corp.example';

let cloud: TestCloud;
let world: World;
let root: Root;
let app: ReturnType<typeof buildApi>;
const dts = cliIn(() => cloud.env);

beforeAll(async () => {
  cloud = await startTestCloud();
  Object.assign(process.env, cloud.env);
  world = new World(cloud, Date.now() - 30 * MINUTE);
  root = { config: loadConfig(cloud.env), clients: cloud.clients, names: namesFromEnv(cloud.env), now: world.clock };
  app = buildApi((await import('../../lib/compose')).apiDeps(root));
  world.set('web-1.corp.example', { interval: 60, labels: { role: 'web', stripe: SECRET_LABEL } });
  world.set('web-2.corp.example', { interval: 60, labels: { role: 'web' } });
  world.set('db-1.corp.example', { interval: 60, labels: { role: 'db' } });
  world.set(OUTSIDER, { interval: 60, labels: { role: 'vault' } });
  for (const h of world.fleet.keys()) await world.beat(h);
  await world.logs.write([{
    record: { app: 'billing', hostname: 'web-1.corp.example', timestamp: world.now / 1000, level: 50, text: LOG_LINE, fields: {}, id: randomUUID() },
    receivedAt: world.now, owner: 'm-1',
  }], 14);
}, 60_000);
afterAll(async () => cloud?.stop());

/** A pass as the scheduled function makes it (statusPages included), on the test's clock and an idle queue. */
async function pass() {
  return runDiagnose({ ...diagnoseDeps(root), queue: idleQueue(world.clock), lagWaitMs: 1000, watchMs: 0 });
}

/** A minute at a time: every host that is up beats, then a pass runs, as the scheduled one does. Returns the host-downs. */
async function minutes(n: number): Promise<number> {
  let downs = 0;
  for (let i = 0; i < n; i++) {
    world.now += MINUTE;
    for (const [h, s] of world.fleet) if (s.up !== false) await world.beat(h);
    downs += (await pass()).transitions['host-down'] ?? 0;
  }
  return downs;
}

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await app.request(path, { headers: { host: 'status.example', ...headers } });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** DynamoDB calls made while `f` runs, by command. */
async function counting<T>(f: () => Promise<T>): Promise<{ result: T; calls: string[] }> {
  const calls: string[] = [];
  const name = `count-${randomUUID()}`;
  cloud.clients.ddb.middlewareStack.add((next, context) => async (args) => {
    calls.push(context.commandName as string);
    return next(args);
  }, { step: 'initialize', name });
  try {
    return { result: await f(), calls };
  } finally {
    cloud.clients.ddb.middlewareStack.remove(name);
  }
}

interface Json {
  state: string;
  groups: { key: string; name: string; state: string; bars: { day: string; availability: number | null }[]; hosts?: unknown }[];
  incidents: { group: string; state: string; start: string; end: string | null }[];
}

describe('a status page with two groups', () => {
  it('is made by the CLI, computed at once, and served without a key', async () => {
    const made = await dts('status-pages', 'add', 'public', '--title', 'Acme status', '--group', 'Web=role=web', '--group', 'Database=role=db', '--json');
    expect(made.code, made.err).toBe(0);
    expect(JSON.parse(made.out)).toMatchObject({ slug: 'public', showHosts: false, groups: [{ name: 'Web', key: 'web' }, { name: 'Database', key: 'database' }] });
    expect((await dts('status-pages', 'add', 'public', '--title', 'again', '--group', 'Web=role=web')).code).toBe(2);
    await pass();
    const v = JSON.parse((await get('/status/public.json')).text) as Json;
    expect(v.groups.map((g) => [g.name, g.state])).toEqual([['Web', 'operational'], ['Database', 'operational']]);
    const listed = JSON.parse((await dts('status-pages', 'list', '--json')).out) as { slug: string; state: string }[];
    expect(listed.map((p) => [p.slug, p.state])).toEqual([['public', 'operational']]);
  });

  it('shows a group degraded after a member dies, in the JSON, the HTML and the badges, with the other operational', async () => {
    await minutes(2);
    world.set('web-1.corp.example', { up: false });
    expect(await minutes(5)).toBe(1);

    const { result: json, calls } = await counting(() => get('/status/public.json'));
    expect(calls.length).toBeLessThanOrEqual(2);
    expect(calls).toEqual(['GetItemCommand']);
    const v = JSON.parse(json.text) as Json;
    expect(v.state).toBe('degraded');
    expect(v.groups.map((g) => [g.name, g.state])).toEqual([['Web', 'degraded'], ['Database', 'operational']]);
    expect(v.incidents).toMatchObject([{ group: 'Web', state: 'degraded', end: null }]);
    const today = v.groups[0]?.bars.at(-1);
    expect(today?.day).toBe(dayOf(world.now));
    expect(today?.availability).toBeLessThan(100);
    expect(today?.availability).toBeGreaterThan(0);
    expect(v.groups[1]?.bars.at(-1)?.availability).toBe(100);

    const html = await get('/status/public');
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toMatch(/^text\/html/);
    expect(html.text).toMatch(/data-group="web" data-state="degraded"/);
    expect(html.text).toMatch(/data-group="database" data-state="operational"/);

    const svg = await get('/badge/public/web.svg');
    expect(svg.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(svg.text).toMatch(/aria-label="Web: degraded"/);
    expect(JSON.parse((await get('/badge/public/web.json')).text)).toEqual({ schemaVersion: 1, label: 'Web', message: 'degraded', color: 'yellow' });
    expect(JSON.parse((await get('/badge/public/database.json')).text)).toEqual({ schemaVersion: 1, label: 'Database', message: 'up', color: 'brightgreen' });
  });

  it('answers a second view with If-None-Match with 304, and says how long to cache', async () => {
    for (const path of ['/status/public', '/status/public.json', '/badge/public/web.svg', '/badge/public/web.json']) {
      const first = await get(path);
      const etag = first.headers.get('etag') as string;
      expect(etag).toMatch(/^"[\w-]+"$/);
      expect(first.headers.get('cache-control')).toBe('public, max-age=30');
      const second = await get(path, { 'if-none-match': etag });
      expect({ path, status: second.status, body: second.text }).toEqual({ path, status: 304, body: '' });
      expect(second.headers.get('etag')).toBe(etag);
      expect((await get(path, { 'if-none-match': '"other"' })).status).toBe(200);
    }
  });

  it('sends the page gzipped to a viewer that takes it, and still answers its If-None-Match with 304', async () => {
    const plain = await get('/status/public');
    const res = await app.request('/status/public', { headers: { host: 'status.example', 'accept-encoding': 'gzip, br' } });
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(res.headers.get('vary')).toMatch(/accept-encoding/i);
    const zipped = Buffer.from(await res.arrayBuffer());
    expect(zipped.length).toBeLessThan(plain.text.length / 4);
    expect((await import('node:zlib')).gunzipSync(zipped).toString()).toBe(plain.text);
    const etag = res.headers.get('etag') as string;
    expect(etag).toBe(`W/${plain.headers.get('etag')}`);
    expect((await app.request('/status/public', { headers: { host: 'status.example', 'accept-encoding': 'gzip', 'if-none-match': etag } })).status).toBe(304);
  });

  it('leaks nothing: no label value, no log line, no host outside its groups, no member hostname', async () => {
    const bodies = await Promise.all(['/status/public', '/status/public.json', '/badge/public/web.svg', '/badge/public/web.json', '/badge/public/database.svg', '/badge/public/database.json'].map((p) => get(p)));
    for (const b of bodies) {
      expect(b.status).toBe(200);
      for (const secret of [SECRET_LABEL, 'sk_live', LOG_LINE, '4111111111111111', 'LEAKCANARY', OUTSIDER, 'vault', 'corp.example', 'stripe']) {
        expect(b.text).not.toContain(secret);
      }
      expect(b.text).not.toMatch(/role=(web|db|vault)/);
    }
  });

  it('answers an unknown page, group or malformed name with a plain 404 that says nothing', async () => {
    for (const path of ['/status/nope', '/status/nope.json', '/status/Public', '/status/..%2Fpublic', '/badge/public/nope.svg', '/badge/nope/web.svg', '/badge/public/web.png', '/badge/public/web']) {
      const r = await get(path);
      expect({ path, status: r.status, body: r.text, type: r.headers.get('content-type') }).toEqual({ path, status: 404, body: 'Not found\n', type: 'text/plain; charset=utf-8' });
    }
  });

  it('writes one item per group per day when the report rolls the day, and shows it as a bar', async () => {
    const yesterday = dayOf(world.now);
    world.now += 86_400_000;
    await runReport({ ...reportDeps(root), alerts: { publishReport: async () => undefined } }, world.now, 24, false);
    const days = await statusPageStore(root).days('public', yesterday, yesterday);
    expect(days.map((d) => d.group).sort()).toEqual(['database', 'web']);
    const web = days.find((d) => d.group === 'web');
    expect((web?.upMs ?? 0) / (web?.totalMs ?? 1)).toBeLessThan(1);
    const v = JSON.parse((await get('/status/public.json')).text) as Json;
    expect(v.groups[0]?.bars.at(-2)?.day).toBe(yesterday);
    expect(v.groups[0]?.bars.at(-2)?.availability).toBe(Math.floor(((web?.upMs ?? 0) / (web?.totalMs ?? 1)) * 10_000) / 100);
  });

  it('documents the public routes in the OpenAPI document, as needing no key', async () => {
    const key = (await import('../../lib/adapters/dynamodb/api-keys')).ApiKeyStore;
    const token = (await new key(cloud.clients.ddb, cloud.names.apiKeysTable).create('read', 'doc reader', world.now)).token;
    const doc = JSON.parse((await get('/api/v1/openapi.json', { authorization: `Bearer ${token}` })).text) as { paths: Record<string, { get?: { security?: unknown[] } }> };
    const open = Object.entries(doc.paths).filter(([path]) => !path.startsWith('/api/'));
    expect(open.map(([path, ops]) => [path, ops.get?.security])).toEqual([
      ['/status/{slug}', []], ['/status/{slug}.json', []], ['/badge/{slug}/{group}.svg', []], ['/badge/{slug}/{group}.json', []],
    ]);
  });

  it('shows hostnames only on a page that opts in, and is gone once removed', async () => {
    expect((await dts('status-pages', 'add', 'ops', '--title', 'Ops', '--group', 'Web=role=web', '--show-hosts')).code).toBe(0);
    const v = JSON.parse((await get('/status/ops.json')).text) as Json;
    expect(v.groups[0]?.hosts).toEqual([{ name: 'web-1.corp.example', up: false }, { name: 'web-2.corp.example', up: true }]);
    expect(JSON.stringify(v)).not.toContain(SECRET_LABEL);
    const shown = JSON.parse((await dts('status-pages', 'show', 'ops', '--json')).out) as { groups: { labels: Record<string, string> }[] };
    expect(shown.groups[0]?.labels).toEqual({ role: 'web' });
    expect((await dts('status-pages', 'remove', 'ops')).code).toBe(0);
    expect((await get('/status/ops')).status).toBe(404);
    expect((await dts('status-pages', 'show', 'ops')).code).toBe(3);
  });
});
