import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { DeleteMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDiagnose } from '../../lib/app/diagnose/pass';
import { runReport } from '../../lib/app/report';
import { diagnoseDeps, fixedNames, logStore, notificationStore, reportDeps, reportStore, type Root } from '../../lib/compose';
import { loadConfig } from '../../lib/config';
import { createProducer } from '../../lib/producer/producer';
import { startTestCloud, type TestCloud } from '../../tools/harness/cloud';
import { cliIn } from '../support/cli';
import { lambdaContext, sqsEvent, sqsRecord } from '../support/events';
import { drain } from '../support/then';

/**
 * A check end to end through the real SDK on the engines: `dts checks add`, `dts run` sending
 * CheckPings on the heartbeats queue, the ingest function storing them, a diagnose pass judging
 * them, and the alerts topic carrying check-failed then check-ok on one incident.
 */
let cloud: TestCloud;
let root: Root;
let ingest: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

beforeAll(async () => {
  cloud = await startTestCloud();
  Object.assign(process.env, cloud.env);
  ({ handler: ingest } = await import('../../functions/ingest-heartbeats'));
  root = { config: loadConfig({ ...cloud.env, DTS_LAG_WAIT_SECONDS: '0.1' }), clients: cloud.clients, names: fixedNames(cloud.names) };
});
afterAll(async () => cloud?.stop());

const cli = cliIn(() => cloud.env);

/** What waits on the heartbeats queue, handed to the ingest function as Lambda would, then deleted. */
async function ingestQueued(): Promise<number> {
  const messages = await drain(cloud, cloud.names.heartbeatsQueueUrl);
  const records = messages.map((m) => sqsRecord(m.Body ?? '', { sentAt: Number(m.Attributes?.SentTimestamp ?? Date.now()), ...(m.MessageAttributes?.['dts-type']?.StringValue ? { type: m.MessageAttributes['dts-type'].StringValue } : {}) }));
  if (records.length > 0) expect((await ingest(sqsEvent(records), lambdaContext('ingestHeartbeats'))).batchItemFailures).toEqual([]);
  for (const m of messages) await cloud.clients.sqs.send(new DeleteMessageCommand({ QueueUrl: cloud.names.heartbeatsQueueUrl, ReceiptHandle: m.ReceiptHandle }));
  // Diagnose's canaries travel the same queue; only the pings are counted.
  return messages.filter((m) => m.MessageAttributes?.['dts-type']?.StringValue === 'dts.CheckPing').length;
}

/** What reached an SNS subscriber about checks, with what the notifications table recorded under the same id. */
async function alerts(): Promise<{ kind: string; severity: string; id: string; message: string; incident: string | undefined; details: Record<string, string> | undefined }[]> {
  const recorded = await notificationStore(root).byHost('check:etl', 0, Date.now() + 1000);
  return (await drain(cloud, cloud.names.alertsQueueUrl)).map((m) => {
    const body = JSON.parse(m.Body ?? '{}') as { Message: string; MessageAttributes?: Record<string, { Value: string }> };
    const attr = (name: string) => body.MessageAttributes?.[name]?.Value ?? '';
    const n = recorded.find((r) => r.id === attr('id'));
    return { kind: attr('kind'), severity: attr('severity'), id: attr('id'), message: body.Message, incident: n?.incident, details: n?.details };
  }).filter((a) => a.kind.startsWith('check-'));
}

