import { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runDiagnose } from '../../lib/app/diagnose/pass';
import { ingestLogMessages } from '../../lib/app/ingest/logs';
import { silentLog } from '../../lib/app/log';
import { diagnoseDeps, fixedNames, logIngestDeps, ruleAdmin, type Root } from '../../lib/compose';
import { loadConfig } from '../../lib/config';
import { encodeBody } from '../../lib/wire/codec';
import { startTestCloud, type TestCloud } from '../../tools/harness/cloud';
import { cliIn } from '../support/cli';
import { sqsRecord } from '../support/events';
import { drain } from '../support/then';

/**
 * Log rules end to end on the local cloud, through the real SDK: `dts rules add`, records sent
 * on the logs queue, ingest (as composed for the function) counting them, the diagnose pass
 * judging, and what reaches the alerts topic's subscriber. The services' clock is the test's, so
 * that a quiet window passes in no time; records carry the queue's own receive times.
 */
let cloud: TestCloud;
let root: Root;
let offset = 0;
const dts = cliIn(() => cloud.env);

beforeAll(async () => {
  cloud = await startTestCloud();
  // The CLI finds its credentials where an operator's shell has them.
  Object.assign(process.env, cloud.env);
  const config = loadConfig({ ...process.env, ...cloud.env, DTS_LAG_WAIT_SECONDS: '1', DTS_WATCH_SECONDS: '0' });
  root = { config, clients: cloud.clients, names: fixedNames(cloud.names), log: silentLog, now: () => Date.now() + offset };
});
afterAll(async () => cloud?.stop());
// Each test starts with no rule, whatever the one before left; a pass closes (log-ok) any that fired.
beforeEach(async () => {
  offset = 0;
  const { rules } = ruleAdmin(root);
  for (const r of await rules.list()) await rules.remove(r.name);
  await pass();
  await drain(cloud, cloud.names.alertsQueueUrl);
});

let seq = 0;
/** Records sent on the logs queue as a producer sends them (one LogBatch). */
async function send(app: string, level: number, texts: string[]): Promise<void> {
  const records = texts.map((text) => ({ app, hostname: 'web-1', timestamp: Date.now() / 1000, level, text, id: `it-${seq++}` }));
  await cloud.clients.sqs.send(new SendMessageCommand({
    QueueUrl: cloud.names.logsQueueUrl, MessageBody: encodeBody('dts.LogBatch', { records }),
    MessageAttributes: { 'dts-type': { DataType: 'String', StringValue: 'dts.LogBatch' } },
  }));
}

/** What the ingest-logs function does with what waits on the logs queue. */
async function ingest(): Promise<number> {
  const d = logIngestDeps(root, () => undefined);
  let stored = 0;
  for (;;) {
    const out = await cloud.clients.sqs.send(new ReceiveMessageCommand({
      QueueUrl: cloud.names.logsQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'],
    }));
    const messages = out.Messages ?? [];
    if (messages.length === 0) return stored;
    const outcome = await ingestLogMessages(d, messages.map((m) => sqsRecord(m.Body ?? '', {
      messageId: m.MessageId, sentAt: Number(m.Attributes?.SentTimestamp), type: m.MessageAttributes?.['dts-type']?.StringValue,
    })));
    expect([...outcome.failures]).toEqual([]);
    stored += outcome.stored;
    await cloud.clients.sqs.send(new DeleteMessageBatchCommand({
      QueueUrl: cloud.names.logsQueueUrl, Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
    }));
  }
}

const pass = () => runDiagnose(diagnoseDeps(root));

interface Alert { kind: string; rule: string; subject: string; message: string; incident: string | undefined }
async function alerts(): Promise<Alert[]> {
  return (await drain(cloud, cloud.names.alertsQueueUrl)).map((m) => {
    const body = JSON.parse(m.Body ?? '{}') as { Subject?: string; Message: string; MessageAttributes?: Record<string, { Value: string }> };
    return {
      kind: body.MessageAttributes?.kind?.Value ?? '',
      rule: body.MessageAttributes?.['label.rule']?.Value ?? '',
      subject: body.Subject ?? '',
      message: body.Message,
      incident: /^incident:\s+(\S+)$/m.exec(body.Message)?.[1],
    };
  }).filter((a) => a.kind.startsWith('log-'));
}

