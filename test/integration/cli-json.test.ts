/**
 * "Every command takes --json": the command tree is walked, and every command that reads or
 * creates something is run with --json against the embedded cloud; what it prints must parse as
 * JSON (one document, or one per line for the streaming ones). A command added to the tree
 * without a place in this table fails the walk, so it cannot ship without being checked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { buildProgram } from '../../lib/cli/main';
import { World } from '../../tools/harness/day-world';
import { startTestCloud, type TestCloud } from '../../tools/harness/cloud';
import { cliIn } from '../support/cli';

let cloud: TestCloud;
let world: World;
beforeAll(async () => {
  cloud = await startTestCloud();
  Object.assign(process.env, cloud.env);
  world = new World(cloud, Date.now() - 10 * 60_000);
  await world.beat('web-1', { interval: 60 });
  await world.log('api', 'web-1', 40, 2);
});
afterAll(async () => cloud?.stop());

const dts = cliIn(() => cloud.env);

/** Commands that only send or serve, with why they have no --json output to check. */
const SENDERS: Record<string, string> = {
  agent: 'runs until stopped and prints status lines on stderr',
  relay: 'a server: runs until stopped',
  log: 'reads standard input and sends it',
  doctor: 'a deployment check with a real round trip through the scheduled functions (test/e2e/doctor.test.ts checks its --json)',
  'channels test': 'sends a real alert to an outside service',
  run: "runs a job and sends its signals; what it prints is the job's own output (test/unit/cli-run.test.ts)",
};

/** Every other command: the arguments that make it read or create something. */
const RUNS: Record<string, string[][]> = {
  hosts: [[]],
  host: [['web-1']],
  logs: [['--app', 'api']],
  notifications: [[]],
  diagnose: [[], ['--now']],
  silence: [['web-1', '--for', '1h', '--reason', 'drill'], ['--list']],
  report: [['--now', '--no-publish'], []],
  channels: [[]],
  'channels list': [[]],
  'channels add': [['webhook', '--name', 'hook', '--url', 'http://127.0.0.1:9/x']],
  'channels remove': [['hook']],
  'status-pages': [[]],
  'status-pages add': [['public', '--title', 'Acme', '--group', 'Web=role=web']],
  'status-pages list': [[]],
  'status-pages show': [['public']],
  'status-pages remove': [['public']],
  'keys create': [['--role', 'read', '--name', 'wall']],
  'keys list': [[]],
  'keys revoke': [],
  'host rm': [],
  'checks add': [['nightly', '--every', '1d', '--grace', '1h', '--url', 'http://127.0.0.1:9']],
  checks: [[]],
  'checks list': [[]],
  'checks show': [['nightly']],
  'checks pause': [['nightly']],
  'checks resume': [['nightly']],
  'checks remove': [['nightly']],
  'rules add': [['web-errors', '--app', 'web', '--level', 'error', '--count', '5', '--within', '1m']],
  rules: [[]],
  'rules list': [[]],
  'rules show': [['web-errors']],
  'rules remove': [['web-errors']],
};

function commandPaths(cmd: Command, prefix: string[] = []): string[] {
  return cmd.commands.flatMap((c) => {
    const path = [...prefix, c.name()];
    return [path.join(' '), ...commandPaths(c, path)];
  });
}

function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    return lines.length > 0 && lines.every((l) => {
      try {
        JSON.parse(l);
        return true;
      } catch {
        return false;
      }
    });
  }
}

describe('--json on every command', () => {
  const program = buildProgram({ out: () => undefined, err: () => undefined, env: {}, isTTY: false }, async () => undefined);
  const paths = commandPaths(program).filter((p) => p !== 'keys');

  it('every command in the tree is either checked here or a sender with a reason', () => {
    const unplaced = paths.filter((p) => !(p in SENDERS) && !(p in RUNS));
    expect(unplaced).toEqual([]);
  });

  it.each(Object.entries(RUNS).flatMap(([path, runs]) => runs.map((args) => [path, args] as const)))('%s %j prints parseable JSON', async (path, args) => {
    const r = await dts(...path.split(' '), ...args, '--json');
    expect(r.code, r.err).toBe(0);
    expect(parsesAsJson(r.out), `dts ${path} ${args.join(' ')} --json printed:\n${r.out}`).toBe(true);
  });

  it('keys create --json gives the token and its record, revoke and host rm answer in JSON', async () => {
    const made = await dts('keys', 'create', '--role', 'write', '--json');
    const key = JSON.parse(made.out) as { token: string; keyId: string; role: string };
    expect(key).toMatchObject({ role: 'write' });
    expect(key.token).toMatch(/^dts_[0-9a-f]{12}_/);
    const revoked = await dts('keys', 'revoke', key.keyId, '--json');
    expect(JSON.parse(revoked.out)).toMatchObject({ revoked: true });
    await world.beat('gone-1', { interval: 60 });
    const removed = await dts('host', 'rm', 'gone-1', '--json');
    expect(removed.code, removed.err).toBe(0);
    expect(parsesAsJson(removed.out), removed.out).toBe(true);
  });
});

describe('dts diagnose --now --verbose', () => {
  it('shows the pass even when nothing changed (such a pass logs at DEBUG, quiet in the functions)', async () => {
    await dts('diagnose', '--now');
    const r = await dts('diagnose', '--now', '--verbose');
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/^diagnose pass \{.*"transitions":\{\}/m);
  });
});
