import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeContext } from '../../lib/cli/context';
import type { Io } from '../../lib/cli/io';
import { main } from '../../lib/cli/main';
import { hostRmCommand } from '../../lib/cli/commands/host-rm';
import { reportCommand } from '../../lib/cli/commands/report';
import { silenceCommand } from '../../lib/cli/commands/silence';
import { tableName, World } from '../../tools/harness/day-world';
import { startTestCloud, type TestCloud } from '../../tools/harness/cloud';

/** The operator commands of the alert lifecycle, against the embedded cloud. */
let cloud: TestCloud;
beforeAll(async () => {
  cloud = await startTestCloud();
  // The SDK reads the per-service endpoints (AWS_ENDPOINT_URL_DYNAMODB, …) from the process.
  Object.assign(process.env, cloud.env);
});
afterAll(async () => cloud?.stop());

function io(): Io & { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return {
    out: (t) => { out += t; },
    err: (t) => { err += t; },
    env: { ...cloud.env, USER: 'ops' },
    isTTY: false,
    stdout: () => out,
    stderr: () => err,
  };
}

async function run<T>(command: (ctx: ReturnType<typeof makeContext>) => Promise<T>) {
  const i = io();
  const ctx = makeContext({}, i);
  try {
    const code = await command(ctx);
    return { code, out: i.stdout(), err: i.stderr() };
  } finally {
    ctx.close();
  }
}

describe('dts silence', () => {
  it('creates a silence for a label value, lists it, and ends it', async () => {
    const made = await run((ctx) => silenceCommand(ctx, 'role=db', { for: '2h', reason: 'failover drill', json: true }));
    const silence = JSON.parse(made.out);
    expect(silence).toMatchObject({ target: { label: 'role', value: 'db' }, reason: 'failover drill', createdBy: 'ops' });
    expect(silence.endsAt - silence.startsAt).toBe(2 * 3_600_000);

    const listed = await run((ctx) => silenceCommand(ctx, undefined, { list: true }));
    expect(listed.out).toMatch(new RegExp(`${silence.id}\\s+role=db\\s+in force\\s+in 2h\\s+failover drill\\s+ops`));

    expect((await run((ctx) => silenceCommand(ctx, undefined, { end: silence.id }))).out).toMatch(/^ended silence/);
    expect((await run((ctx) => silenceCommand(ctx, undefined, { list: true }))).err).toBe('no silences in force or planned\n');
    expect((await run((ctx) => silenceCommand(ctx, undefined, { list: true, all: true }))).out).toMatch(/ended/);
    await expect(run((ctx) => silenceCommand(ctx, undefined, { end: silence.id }))).rejects.toMatchObject({ exitCode: 3 });
  });

  it('refuses a silence without a duration or a reason, or with two modes at once', async () => {
    await expect(run((ctx) => silenceCommand(ctx, 'web-1', { reason: 'x' }))).rejects.toMatchObject({ exitCode: 2, message: /--for/ });
    await expect(run((ctx) => silenceCommand(ctx, 'web-1', { for: '1h' }))).rejects.toMatchObject({ exitCode: 2, message: /--reason/ });
    await expect(run((ctx) => silenceCommand(ctx, 'web-1', { for: 'soon', reason: 'x' }))).rejects.toMatchObject({ exitCode: 2 });
    await expect(run((ctx) => silenceCommand(ctx, 'web-1', { list: true }))).rejects.toMatchObject({ exitCode: 2 });
  });

  it('takes a check, an app\'s and a log rule\'s alerts as targets, as docs/SEMANTICS.md shows them', async () => {
    for (const [target, stored] of [['check:nightly-backup', { hostname: 'check:nightly-backup' }], ['app:web', { app: 'web' }], ['rule:web-errors', { rule: 'web-errors' }]] as const) {
      const made = JSON.parse((await run((ctx) => silenceCommand(ctx, target, { for: '1h', reason: 'docs', json: true }))).out) as { id: string; target: unknown };
      expect(made.target, target).toEqual(stored);
      await run((ctx) => silenceCommand(ctx, undefined, { end: made.id }));
    }
  });
});

