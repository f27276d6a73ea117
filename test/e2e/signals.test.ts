/**
 * `npm start` under a supervisor: a signal to any process of its tree, or the death of npm,
 * stops the whole cloud cleanly (the port and the data directory's lock are released, nothing
 * is left running), and a stale lock left by a crashed run is taken over with a notice.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT } from './support/local-cloud-process';
import { EXTERNAL_ENDPOINT } from './support/target';
import { eventually } from './support/steps';

interface NpmStart { npm: ChildProcess; node: number; port: number; dataDir: string; output: () => string; exited: Promise<number | null> }
const started: NpmStart[] = [];

async function npmStart(dataDir: string): Promise<NpmStart> {
  const npm = spawn('npm', ['start', '--', '--port', '0', '--data-dir', dataDir, '--stage', 'signals', '--tick', '3600', '--quiet'], {
    // The SDK's switch for its Node-version warning is left unset, as a new user's shell has it.
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: withoutSdkSwitch(process.env),
  });
  let text = '';
  npm.stdout.on('data', (d: Buffer) => { text += d.toString(); });
  npm.stderr.on('data', (d: Buffer) => { text += d.toString(); });
  const exited = new Promise<number | null>((resolve) => npm.on('exit', (code) => resolve(code)));
  await eventually(async () => text, (t) => /ready in [\d.]+ s/.test(t) || npm.exitCode !== null, 120_000, 100);
  const port = Number(/endpoint\s+http:\/\/[\d.]+:(\d+)/.exec(text)?.[1]);
  if (!port) throw new Error(`npm start did not get ready:\n${text}`);
  const [node = 0] = await childrenOf(npm.pid as number);
  const s = { npm, node, port, dataDir, output: () => text, exited };
  started.push(s);
  return s;
}

function withoutSdkSwitch(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: _set, ...rest } = env;
  return rest;
}

async function childrenOf(pid: number): Promise<number[]> {
  const ps = spawn('ps', ['-o', 'pid=', '--ppid', String(pid)]);
  let out = '';
  ps.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  await new Promise((r) => ps.on('exit', r));
  return out.split('\n').map((l) => Number(l.trim())).filter((n) => n > 0);
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const portInUse = (port: number): Promise<boolean> => new Promise((resolve) => {
  const socket = connect(port, '127.0.0.1');
  socket.once('connect', () => { socket.destroy(); resolve(true); });
  socket.once('error', () => resolve(false));
});

afterEach(async () => {
  for (const s of started.splice(0)) {
    for (const pid of [s.node, s.npm.pid]) if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
    await rm(s.dataDir, { recursive: true, force: true });
  }
});

describe.skipIf(EXTERNAL_ENDPOINT !== undefined)('npm start under a supervisor (its own process only)', () => {
  it('stops everything when npm gets SIGTERM: no process left, the port and the lock released', async () => {
    const s = await npmStart(await mkdtemp(path.join(tmpdir(), 'dts-e2e-signals-')));
    expect(await childrenOf(s.npm.pid as number), 'npm runs node itself, with no shell or tsx between').toEqual([s.node]);
    expect(existsSync(path.join(s.dataDir, 'cloud.pid'))).toBe(true);
    s.npm.kill('SIGTERM');
    await s.exited;
    await eventually(async () => alive(s.node), (a) => !a, 20_000, 100);
    expect(alive(s.node), 'the cloud (node) is gone').toBe(false);
    expect(await portInUse(s.port), 'the port is free').toBe(false);
    expect(existsSync(path.join(s.dataDir, 'cloud.pid')), 'the lock is released').toBe(false);
    expect(s.output()).toMatch(/SIGTERM: stopping schedules, then pollers/);
    expect(s.output()).toMatch(/stopped; \d+ queued message\(s\) saved/);
    // No 8-line SDK notice about Node 22 on a Node 20 start (issue: "no command prints it").
    expect(s.output()).not.toMatch(/NodeVersionSupportWarning/);
  }, 150_000);

  it('stops cleanly when npm dies without passing a signal on (kill -9 of npm)', async () => {
    const s = await npmStart(await mkdtemp(path.join(tmpdir(), 'dts-e2e-signals-')));
    s.npm.kill('SIGKILL');
    await eventually(async () => alive(s.node), (a) => !a, 30_000, 200);
    expect(alive(s.node)).toBe(false);
    expect(s.output()).toMatch(/parent process \d+ exited: stopping schedules, then pollers/);
    expect(s.output()).toMatch(/stopped; \d+ queued message\(s\) saved/);
    expect(await portInUse(s.port)).toBe(false);
    expect(existsSync(path.join(s.dataDir, 'cloud.pid'))).toBe(false);
  }, 150_000);

  it('takes over the stale lock of a crashed run, with a notice', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'dts-e2e-signals-'));
    const gone = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => gone.on('exit', r));
    await writeFile(path.join(dataDir, 'cloud.pid'), String(gone.pid));
    const s = await npmStart(dataDir);
    expect(s.output()).toContain(`was locked by pid ${gone.pid}, which is gone (a crashed run); the lock was taken over`);
    s.npm.kill('SIGINT');
    await s.exited;
    await eventually(async () => alive(s.node), (a) => !a, 20_000, 100);
    expect(alive(s.node)).toBe(false);
  }, 150_000);
});
