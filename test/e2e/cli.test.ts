/**
 * The `dts` command end to end: the real bin, as a child process, against the local cloud
 * (tools/local) with its functions ingesting what the agent and `dts log` send.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually as askUntil } from './support/steps';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = path.join(ROOT, 'bin', 'dts.js');
let local: ChildProcess | undefined;
let dataDir: string;
const cloud = { endpoint: '' };
const output: string[] = [];

/** `npm start` as an operator runs it (on a free port, in memory, stage dev); resolves when it is ready. */
beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'dts-cli-e2e-'));
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'tools', 'local', 'main.ts'), '--port', '0', '--in-memory', '--stage', 'dev', '--data-dir', dataDir], {
    cwd: ROOT, env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  local = child;
  cloud.endpoint = await new Promise<string>((resolve, reject) => {
    let text = '';
    const seen = (d: Buffer): void => {
      text += d.toString();
      output.push(d.toString());
      const endpoint = /endpoint\s+(http:\/\/[\d.]+:\d+)/.exec(text)?.[1];
      if (endpoint && /ready in/.test(text)) resolve(endpoint);
    };
    child.stdout.on('data', seen);
    child.stderr.on('data', seen);
    child.on('exit', (code) => reject(new Error(`the local cloud exited (${code}) before it was ready:\n${text}`)));
  });
}, 180_000);

