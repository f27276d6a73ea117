/**
 * Issue 20, finding 4: ESC and BEL in a log line, a label or a message are stored as sent, and
 * must reach a terminal shown, not obeyed: no command may retitle the terminal, clear the screen
 * or plant an OSC 8 link. `--json` keeps the stored text exact.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { World } from '../../tools/harness/day-world';
import { startTestCloud, type TestCloud } from '../../tools/harness/cloud';
import { cliIn } from '../support/cli';

/** Retitle, clear the screen, an OSC 8 link, a bell, a C1 CSI and a right-to-left override. */
const HOSTILE = '\u001b]0;pwned\u0007\u001b[2J\u001b]8;;https://evil.example/\u0007click\u001b]8;;\u0007\u009b31m gnp.exe\u202e';
// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

let cloud: TestCloud;
beforeAll(async () => {
  cloud = await startTestCloud();
  Object.assign(process.env, cloud.env);
  const world = new World(cloud, Date.now() - 10 * 60_000);
  await world.beat('web-1', { interval: 60, labels: { note: HOSTILE } });
  await world.log('api', 'web-1', 40, 1, HOSTILE);
});
afterAll(async () => cloud?.stop());

const dts = cliIn(() => cloud.env);

describe('control characters in stored strings', () => {
  it.each([[['logs', '--app', 'api']], [['hosts']], [['host', 'web-1']]])('dts %j shows them as escapes', async (argv) => {
    const run = await dts(...argv);
    expect(run.code).toBe(0);
    expect(run.out + run.err).not.toMatch(RAW);
  });

  it('dts logs shows each control where it stood', async () => {
    const run = await dts('logs', '--app', 'api');
    expect(run.out).toContain('\\x1b]0;pwned\\x07\\x1b[2J\\x1b]8;;https://evil.example/\\x07click\\x1b]8;;\\x07\\u009b31m gnp.exe\\u202e');
  });

  it('--json keeps the stored text exact', async () => {
    const run = await dts('logs', '--app', 'api', '--json');
    expect(run.out).toContain(JSON.stringify(HOSTILE).slice(1, -1).replace(/[\u007f-\u009f\u202a-\u202e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
    expect(JSON.stringify(JSON.parse(run.out))).toContain(JSON.stringify(HOSTILE).slice(1, -1));
    const host = await dts('host', 'web-1', '--json');
    expect(JSON.stringify(JSON.parse(host.out))).toContain(JSON.stringify(HOSTILE).slice(1, -1));
  });
});
