import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { addCheck } from '../../lib/app/checks/manage';
import { ingestHeartbeat, type HeartbeatIngest } from '../../lib/app/ingest/heartbeats';
import { silentLog } from '../../lib/app/log';
import { loadConfig } from '../../lib/config';
import { MemoryAlerts, MemoryChecks, MemoryHosts, MemoryLogs, MemoryNotifications, MemoryQuarantine } from '../../tools/memory';

/**
 * The Python client's ping(check, status, output) (clients/python/dts_client/check.py), run by
 * Debian's python3 against a recording SQS client: what it sends is what ingest counts.
 */
const CLIENT = path.join(import.meta.dirname, '..', '..', 'clients', 'python');
const SCRIPT = `
import json, sys
from dts_client import ping
class Recording:
    sent = []
    def send_message(self, **kw):
        self.sent.append(kw)
        return {"MessageId": "m%d" % len(self.sent)}
r = Recording()
ping("etl", "start", queue_url="q", sqs=r)
ping("etl", 3, "x" * 20000 + "boom\\n", queue_url="q", sqs=r)
for bad in (256, "abc"):
    try:
        ping("etl", bad, queue_url="q", sqs=r)
    except ValueError as e:
        print(str(e), file=sys.stderr)
print(json.dumps([{"body": m["MessageBody"], "type": m["MessageAttributes"]["dts-type"]["StringValue"]} for m in r.sent]))
`;

describe('the Python client\'s ping', () => {
  it('sends CheckPings that ingest counts, the output cut to its last 10 KB, and refuses bad statuses itself', async () => {
    const run = spawnSync('/usr/bin/python3', ['-c', SCRIPT], { cwd: CLIENT, encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stderr.match(/exit status 0 to 255/g)).toHaveLength(2);
    const sent = JSON.parse(run.stdout) as { body: string; type: string }[];
    expect(sent.map((m) => m.type)).toEqual(['dts.CheckPing', 'dts.CheckPing']);
    const checks = new MemoryChecks();
    const logs = new MemoryLogs();
    const T0 = Date.parse('2026-11-20T10:00:00Z');
    await addCheck(checks, { name: 'etl', every: '1h' }, T0);
    const d: HeartbeatIngest = {
      hosts: new MemoryHosts(), delivery: { notifications: new MemoryNotifications(), alerts: new MemoryAlerts(), now: () => T0 },
      quarantine: new MemoryQuarantine(), levels: loadConfig({}).levels, limits: { maxFutureSeconds: 86_400, textMaxBytes: 32_768 }, log: silentLog,
      pings: { checks, logs, logTtlDays: 14, runsHours: 24 },
    };
    for (const [i, m] of sent.entries()) {
      const outcome = await ingestHeartbeat(d, { messageId: `m${i}`, body: m.body, messageAttributes: { 'dts-type': { stringValue: m.type } }, attributes: { SentTimestamp: String(T0 + i * 1000) } });
      expect(outcome).toBe('stored');
    }
    expect(await checks.get('etl')).toMatchObject({ pings: 2, lastStart: T0, lastEnd: T0 + 1000, lastOk: false, lastExit: 3 });
    const [record] = await logs.query({ app: 'etl', minLevel: 10, since: T0 - 1000, until: T0 + 5000, limit: 5 });
    expect(Buffer.byteLength(record?.text ?? '')).toBe(10_240);
    expect(record?.text.endsWith('boom\n')).toBe(true);
  });
});
