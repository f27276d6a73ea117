import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * `dts run NAME -- command` as a process, with no dts to reach (a queue URL on a closed port):
 * the command runs anyway, its output passes through, its exit status is dts run's, and a
 * signal sent to dts run reaches it.
 */
const BIN = path.join(import.meta.dirname, '..', '..', 'lib', 'cli', 'bin.ts');
const UNREACHABLE = {
  DTS_HEARTBEATS_QUEUE_URL: 'http://127.0.0.1:9/000000000000/nowhere', AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', AWS_MAX_ATTEMPTS: '1',
};

function dtsRun(args: string[], onOut?: (out: string, pid: number) => void): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, ['--import', 'tsx', BIN, 'run', ...args], { env: { ...process.env, ...UNREACHABLE }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      onOut?.(out, c.pid as number);
    });
    c.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    c.on('close', (code) => resolve({ code, out, err }));
  });
}

describe('dts run', () => {
  it('keeps the command\'s exit status and output, and warns on stderr when dts cannot be reached', async () => {
    const r = await dtsRun(['job', '--', 'sh', '-c', 'echo boom; echo oops >&2; exit 3']);
    expect(r.code).toBe(3);
    expect(r.out).toBe('boom\n');
    expect(r.err).toContain('oops\n');
    expect(r.err).toMatch(/dts run: could not signal check job: .*; the command runs anyway/);
  }, 60_000);

  it('says 127 for a command that does not exist, as a shell does', async () => {
    expect((await dtsRun(['job', '--', '/no/such/command'])).code).toBe(127);
  }, 60_000);

  it('forwards SIGTERM to the command, and exits with what the command made of it', async () => {
    let sent = false;
    const r = await dtsRun(['job', '--', 'sh', '-c', 'trap "echo got TERM; exit 7" TERM; echo ready; while :; do sleep 0.1; done'], (out, pid) => {
      // To dts run, not the command: it must pass the signal on.
      if (!sent && out.includes('ready')) {
        sent = true;
        process.kill(pid, 'SIGTERM');
      }
    });
    expect(r.out).toBe('ready\ngot TERM\n');
    expect(r.code).toBe(7);
  }, 60_000);
});