describe('dts host rm', () => {
  it('forgets a host, and says when there is none', async () => {
    const w = new World(cloud, Date.now());
    await w.beat('gone-1');
    expect((await run((ctx) => hostRmCommand(ctx, 'gone-1', {}))).out).toMatch(/^forgot host gone-1/);
    expect(await w.hosts.get('gone-1')).toBeUndefined();
    await expect(run((ctx) => hostRmCommand(ctx, 'gone-1', {}))).rejects.toMatchObject({ exitCode: 3 });
  });
});

describe('dts report', () => {
  it('says there is none yet, makes one with --now, then shows the latest in each format', async () => {
    await expect(run((ctx) => reportCommand(ctx, { format: 'md' }))).rejects.toMatchObject({ exitCode: 3, message: /dts report --now/ });

    await new World(cloud, Date.now()).beat('cli-report-1');
    const made = await run((ctx) => reportCommand(ctx, { now: true, format: 'md', publish: false }));
    expect(made.out).toMatch(/^# dts fleet report /);
    expect((await run((ctx) => reportCommand(ctx, { format: 'md' }))).out).toBe(made.out);
    expect((await run((ctx) => reportCommand(ctx, { format: 'html' }))).out).toMatch(/^<!doctype html>/);
    const json = JSON.parse((await run((ctx) => reportCommand(ctx, { format: 'json' }))).out);
    expect(json).toHaveProperty('availability');
    expect(made.out).toContain(`partition REPORT#${json.id}`);
    // --detail: every row, one JSON object a line, each naming its section.
    const rows = (await run((ctx) => reportCommand(ctx, { format: 'md', detail: true }))).out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(json.hosts.total).toBeGreaterThan(0);
    expect(rows.filter((r) => r.section === 'hosts')).toHaveLength(json.hosts.total);
    expect(rows.find((r) => r.hostname === 'cli-report-1')).toMatchObject({ section: 'hosts', state: 'new' });
    for (const r of rows) expect(['hosts', 'incidents', 'apps']).toContain(r.section);
    await expect(run((ctx) => reportCommand(ctx, { format: 'pdf' }))).rejects.toMatchObject({ exitCode: 2 });
    expect(tableName(cloud, 'reports')).toMatch(/-reports$/);
  });
});

describe('through the dts command line', () => {
  async function dts(argv: string[]) {
    const i = io();
    const code = await main(argv, i);
    return { code, out: i.stdout(), err: i.stderr() };
  }

  it('wires silence, report and host rm, with their exit codes', async () => {
    const made = await dts(['silence', 'cli-1', '--for', '30m', '--reason', 'reboot', '--json']);
    expect(made.code).toBe(0);
    const { id } = JSON.parse(made.out) as { id: string };
    expect((await dts(['silence', '--list'])).out).toContain(id);
    expect((await dts(['silence', '--end', id])).code).toBe(0);
    expect((await dts(['silence', 'cli-1', '--reason', 'x'])).code).toBe(2);

    expect((await dts(['report', '--now', '--no-publish', '--format', 'json'])).code).toBe(0);
    expect((await dts(['report', '--format', 'html'])).out).toMatch(/^<!doctype html>/);
    expect((await dts(['report', '--format', 'pdf'])).code).toBe(2);

    const w = new World(cloud, Date.now());
    await w.beat('cli-rm-1');
    expect((await dts(['host', 'cli-rm-1', '--json'])).code).toBe(0);
    expect((await dts(['host', 'rm', 'cli-rm-1'])).out).toMatch(/^forgot host cli-rm-1/);
    expect((await dts(['host', 'rm', 'cli-rm-1'])).code).toBe(3);
  });
});
