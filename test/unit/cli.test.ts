/** The CLI's parsing, ordering and error messages, without a backend. */
import { describe, expect, it } from 'vitest';
import { rank, sortWorstFirst } from '../../lib/cli/commands/hosts';
import { hostView } from '../../lib/domain/host/view';
import { parseLabels } from '../../lib/cli/commands/agent';
import { CliError, EXIT, explain } from '../../lib/cli/errors';
import { main } from '../../lib/cli/main';
import { parseDuration, parseTime, shortDuration } from '../../lib/cli/time';
import { BackendError } from '../../lib/producer/locate';
import type { Host } from '../../lib/domain/model';

function io(env: Record<string, string | undefined> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t), env, isTTY: false } };
}

describe('durations and times', () => {
  it.each([['30s', 30_000], ['15m', 900_000], ['2h', 7_200_000], ['1d', 86_400_000], ['1h30m', 5_400_000], ['1w', 604_800_000], ['500ms', 500]])('%s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it('refuses what is not a duration, as a usage error', () => {
    for (const bad of ['15x', '', 'm', '1h 30m', '-5m']) {
      expect(() => parseDuration(bad)).toThrow(CliError);
    }
    expect(() => parseDuration('15x')).toThrow(/bad duration "15x"/);
  });

  it('reads a point in time: now, a duration back, ISO or epoch seconds', () => {
    const now = Date.parse('2026-05-01T12:00:00Z');
    expect(parseTime('now', now)).toBe(now);
    expect(parseTime('15m', now)).toBe(now - 900_000);
    expect(parseTime('2026-05-01T10:00:00Z', now)).toBe(Date.parse('2026-05-01T10:00:00Z'));
    expect(parseTime('1777636800', now)).toBe(1_777_636_800_000);
    expect(() => parseTime('yesterday', now)).toThrow(/bad time "yesterday"/);
  });

  it('shows ages compactly', () => {
    expect(shortDuration(5_000)).toBe('5s');
    expect(shortDuration(125_000)).toBe('2m5s');
    expect(shortDuration(3 * 3_600_000 + 60_000)).toBe('3h1m');
    expect(shortDuration(3 * 86_400_000)).toBe('3d');
  });

  it('reads labels as key=value', () => {
    expect(parseLabels(['role=web', 'url=a=b'])).toEqual({ role: 'web', url: 'a=b' });
    expect(() => parseLabels(['oops'])).toThrow(/bad label "oops"/);
  });
});

describe('dts hosts order', () => {
  const rule = { defaultInterval: 60, tolerance: 3 };
  const now = 10_000_000;
  const host = (hostname: string, over: Partial<Host>): Host => ({
    hostname, state: 'alive', stateSince: 0, lastBeat: now - 10_000, sentAt: now - 10_000, skewMs: 0, interval: 60, labels: {},
    levels: { cpu: 'ok', mem: 'ok', disk: 'ok' }, cpuStreak: 0, firstSeen: 0, ...over,
  });

  it('puts the dead and the overdue first, then critical, warning, new, healthy, departed, retired', () => {
    const hosts = [
      host('retired', { state: 'retired' }),
      host('healthy', {}),
      host('left', { state: 'left' }),
      host('warning', { levels: { cpu: 'ok', mem: 'warning', disk: 'ok' } }),
      host('new', { state: 'new' }),
      host('critical', { levels: { cpu: 'ok', mem: 'ok', disk: 'critical' } }),
      host('overdue', { lastBeat: now - 200_000 }),
      host('dead', { state: 'dead', lastBeat: now - 100_000 }),
    ].map((h) => hostView(h, now, rule, []));
    expect(sortWorstFirst(hosts).map((h) => h.hostname)).toEqual(['overdue', 'dead', 'critical', 'warning', 'new', 'healthy', 'left', 'retired']);
    expect(rank(hosts.find((h) => h.hostname === 'overdue') as never)).toBe(0);
  });
});

describe('errors', () => {
  it('maps what the user can fix to one line and an exit code', () => {
    expect(explain(new BackendError('nothing here'))).toEqual({ message: 'nothing here', exitCode: EXIT.CONFIG });
    expect(explain(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' })).exitCode).toBe(EXIT.CONFIG);
    expect(explain(new Error('Region is missing')).message).toBe('no AWS region: set AWS_REGION or pass --region');
    expect(explain(Object.assign(new Error('Requested resource not found'), { name: 'ResourceNotFoundException' })).exitCode).toBe(EXIT.CONFIG);
    expect(explain(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4566'), { code: 'ECONNREFUSED' })).exitCode).toBe(EXIT.FAILED);
    expect(explain(new Error('first\n    at stack')).message).toBe('first');
  });
});

describe('main', () => {
  it('prints help and exits 0 for --help, 2 with no command', async () => {
    const a = io();
    expect(await main(['--help'], a.io)).toBe(0);
    expect(a.out.join('')).toMatch(/Usage: dts/);
    const b = io();
    expect(await main([], b.io)).toBe(EXIT.USAGE);
  });

  it('exits 2 on an unknown option or a bad value, naming it', async () => {
    const a = io();
    expect(await main(['hosts', '--bogus'], a.io)).toBe(EXIT.USAGE);
    expect(a.err.join('')).toMatch(/unknown option '--bogus'/);
    const b = io();
    expect(await main(['agent', '--interval', 'soon'], b.io)).toBe(EXIT.USAGE);
    expect(b.err.join('')).toMatch(/--interval <seconds>.*expected a number of seconds/);
    const c = io();
    expect(await main(['logs', '--app', 'a', '--level', 'loud'], c.io)).toBe(EXIT.USAGE);
    expect(c.err.join('')).toBe('dts: bad level "loud": use debug, info, warning, error, critical or a number\n');
    const d = io();
    expect(await main(['agent', '--tail', '/var/log/x.log'], d.io)).toBe(EXIT.USAGE);
    expect(d.err.join('')).toMatch(/--tail needs --app NAME/);
  });

  it('exits 4 with one line when no backend is configured or reachable', async () => {
    const a = io({ AWS_ENDPOINT_URL: 'http://127.0.0.1:9' });
    expect(await main(['hosts'], a.io)).toBe(EXIT.CONFIG);
    expect(a.err.join('')).toMatch(/^dts: no dts backend configured and no local cloud at http:\/\/127\.0\.0\.1:9: start it with `npm start`/);
    expect(a.err.join('').trim().split('\n')).toHaveLength(1);
  });
});

describe('the relay\'s own beat', () => {
  it('is named apart from the machine\'s agent by default, and the help says so', async () => {
    const { relayName } = await import('../../lib/cli/commands/relay');
    expect(relayName('web-1')).toBe('relay@web-1');
    const { out, io: cliIo } = io();
    await main(['relay', '--help'], cliIo);
    expect(out.join('').replace(/\s+/g, ' ')).toContain('default: relay@<os.hostname()>');
  });
});

describe('dts --help and the local cloud\'s stage', () => {
  it('names the stage npm start runs, never dev', async () => {
    const { out, io: cliIo } = io();
    await main(['--help'], cliIo);
    const help = out.join('');
    expect(help).not.toMatch(/stage dev/);
    expect(help).toMatch(/\(local unless npm start -- --stage says otherwise/);
  });
});
