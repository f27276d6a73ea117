/**
 * `dts relay` end to end, on the local cloud with diagnose every second: a host with nothing but
 * an HTTP client beats through the relay and is alive, so is the relay; the relay stops and both
 * die. 100 hosts behind one relay cost a handful of SQS requests, counted by the relay's SDK.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startCloudProcess, type CloudProcess } from './support/local-cloud-process';

const exec = promisify(execFile);
const BIN = path.join(ROOT, 'bin', 'dts.js');
const TOKEN = 'e2e-relay-token-0123456789';
const RELAY = 'e2e-relay-1';
let cloud: CloudProcess;
let dataDir: string;
let relay: ChildProcess;
let url: string;
let relayOutput = '';

function env(): NodeJS.ProcessEnv {
  const inherited = Object.entries(process.env).filter(([k]) => !k.startsWith('DTS_') && k !== 'AWS_PROFILE');
  return { ...Object.fromEntries(inherited), AWS_ENDPOINT_URL: cloud.endpoint, NO_COLOR: '1', DTS_RELAY_TOKEN: TOKEN };
}

async function hosts(): Promise<Record<string, string>> {
  const { stdout } = await exec(process.execPath, [BIN, 'hosts', '--json'], { env: env(), timeout: 60_000 });
  return Object.fromEntries((JSON.parse(stdout) as { hostname: string; state: string }[]).map((h) => [h.hostname, h.state]));
}

const post = (route: string, token = TOKEN, body?: string) =>
  fetch(`${url}${route}`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, ...(body !== undefined ? { body } : {}) });

async function stats(): Promise<{ received: number; forwarded: { requests: number; sent: number } }> {
  return (await fetch(`${url}/stats`, { headers: { authorization: `Bearer ${TOKEN}` } })).json() as never;
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'dts-relay-e2e-'));
  cloud = await startCloudProcess({ dataDir, inMemory: true, tick: 1, stage: 'dev' });
  relay = spawn(process.execPath, [BIN, 'relay', '--listen', '127.0.0.1:0', '--flush', '0.5', '--interval', '5', '--hostname', RELAY], {
    env: env(), stdio: ['ignore', 'ignore', 'pipe'],
  });
  url = await new Promise<string>((resolve, reject) => {
    relay.stderr?.on('data', (d: Buffer) => {
      relayOutput += d.toString();
      const found = /listening on (http:\/\/[\d.]+:\d+)/.exec(relayOutput)?.[1];
      if (found) resolve(found);
    });
    relay.on('exit', (code) => reject(new Error(`the relay exited (${code}):\n${relayOutput}`)));
  });
}, 180_000);

afterAll(async () => {
  if (process.env.DTS_E2E_DEBUG) console.log(relayOutput, relay?.exitCode, relay?.signalCode);
  if (relay && relay.exitCode === null) relay.kill('SIGKILL');
  await cloud?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('dts relay', () => {
  it('refuses a request without the token, and a beat without a hostname, saying why', async () => {
    const anonymous = await fetch(`${url}/beat?hostname=x`, { method: 'POST' });
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: string }).error).toMatch(/relay token/);
    expect((await post('/beat?hostname=x', 'wrong-token-wrong-token')).status).toBe(401);
    const nameless = await post('/beat');
    expect(nameless.status).toBe(400);
    expect(((await nameless.json()) as { error: string }).error).toMatch(/hostname/);
  });

  it('forwards 100 hosts\' beats in one SQS request per flush, and every host is recorded', async () => {
    // 100 hosts' beats fit one HeartbeatBatch, so each flush is one request: 60 s beats held 20 s
    // (the default --flush) make 3 a minute (docs/RELAY.md). Here the flush is 0.5 s, and the bound
    // is counted over however long this machine takes.
    const before = await stats();
    const t0 = Date.now();
    const replies = await Promise.all(Array.from({ length: 100 }, (_, i) => post(`/beat?hostname=fleet-${String(i).padStart(3, '0')}&interval=60`)));
    expect(replies.map((r) => r.status)).toEqual(Array(100).fill(202));
    await expect.poll(async () => (await stats()).forwarded.sent - before.forwarded.sent, { timeout: 30_000, interval: 250 }).toBeGreaterThanOrEqual(100);
    const after = await stats();
    const flushes = Math.floor((Date.now() - t0) / 500) + 2;
    expect(after.received - before.received).toBeGreaterThanOrEqual(100);
    expect(after.forwarded.requests - before.forwarded.requests).toBeLessThanOrEqual(flushes);
    await expect.poll(async () => Object.keys(await hosts()).filter((h) => h.startsWith('fleet-')).length, { timeout: 60_000, interval: 1000 }).toBe(100);
  }, 120_000);

  it('a host that only has curl is alive through the relay, and so is the relay', async () => {
    const beating = setInterval(() => void post('/beat?hostname=curl-only-1&interval=5').catch(() => {}), 500);
    try {
      await expect.poll(async () => {
        const h = await hosts();
        return [h['curl-only-1'], h[RELAY]];
      }, { timeout: 60_000, interval: 500 }).toEqual(['alive', 'alive']);
    } finally {
      clearInterval(beating);
    }
  }, 120_000);

  it('when the relay stops, the relay and the hosts behind it die', async () => {
    const exited = new Promise<number | null>((resolve) => relay.on('exit', resolve));
    relay.kill('SIGTERM');
    expect(await exited, relayOutput).toBe(0);
    expect(relayOutput).toMatch(/stopped: \d+ beat\(s\) forwarded/);
    await expect.poll(async () => {
      const h = await hosts();
      return [h['curl-only-1'], h[RELAY]];
    }, { timeout: 60_000, interval: 1000 }).toEqual(['dead', 'dead']);
  }, 120_000);
});
