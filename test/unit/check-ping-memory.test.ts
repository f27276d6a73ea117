import { describe, expect, it } from 'vitest';
import { ingestHeartbeat, type HeartbeatIngest } from '../../lib/app/ingest/heartbeats';
import { addCheck } from '../../lib/app/checks/manage';
import { silentLog } from '../../lib/app/log';
import { loadConfig } from '../../lib/config';
import { MemoryAlerts, MemoryChecks, MemoryHosts, MemoryLogs, MemoryNotifications, MemoryQuarantine } from '../../tools/memory';

const T0 = Date.parse('2026-11-20T10:00:00Z');
const config = loadConfig({});
const KEY = 'abcdefghijklmnopqrstuv';

async function world() {
  const checks = new MemoryChecks();
  const logs = new MemoryLogs();
  const quarantine = new MemoryQuarantine();
  const added = await addCheck(checks, { name: 'backup', every: '1h', grace: '10m' }, T0, KEY);
  expect(added.ok).toBe(true);
  const d: HeartbeatIngest = {
    hosts: new MemoryHosts(), delivery: { notifications: new MemoryNotifications(), alerts: new MemoryAlerts(), now: () => T0 + 5000 },
    quarantine, levels: config.levels, limits: { maxFutureSeconds: 86_400, textMaxBytes: 32_768 }, log: silentLog,
    pings: { checks, logs, logTtlDays: 14, runsHours: 24 },
  };
  let n = 0;
  const send = (ping: Record<string, unknown>, sentAt = T0 + 1000) => ingestHeartbeat(d, {
    messageId: `m${n++}`, body: JSON.stringify(ping), messageAttributes: { 'dts-type': { stringValue: 'dts.CheckPing', dataType: 'String' } },
    attributes: { SentTimestamp: String(sentAt) },
  });
  const output = async () => logs.query({ app: 'backup', minLevel: 10, since: T0 - 60_000, until: T0 + 3_600_000, limit: 10 });
  return { checks, quarantine, send, output };
}

describe('a CheckPing on the heartbeats queue', () => {
  it('records a signal by the check\'s name or its key, at the queue\'s receive time, with one write', async () => {
    const w = await world();
    expect(await w.send({ check: 'backup', status: 'start' }, T0 + 1000)).toBe('stored');
    expect(await w.send({ key: KEY, status: '0' }, T0 + 2000)).toBe('stored');
    expect(await w.checks.get('backup')).toMatchObject({ lastStart: T0 + 1000, lastEnd: T0 + 2000, lastOk: true, lastExit: 0, lastSuccess: T0 + 2000, pings: 2 });
    expect(w.quarantine.messages).toEqual([]);
  });

  it('keeps the last 10 KB of the output as a log record with app = the check\'s name', async () => {
    const w = await world();
    expect(await w.send({ check: 'backup', status: '3', output: `${'x'.repeat(20_000)}\nboom\n` })).toBe('stored');
    const [record] = await w.output();
    expect(record).toMatchObject({ app: 'backup', hostname: 'check:backup', level: 40, fields: { check: 'backup', signal: 'fail', exitStatus: '3' } });
    expect(Buffer.byteLength(record?.text ?? '')).toBe(10_240);
    expect(record?.text.endsWith('boom\n')).toBe(true);
    expect(await w.checks.get('backup')).toMatchObject({ lastOk: false, lastExit: 3 });
  });

  it('records a ping for a paused check (it is not judged)', async () => {
    const w = await world();
    await w.checks.setPaused('backup', true);
    expect(await w.send({ check: 'backup' })).toBe('stored');
    expect(await w.checks.get('backup')).toMatchObject({ paused: true, pings: 1 });
  });

  describe('refuses bad input to the DLQ with its reason, and changes nothing', () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['an unknown key', { key: 'zzzzzzzzzzzzzzzzzzzzzz' }, /unknown or revoked ping key/],
      ['a malformed key', { key: '../../etc' }, /unknown or revoked ping key/],
      ['an unknown name', { check: 'nope' }, /no check named "nope"/],
      ['both a name and a key', { check: 'backup', key: KEY }, /not both/],
      ['neither', { status: 'start' }, /names no check/],
      ['exit status 256', { check: 'backup', status: '256' }, /exit status 0 to 255/],
      ['exit status abc', { check: 'backup', status: 'abc' }, /exit status 0 to 255/],
      ['an output over the limit', { check: 'backup', output: 'x'.repeat(100 * 1024 + 1) }, /over 102400 bytes/],
    ];
    for (const [what, ping, reason] of cases) {
      it(what, async () => {
        const w = await world();
        expect(await w.send(ping)).toBe('quarantined');
        expect(w.quarantine.messages.map((m) => m.reason)).toEqual([expect.stringMatching(reason)]);
        expect(await w.checks.get('backup')).toMatchObject({ pings: 0 });
        expect(await w.output()).toEqual([]);
      });
    }

    it('a revoked key (its check removed)', async () => {
      const w = await world();
      await w.checks.remove('backup');
      expect(await w.send({ key: KEY })).toBe('quarantined');
      expect(w.quarantine.messages[0]?.reason).toMatch(/unknown or revoked ping key/);
    });
  });
});
