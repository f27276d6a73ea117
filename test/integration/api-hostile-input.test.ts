import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../lib/api/app';
import { apiDeps, namesFromEnv } from '../../lib/compose';
import { loadConfig } from '../../lib/config';
import { NOTIFICATION_KINDS, type Notification } from '../../lib/domain/model';
import { ApiKeyStore } from '../../lib/adapters/dynamodb/api-keys';
import { encodeCursor } from '../../lib/adapters/dynamodb/cursor';
import { World } from '../../tools/harness/day-world';
import { startTestCloud, type TestCloud } from '../../tools/harness/cloud';

/**
 * Hostile but well-formed input to the operator API, through the real SDK to the engine: values
 * longer than any key the tables can hold must be a 400 naming the problem, never a 500 from the
 * engine's ValidationException; every kind of notification the monitor records can be filtered on.
 */
let cloud: TestCloud;
let world: World;
let app: ReturnType<typeof buildApi>;
let write = '';
const LONG = 'a'.repeat(3000);

beforeAll(async () => {
  cloud = await startTestCloud();
  world = new World(cloud, Date.now() - 3_600_000);
  write = (await new ApiKeyStore(cloud.clients.ddb, cloud.names.apiKeysTable).create('write', 'probe', world.now)).token;
  app = buildApi(apiDeps({ config: loadConfig(cloud.env), clients: cloud.clients, names: namesFromEnv(cloud.env), now: () => world.now }));
});
afterAll(async () => cloud?.stop());

async function call(method: string, path: string, body?: unknown) {
  const res = await app.request(path, {
    method,
    headers: { host: 'console.example', authorization: `Bearer ${write}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: await res.json() as { error?: { code: string; message: string }; items?: Notification[] } };
}

describe('values longer than a table key', () => {
  it('answers 400, not 500, to a host name, a cursor or a silence id no key could hold', async () => {
    const answers = {
      host: await call('GET', `/api/v1/hosts/${LONG}`),
      cursor: await call('GET', `/api/v1/hosts?next=${encodeCursor(LONG)}`),
      silence: await call('DELETE', `/api/v1/silences/${LONG}`),
      notifications: await call('GET', `/api/v1/notifications?host=${LONG}`),
      logs: await call('GET', `/api/v1/logs?host=${LONG}`),
      label: await call('GET', `/api/v1/hosts?label=${LONG}=x`),
    };
    expect(Object.fromEntries(Object.entries(answers).map(([k, r]) => [k, [r.status, r.json.error?.code]]))).toEqual({
      host: [400, 'bad_request'], cursor: [400, 'bad_cursor'], silence: [400, 'bad_request'],
      notifications: [400, 'bad_request'], logs: [400, 'bad_request'], label: [400, 'bad_request'],
    });
  });

  it('refuses a silence on a host name no beat could carry, or with control characters, and stores nothing', async () => {
    const long = await call('POST', '/api/v1/silences', { target: LONG, seconds: 60, reason: 'probe' });
    expect([long.status, long.json.error?.message]).toEqual([400, 'a host name has at most 255 bytes; this one has 3000']);
    const control = await call('POST', '/api/v1/silences', { target: 'web\u00001', seconds: 60, reason: 'probe' });
    expect(control.status).toBe(400);
    const label = await call('POST', '/api/v1/silences', { target: `role=${'v'.repeat(1025)}`, seconds: 60, reason: 'probe' });
    expect(label.status).toBe(400);
    expect(await world.silences.all()).toEqual([]);
  });
});

describe('kinds', () => {
  it('filters on every kind the monitor records, the fleet notices included', async () => {
    const at = world.now - 60_000;
    await world.notifications.record({ id: 'storm-over', hostname: '@fleet', kind: 'fleet-storm-over', severity: 'info', at, message: 'over', details: {} });
    await world.notifications.record({ id: 'new-hosts', hostname: '@fleet', kind: 'fleet-new-hosts', severity: 'info', at, message: '3 new hosts', details: {} });
    const over = await call('GET', '/api/v1/notifications?kind=fleet-storm-over');
    expect([over.status, over.json.items?.map((n) => n.id)]).toEqual([200, ['storm-over']]);
    const doc = await (await app.request('/api/v1/openapi.json', { headers: { authorization: `Bearer ${write}` } })).json() as {
      paths: Record<string, { get: { parameters: { name: string; schema: { enum?: string[] } }[] } }>;
    };
    expect(doc.paths['/api/v1/notifications']?.get.parameters.find((p) => p.name === 'kind')?.schema.enum).toEqual([...NOTIFICATION_KINDS]);
  });
});