afterAll(async () => {
  if (local && local.exitCode === null) {
    const exited = new Promise((resolve) => local?.on('exit', resolve));
    local.kill('SIGINT');
    await exited;
  }
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

interface Run { code: number; stdout: string; stderr: string }

/** `dts ...args` from a directory that is not the repository, with only the endpoint configured. */
function dts(args: string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((resolve) => {
    // Only the endpoint: everything else is discovered, as on a fresh machine.
    const inherited = Object.entries(process.env).filter(([k]) => !k.startsWith('DTS_') && k !== 'AWS_PROFILE');
    const env = { ...Object.fromEntries(inherited), AWS_ENDPOINT_URL: cloud.endpoint, NO_COLOR: '1', ...options.env };
    const child = execFile(process.execPath, [BIN, ...args], { cwd: tmpdir(), env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

const json = <T>(r: Run): T => {
  if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
};

/** Ask until the pipeline (queue → function → table) has done its work; a wait that runs out fails. */
const eventually = <T>(ask: () => Promise<T>, ok: (t: T) => boolean, timeoutMs = 30_000): Promise<T> => askUntil(ask, ok, timeoutMs, 500);

const me = hostname();
const ghost = `ghost-${process.pid}`;

describe('dts against the local cloud', () => {
  it('agent --once makes this machine appear in dts hosts', async () => {
    const once = await dts(['agent', '--once', '--label', 'role=e2e', '--json']);
    expect(once.code, once.stderr).toBe(0);
    const sent = json<{ sent: boolean; heartbeat: { cpu: { percent: number }; mem: { total: number }; disk: { mount: string } } }>(once);
    expect(sent.sent).toBe(true);
    expect(sent.heartbeat.disk.mount).toBe('/');

    type HostJson = { hostname: string; state: string; labels: Record<string, string>; cpu?: { percent: number }; mem?: { percent: number }; disk?: { mount: string }; levels: Record<string, string>; skewMs: number; overdue: boolean };
    const hosts = await eventually(async () => json<HostJson[]>(await dts(['hosts', '--json'])), (h) => h.some((x) => x.hostname === me));
    const host = hosts.find((h) => h.hostname === me);
    expect(host, output.join('\n')).toMatchObject({ state: 'new', labels: { role: 'e2e' }, disk: { mount: '/' }, overdue: false });
    expect(host?.mem?.percent).toBeGreaterThan(0);
    expect(Object.keys(host?.levels ?? {})).toEqual(['cpu', 'mem', 'disk']);
    expect(Math.abs(host?.skewMs ?? Infinity)).toBeLessThan(60_000);

    const table = await dts(['hosts']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^HOST\s+STATE\s+LAST BEAT\s+EVERY\s+CPU\s+MEM\s+DISK\s+SKEW/);
    expect(table.stdout).toContain(me);
  });

  it('echo hello | dts log --app demo shows up in dts logs --app demo', async () => {
    const sent = await dts(['log', '--app', 'demo'], { input: 'hello\n' });
    expect(sent.code, sent.stderr).toBe(0);
    const boom = await dts(['log', '--app', 'demo', '--detect-level', '--hostname', ghost], { input: 'ERROR boom\nWARNING careful\nquiet line\n' });
    expect(boom.code, boom.stderr).toBe(0);

    type RecordJson = { app: string; hostname: string; level: number; text: string; timestamp: number; id: string };
    const all = await eventually(async () => json<RecordJson[]>(await dts(['logs', '--app', 'demo', '--json'])), (r) => r.length >= 4);
    expect(all.map((r) => r.text).sort()).toEqual(['ERROR boom', 'WARNING careful', 'hello', 'quiet line']);
    // Newest first.
    expect(all.map((r) => r.timestamp)).toEqual([...all.map((r) => r.timestamp)].sort((a, b) => b - a));
    expect(all.find((r) => r.text === 'hello')).toMatchObject({ app: 'demo', hostname: me, level: 20 });

    const warnings = json<RecordJson[]>(await dts(['logs', '--app', 'demo', '--level', 'warning', '--json']));
    expect(warnings.map((r) => [r.level, r.text]).sort()).toEqual([[30, 'WARNING careful'], [40, 'ERROR boom']]);

    const byHost = json<RecordJson[]>(await dts(['logs', '--host', ghost, '--json', '--limit', '2']));
    expect(byHost).toHaveLength(2);
    expect(byHost.every((r) => r.hostname === ghost)).toBe(true);

    const text = await dts(['logs', '--app', 'demo', '--since', '15m']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`INFO +\\[demo@${me} \\d+\\.\\d{6}\\] hello`));
  });

  it('dts logs --follow prints records as they arrive', async () => {
    const follow = new Promise<Run>((resolve) => {
      const env: Record<string, string | undefined> = { ...process.env, AWS_ENDPOINT_URL: cloud.endpoint, NO_COLOR: '1' };
      const child = execFile(process.execPath, [BIN, 'logs', '--app', 'follow', '--follow', '--poll', '0.5', '--json'], { cwd: tmpdir(), env }, (error, stdout, stderr) =>
        resolve({ code: error ? 1 : 0, stdout, stderr }));
      let out = '';
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('streamed')) child.kill('SIGINT');
      });
      setTimeout(() => child.kill('SIGINT'), 40_000);
    });
    await new Promise((r) => setTimeout(r, 1500));
    expect((await dts(['log', '--app', 'follow'], { input: 'streamed\n' })).code).toBe(0);
    const r = await follow;
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { text: string });
    expect(lines.map((l) => l.text)).toEqual(['streamed']);
  });

  it('dts host NAME shows details, notifications and recent errors', async () => {
    // The ghost sent an ERROR record; give it a heartbeat so it is a host.
    expect((await dts(['agent', '--once', '--hostname', ghost, '--interval', '5', '--json'])).code).toBe(0);
    type Detail = { host: { hostname: string; interval: number }; notifications: unknown[]; errors: { text: string; level: number }[] };
    const detail = await eventually(async () => {
      const r = await dts(['host', ghost, '--json']);
      return r.code === 0 ? json<Detail>(r) : undefined;
    }, (d) => d !== undefined);
    expect(detail?.host).toMatchObject({ hostname: ghost, interval: 5 });
    expect(detail?.errors.map((e) => e.text)).toEqual(['ERROR boom']);
    expect(Array.isArray(detail?.notifications)).toBe(true);

    const text = await dts(['host', ghost]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/last beat/);
    expect(text.stdout).toMatch(/errors \(24 hours\)\n.*ERROR boom/);
  });

  it('dts diagnose --now runs a pass, and dts notifications lists what it wrote', async () => {
    const pass = await dts(['diagnose', '--now', '--json']);
    expect(pass.code, pass.stderr).toBe(0);
    const summary = json<{ examined: number; transitions: Record<string, number>; degraded: string[]; errors: number }>(pass);
    expect(summary.examined).toBeGreaterThanOrEqual(2);
    expect(summary.errors).toBe(0);

    type N = { hostname: string; kind: string; severity: string; at: number; message: string };
    const all = await eventually(async () => json<N[]>(await dts(['notifications', '--json'])), (n) => n.some((x) => x.hostname === ghost && x.kind === 'host-up'));
    // The ghost beat once, with a 5 s interval: on a busy machine the pass that announces it may
    // already be followed by its death, newest first, so its up is looked for among all of its own.
    expect(all.find((n) => n.hostname === ghost && n.kind === 'host-up')).toMatchObject({ kind: 'host-up', severity: 'info' });
    const mine = json<N[]>(await dts(['notifications', '--host', ghost, '--since', '1h', '--json']));
    expect(mine.every((n) => n.hostname === ghost)).toBe(true);
    expect(mine.length).toBeGreaterThan(0);

    const status = await dts(['diagnose', '--json']);
    expect(json<{ lastRun: number }>(status).lastRun).toBeGreaterThan(Date.now() - 600_000);
  });

  it('says what is wrong in one line, with a meaningful exit code', async () => {
    const unknown = await dts(['host', 'no-such-host']);
    expect(unknown).toMatchObject({ code: 3, stdout: '' });
    expect(unknown.stderr).toBe('dts: unknown host "no-such-host" (`dts hosts` lists the known ones)\n');

    const badDuration = await dts(['logs', '--app', 'demo', '--since', '15x']);
    expect(badDuration.code).toBe(2);
    expect(badDuration.stderr).toMatch(/^dts: bad time "15x"/);
    expect(badDuration.stderr.split('\n')).toHaveLength(2);

    const neither = await dts(['logs']);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toMatch(/--app NAME or --host NAME/);

    const badOption = await dts(['hosts', '--colour']);
    expect(badOption.code).toBe(2);
    expect(badOption.stderr).toMatch(/unknown option '--colour'/);

    const nowhere = await dts(['hosts'], { env: { AWS_ENDPOINT_URL: 'http://127.0.0.1:9' } });
    expect(nowhere.code).toBe(4);
    expect(nowhere.stderr).toMatch(/^dts: no dts backend configured and no local cloud at http:\/\/127\.0\.0\.1:9/);
    expect(nowhere.stderr).not.toMatch(/\n\s+at /);

    const noCredentials = await dts(['hosts', '--stack', 'dts-prod'], {
      env: { AWS_ENDPOINT_URL: '', AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_CONFIG_FILE: '/nonexistent', AWS_EC2_METADATA_DISABLED: 'true' },
    });
    expect(noCredentials.code).toBe(4);
    expect(noCredentials.stderr).toMatch(/^dts: no AWS credentials/);

    const help = await dts(['logs', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--follow/);
  });

  it('flags and DTS_* variables win over discovery', async () => {
    const wrong = await dts(['hosts', '--json'], { env: { DTS_HOSTS_TABLE: 'no-such-table' } });
    expect(wrong.code).toBe(4);
    expect(wrong.stderr).toMatch(/no-such-table|not found/i);
    const right = await dts(['--hosts-table', 'dts-dev-hosts', 'hosts', '--json'], { env: { DTS_HOSTS_TABLE: 'no-such-table' } });
    expect(right.code, right.stderr).toBe(0);
  });
});
