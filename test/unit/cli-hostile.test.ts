/** Bad input to the CLI's round-2 commands: a usage error that names the problem, before any AWS call. */
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../lib/cli/errors';
import { main } from '../../lib/cli/main';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  // No backend: a command that reached AWS would fail to find one, not give a usage error.
  return { out, err, io: { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t), env: { AWS_ENDPOINT_URL: 'http://127.0.0.1:9' }, isTTY: false } };
}

describe('dts keys revoke', () => {
  it.each([[''], ['x'.repeat(3000)], ['nonexistent'], ['dts_zz_secret']])('refuses the id %#, as a usage error, before any call', async (id) => {
    const a = io();
    expect(await main(['keys', 'revoke', id], a.io)).toBe(EXIT.USAGE);
    expect(a.err.join('')).toMatch(/^dts: a key id is 12 hex characters/);
    expect(a.err.join('')).not.toMatch(/ValidationException|\n\s+at /);
    expect(a.err.join('').length).toBeLessThan(200);
  });
});

describe('dts notifications --kind', () => {
  it('takes the fleet notices as kinds', async () => {
    const a = io();
    await main(['notifications', '--kind', 'fleet-storm-over'], a.io);
    expect(a.err.join('')).not.toMatch(/is invalid/);
  });
});

describe('dts channels remove and test', () => {
  it.each([['remove', ''], ['test', ''], ['remove', 'x'.repeat(3000)], ['test', '../../etc']])('%s refuses a name no channel can have (%#), before any call', async (verb, name) => {
    const a = io();
    expect(await main(['channels', verb, name], a.io)).toBe(EXIT.USAGE);
    expect(a.err.join('')).toMatch(/^dts: no channel can be named "/);
    expect(a.err.join('')).not.toMatch(/ValidationException|\n\s+at /);
    expect(a.err.join('').length).toBeLessThan(200);
  });
});

describe('dts channels add and dts keys create: what AWS or the receiver would refuse later', () => {
  it.each([
    [['channels', 'add', 'pagerduty', '--key', 'short'], /^dts: a PagerDuty routing key \(--key\) is 32 letters and digits/],
    [['channels', 'add', 'pagerduty', '--key', `${'a'.repeat(31)}!`], /^dts: a PagerDuty routing key/],
    [['channels', 'add', 'slack', '--url', `https://hooks.slack.com/services/${'x'.repeat(5000)}`], /^dts: the --url and --key together must stay under 4096 bytes/],
    [['keys', 'create', '--role', 'read', '--name', 'x'.repeat(3000)], /^dts: --name is a label of at most 128 characters/],
    [['keys', 'create', '--role', 'read', '--name', 'two\nlines'], /^dts: --name is a label of at most 128 characters, with no control characters/],
  ])('%j is a usage error before any call', async (argv, message) => {
    const a = io();
    expect(await main(argv, a.io)).toBe(EXIT.USAGE);
    expect(a.err.join('')).toMatch(message);
    expect(a.err.join('').length).toBeLessThan(200);
  });
});

describe('dts channels add --url', () => {
  it.each([
    ['https://169.254.169.254/latest/meta-data/', /link-local/],
    ['https://[::ffff:169.254.169.254]/', /link-local/],
    ['https://2852039166/', /link-local/],
    ['https://10.0.0.1/hook', /private/],
    ['https://ops:hunter2@hooks.example.com/x', /no user or password/],
  ])('refuses %s as a usage error, before any call', async (url, why) => {
    const a = io();
    expect(await main(['channels', 'add', 'webhook', '--name', 'hook', '--url', url], a.io)).toBe(EXIT.USAGE);
    expect(a.err.join('')).toMatch(why);
    expect(a.err.join('')).not.toMatch(/hunter2/);
  });
});