describe('log rules on the local cloud', () => {
  it('six errors against --count 5 --within 1m: exactly one log-alert naming the rule, with samples; log-ok on its incident after a quiet window', async () => {
    const added = await dts('rules', 'add', 'web-errors', '--app', 'web', '--level', 'error', '--count', '5', '--within', '1m');
    expect(added.code, added.err).toBe(0);
    await send('web', 40, Array.from({ length: 6 }, (_, i) => `payment ${i} failed: card declined`));
    await send('web', 20, ['an info line is not counted']);
    expect(await ingest()).toBe(7);

    await pass();
    await pass();
    const fired = await alerts();
    expect(fired.map((a) => [a.kind, a.rule])).toEqual([['log-alert', 'web-errors']]);
    const [alert] = fired as [Alert];
    expect(alert.subject).toBe('[dts warning] log rule web-errors: 6 records at error or above from web in the last 1m (threshold 5)');
    expect(alert.message).toMatch(/count:\s+6/);
    expect(alert.message).toContain('payment 0 failed: card declined');
    const listed = JSON.parse((await dts('rules', 'list', '--json')).out) as { name: string; firing: boolean }[];
    expect(listed).toEqual([expect.objectContaining({ name: 'web-errors', firing: true })]);

    // The records' minute leaves the window, then the window stays clear for a whole minute.
    offset = 2 * 60_000 + 5_000;
    await pass();
    expect(await alerts()).toEqual([]);
    offset = 3 * 60_000 + 10_000;
    await pass();
    const resolved = await alerts();
    expect(resolved.map((a) => [a.kind, a.rule])).toEqual([['log-ok', 'web-errors']]);
    expect(resolved[0]?.incident).toBe(alert.incident);
    expect(alert.incident).toMatch(/^@logs\/rule\/web-errors\//);
    expect((await dts('rules', 'remove', 'web-errors')).code).toBe(0);
  });

  it('--silent 20s on an app that logged once and then stopped gives a log-alert', async () => {
    expect((await dts('rules', 'add', 'backup-quiet', '--app', 'backup', '--silent', '20s')).code).toBe(0);
    await send('backup', 20, ['backup started']);
    await ingest();
    await pass();
    expect(await alerts()).toEqual([]);
    offset = 25_000;
    await pass();
    expect((await alerts()).map((a) => [a.kind, a.rule])).toEqual([['log-alert', 'backup-quiet']]);
    expect((await dts('rules', 'remove', 'backup-quiet')).code).toBe(0);
  });

  it('--match fires on an info record that contains the pattern, and not on one without it', async () => {
    expect((await dts('rules', 'add', 'oom', '--app', 'jvm', '--match', 'OutOfMemoryError')).code).toBe(0);
    await send('jvm', 20, ['GC pause 12ms']);
    await ingest();
    await pass();
    expect(await alerts()).toEqual([]);
    await send('jvm', 20, ['java.lang.OutOfMemoryError: Java heap space']);
    await ingest();
    await pass();
    const fired = await alerts();
    expect(fired.map((a) => [a.kind, a.rule])).toEqual([['log-alert', 'oom']]);
    expect(fired[0]?.message).toContain('java.lang.OutOfMemoryError: Java heap space');
    expect((await dts('rules', 'remove', 'oom')).code).toBe(0);
  });

  it('removing a firing rule with `dts rules remove` closes its incident: one log-ok on the same key, saying the rule was removed', async () => {
    expect((await dts('rules', 'add', 'web-burst', '--app', 'web', '--level', 'error', '--count', '2', '--within', '5m')).code).toBe(0);
    await send('web', 40, ['db timeout', 'db timeout again']);
    await ingest();
    await pass();
    const [alert] = await alerts();
    expect(alert).toMatchObject({ kind: 'log-alert', rule: 'web-burst' });
    const removed = await dts('rules', 'remove', 'web-burst');
    expect(removed.code, removed.err).toBe(0);
    expect(removed.out).toContain('the next diagnose pass closes its alert');
    // Within the window still: only the removal can close it.
    offset = 30_000;
    await pass();
    const closed = await alerts();
    expect(closed.map((a) => [a.kind, a.rule, a.incident])).toEqual([['log-ok', 'web-burst', alert?.incident]]);
    expect(closed[0]?.subject).toContain('log rule web-burst is clear: the rule was removed');
    expect(closed[0]?.message).toMatch(/reason:\s+the rule was removed/);
    offset = 90_000;
    await pass();
    expect(await alerts()).toEqual([]);
    expect(JSON.parse((await dts('rules', 'list', '--json')).out)).toEqual([]);
  });

  it('refuses (a+)+$, a window under a minute, a count of 0 and a taken name at add time, and stores none of them', async () => {
    expect((await dts('rules', 'add', 'taken', '--app', 'web', '--count', '1', '--within', '5m')).code).toBe(0);
    const cases: [string[], RegExp][] = [
      [['bad-re', '--app', 'web', '--match', '(a+)+$'], /nested repetition/],
      [['short', '--app', 'web', '--count', '5', '--within', '30s'], /from 1m to 7d/],
      [['zero', '--app', 'web', '--count', '0', '--within', '5m'], /at least 1/],
      [['lvl', '--app', 'web', '--count', '1', '--within', '5m', '--level', 'loud'], /unknown level/],
      [['taken', '--app', 'api', '--silent', '1h'], /exists already/],
    ];
    for (const [argv, reason] of cases) {
      const r = await dts('rules', 'add', ...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toMatch(reason);
    }
    const listed = JSON.parse((await dts('rules', 'list', '--json')).out) as { name: string; scope: { app: string } }[];
    expect(listed.map((r) => [r.name, r.scope.app])).toEqual([['taken', 'web']]);
    expect((await dts('rules', 'remove', 'taken')).code).toBe(0);
    expect((await dts('rules', 'show', 'taken')).code).toBe(3);
  });
});