describe('a check through the local cloud', () => {
  it('dts checks add prints a ping URL once; list and show never print the key', async () => {
    const added = await cli('checks', 'add', 'nightly', '--every', '1h', '--grace', '10m', '--url', 'https://api.example', '--json');
    expect(added.code).toBe(0);
    const { key, url } = JSON.parse(added.out) as { key: string; url: string };
    expect(url).toBe(`https://api.example/ping/${key}`);
    expect((await cli('checks', 'add', 'nightly', '--every', '1h')).code).toBe(2);
    const listed = await cli('checks', 'list');
    expect(listed.out).toMatch(/nightly\s+new\s+never/);
    expect(listed.out).not.toContain(key);
    const shown = JSON.parse((await cli('checks', 'show', 'nightly', '--json')).out) as Record<string, unknown>;
    expect(shown).toMatchObject({ name: 'nightly', state: 'new', schedule: 'every 3600s', graceSeconds: 600 });
    expect(JSON.stringify(shown)).not.toContain(key);
    expect((await cli('checks', 'pause', 'nightly')).code).toBe(0);
    expect((await cli('checks', 'show', 'nightly', '--json')).out).toMatch(/"state": "paused"/);
    expect((await cli('checks', 'remove', 'nightly')).code).toBe(0);
    expect((await cli('checks', 'show', 'nightly')).code).toBe(3);
  });

  it('refuses a bad schedule with a reason and stores nothing', async () => {
    for (const args of [['--cron', '0 0 30 2 *'], ['--cron', '61 * * * *'], ['--cron', '0 2 * * *', '--tz', 'Mars/Olympus'], ['--every', 'soon']]) {
      const r = await cli('checks', 'add', 'bad', ...args);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/never fires|malformed|unknown time zone|expected a duration/);
    }
    expect((await cli('checks', 'show', 'bad')).code).toBe(3);
  });

  it('dts run: exit 3 gives one check-failed holding the status, its output a log record; then success gives check-ok on the same incident', async () => {
    await drain(cloud, cloud.names.alertsQueueUrl);
    expect((await cli('checks', 'add', 'etl', '--every', '1h', '--grace', '5m')).code).toBe(0);
    const failed = await cli('run', 'etl', '--', 'sh', '-c', 'echo boom; exit 3');
    expect(failed).toMatchObject({ code: 3, out: 'boom\n' });
    expect(await ingestQueued()).toBe(2);
    await runDiagnose({ ...diagnoseDeps(root), watchMs: 0 });
    const [down, ...none] = await alerts();
    expect(none).toEqual([]);
    expect(down).toMatchObject({ kind: 'check-failed', severity: 'critical', id: expect.stringMatching(/^check:etl\|check-failed\|/), details: { exitStatus: '3' } });
    const logs = await logStore(root).query({ app: 'etl', minLevel: 10, since: Date.now() - 60_000, until: Date.now() + 1000, limit: 10 });
    expect(logs.map((r) => r.text)).toContain('boom\n');

    expect((await cli('run', 'etl', '--', 'true')).code).toBe(0);
    expect(await ingestQueued()).toBe(2);
    await runDiagnose({ ...diagnoseDeps(root), watchMs: 0 });
    const [ok, ...more] = await alerts();
    expect(more).toEqual([]);
    expect(ok).toMatchObject({ kind: 'check-ok', severity: 'info', incident: down?.incident });
    expect(down?.incident).toMatch(/^check:etl\/problem\//);
  });

  it('the report, as the report function makes it, has the checks: etl failed once and is up again, its row in the stored detail', async () => {
    const run = await runReport(reportDeps(root), Date.now() + 1000, 1, false);
    expect(run.report.checks).toMatchObject({ failures: 1, lates: 0 });
    expect(run.detail.checks?.find((r) => r.name === 'etl')).toMatchObject({ state: 'up', failures: 1, lastExit: 0 });
    expect(run.markdown).toMatch(/## Checks\n\n\d+ check\(s\).*0 late, 1 failed/);
    const store = reportStore(root);
    const [latest] = await store.latest(1);
    const sections: string[] = [];
    for await (const part of store.detail(run.report.id, latest?.parts ?? 0)) sections.push(part.section);
    expect(sections).toContain('checks');
  });

  it('counts a ping by key through the producer, as dts relay forwards one', async () => {
    const { key } = JSON.parse((await cli('checks', 'add', 'relayed', '--every', '1h', '--json')).out) as { key: string };
    const producer = createProducer({
      region: 'us-east-1', endpoint: cloud.env.AWS_ENDPOINT_URL_SQS, credentials: cloud.credentials, heartbeatsQueueUrl: cloud.names.heartbeatsQueueUrl, flushOnExit: false,
    });
    expect(await producer.ping({ key }, 'start')).toEqual({ ok: true });
    expect(await producer.ping({ key }, 0, 'done')).toEqual({ ok: true });
    await producer.close();
    expect(await ingestQueued()).toBe(2);
    expect(JSON.parse((await cli('checks', 'show', 'relayed', '--json')).out)).toMatchObject({ pings: 2, lastSignal: 'success', lastExitStatus: 0, running: false });
  });
});
