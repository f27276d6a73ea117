import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyStore } from '../../lib/adapters/dynamodb/api-keys';
import { World } from '../../tools/harness/day-world';
import { startTestCloud, type TestCloud } from '../../tools/harness/cloud';
import { cliIn } from '../support/cli';

/** The console's CLI additions (keys, fleet-wide logs, filters, hints, marks) against the embedded cloud. */
let cloud: TestCloud;
let world: World;
beforeAll(async () => {
  cloud = await startTestCloud();
  Object.assign(process.env, cloud.env);
  world = new World(cloud, Date.now() - 10 * 60_000);
});
afterAll(async () => cloud?.stop());

const dts = cliIn(() => cloud.env);

describe('dts keys', () => {
  it('creates a key shown once, verifies it, lists it without its secret, and revokes it', async () => {
    const made = await dts('keys', 'create', '--role', 'read', '--name', 'wall screen');
    expect(made.code, made.err).toBe(0);
    const token = made.out.trim();
    expect(token).toMatch(/^dts_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    const keys = new ApiKeyStore(cloud.clients.ddb, cloud.names.apiKeysTable);
    expect(await keys.verify(token)).toMatchObject({ role: 'read', name: 'wall screen' });
    const id = token.split('_')[1] as string;
    const listed = await dts('keys', 'list');
    expect(listed.out).toMatch(new RegExp(`${id}\\s+read\\s+wall screen`));
    // The secret is what follows the id: base64url, so it may hold, or begin with, an underscore itself.
    const secret = token.slice('dts_'.length + id.length + 1);
    expect(secret).toHaveLength(43);
    expect(listed.out).not.toContain(secret);
    expect((await dts('keys', 'revoke', id)).code).toBe(0);
    expect(await keys.verify(token)).toBeUndefined();
    expect((await dts('keys', 'revoke', id)).code).toBe(3);
    expect((await dts('keys', 'create', '--role', 'admin')).code).toBe(2);
  });
});

describe('fleet-wide logs', () => {
  beforeAll(async () => {
    await world.log('api', 'web-x', 40, 3);
    await world.log('api', 'web-x', 20, 3);
    world.now += 1000;
    await world.log('cron', 'batch-y', 50, 2);
  });

  it('dts logs --level error reads every app and host, with a cursor hint when there is more', async () => {
    const first = await dts('logs', '--level', 'error', '--since', '1h', '--limit', '3');
    expect(first.code, first.err).toBe(0);
    expect(first.out.trim().split('\n')).toHaveLength(3);
    const cursor = /more: use --cursor (\S+)/.exec(first.err)?.[1];
    expect(cursor).toBeDefined();
    const rest = await dts('logs', '--level', 'error', '--since', '1h', '--limit', '3', '--cursor', cursor as string);
    expect(rest.out.trim().split('\n')).toHaveLength(2);
    expect(rest.err).not.toMatch(/more:/);
    const lines = [...first.out.trim().split('\n'), ...rest.out.trim().split('\n')];
    expect(lines.filter((l) => l.includes('CRITICAL'))).toHaveLength(2);
    expect(lines.every((l) => !l.includes(' INFO '))).toBe(true);
    expect(new Set(lines)).toHaveProperty('size', 5);
  });

  it('--grep filters the text; below error the fleet-wide view asks for an app or host', async () => {
    const grep = await dts('logs', '--level', 'error', '--since', '1h', '--grep', 'cron record 1');
    expect(grep.out.trim().split('\n')).toEqual([expect.stringMatching(/CRITICAL .*\[cron@batch-y .*\] cron record 1$/)]);
    const low = await dts('logs', '--since', '1h');
    expect(low.code).toBe(2);
    expect(low.err).toMatch(/--level error/);
    expect((await dts('logs', '--level', 'error', '--cursor', 'garbage')).code).toBe(2);
  });
});

describe('hosts and notifications', () => {
  beforeAll(async () => {
    world.set('lab-1', { interval: 60, labels: { role: 'lab' } });
    world.set('lab-2', { interval: 60, labels: { role: 'lab' } });
    world.set('prod-1', { interval: 60, labels: { role: 'prod' } });
    for (const h of ['lab-1', 'lab-2', 'prod-1']) await world.beat(h);
    await world.silence({ hostname: 'lab-2' }, 3_600_000, 'rebuild');
    world.now += 4 * 60_000;
    await world.beat('lab-1');
    await world.beat('prod-1');
    await world.diagnose();
  });

  it('dts hosts --label filters, marks silenced hosts, shows labels and a summary line', async () => {
    const lab = await dts('hosts', '--label', 'role=lab');
    expect(lab.code, lab.err).toBe(0);
    const lines = lab.out.trim().split('\n');
    expect(lines[0]).toMatch(/LABELS$/);
    expect(lines.find((l) => l.startsWith('lab-2'))).toMatch(/dead \(silenced\).*role=lab/);
    expect(lines.some((l) => l.startsWith('prod-1'))).toBe(false);
    expect(lines[lines.length - 1]).toMatch(/^2 hosts: 1 alive, 1 dead \(1 silenced\)/);
    expect((await dts('hosts', '--label', 'role')).code).toBe(2);
  });

  it('dts notifications --kind, with held alerts marked', async () => {
    const downs = await dts('notifications', '--kind', 'host-down', '--since', '1h');
    expect(downs.code, downs.err).toBe(0);
    const line = downs.out.trim().split('\n').find((l) => l.includes('lab-2'));
    expect(line).toMatch(/host-down: .*\[held: silence:[0-9a-f]+\]$/);
    expect(downs.out.split('\n').filter(Boolean).every((l) => l.includes('host-down'))).toBe(true);
    expect(downs.err).toMatch(/recorded but not sent/);
  });
});
