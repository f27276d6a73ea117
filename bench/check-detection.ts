/**
 * A late check's detection, on the real schedule: the local cloud (`npm start`, in memory) runs
 * diagnose at the template's own `rate(1 minute)` (no --tick). CHECKS checks (`--every 30s
 * --grace 10s`) are each pinged once over HTTP (`GET /ping/<key>`, as a crontab's curl does),
 * STAGGER_MS apart, then left silent, so their deadlines (the ping plus 40 s) spread over a
 * minute and across pass boundaries. For each check: the time from its deadline to its
 * `check-late` being recorded (the notification's publishedAt, stored once SNS accepted it) and
 * to its arrival on a queue subscribed to the alerts topic. The goal (issue 19): a p99 of at
 * most 5 s. Checks are not held by the group wait; a late verdict waits only for the ingest
 * watermark, as a death does. The checks are added as `dts checks add` told the diagnose function
 * adds them: noted for the checks' running watch, and a pass started when none runs. As many
 * hourly checks again stay on time, so that the lates are no storm of the checks and each is paged.
 *
 *   npm run bench:check-detection [-- --quick]
 */
import { SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { CheckStore } from '../lib/adapters/dynamodb/checks';
import { NotificationStore } from '../lib/adapters/dynamodb/notifications';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { StatsStore } from '../lib/adapters/dynamodb/stats';
import { lambdaDiagnoseTrigger } from '../lib/adapters/lambda/trigger';
import { addCheck, noteNewCheck } from '../lib/app/checks/manage';
import { ARRIVAL_PASS_GAP_MS } from '../lib/compose';
import { loadConfig } from '../lib/config';
import { checkSubject } from '../lib/domain/check/check';
import { startBenchCloud } from './support/local-cloud';
import { header, isQuick, saveResult } from './support/report';
import { sig, summarize } from './support/stats';

const quick = isQuick();
const CHECKS = quick ? 20 : 60;
const STAGGER_MS = 1000;
const EVERY_S = 30;
const GRACE_S = 10;
const GOAL_MS = 5000;
const STAGE = 'checkdetect';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  header(`Late checks at the deadline — local cloud, diagnose at rate(1 minute), ${CHECKS} checks pinged over HTTP`);
  const cloud = await startBenchCloud({ stage: STAGE });
  const c = cloud.clients;
  const notes = new NotificationStore(c.ddb, cloud.table('notifications'), 90);
  const checks = new CheckStore(c.ddb, cloud.table('checks'));
  // As `dts checks add` told the diagnose function does (docs/CHECKS.md, "New checks between
  // passes"): a check is noted for the checks' running watch, and a pass started when none runs.
  const lambda = new LambdaClient({ region: cloud.region, endpoint: cloud.endpoint, credentials: cloud.credentials });
  const newChecks = {
    monitor: new StatsStore(c.ddb, cloud.table('stats')), trigger: lambdaDiagnoseTrigger(lambda, `dts-${STAGE}-diagnose`),
    withinMs: loadConfig({}).diagnose.watchMs, gapMs: ARRIVAL_PASS_GAP_MS,
  };
  const run = Date.now().toString(36);
  const names = Array.from({ length: CHECKS }, (_, i) => `late-${run}-${String(i).padStart(3, '0')}`);
  const deadlineOf = new Map<string, number>();
  const recorded = new Map<string, number>();
  const received = new Map<string, number>();
  try {
    const { QueueUrl: alertsUrl } = await c.sqs.send(new CreateQueueCommand({ QueueName: `checkdetect-alerts-${run}` }));
    const { Attributes } = await c.sqs.send(new GetQueueAttributesCommand({ QueueUrl: alertsUrl, AttributeNames: ['QueueArn'] }));
    await c.sns.send(new SubscribeCommand({ TopicArn: cloud.topicArn('alerts'), Protocol: 'sqs', Endpoint: Attributes?.QueueArn }));
    let receiving = true;
    const receiver = (async () => {
      while (receiving) {
        const out = await c.sqs.send(new ReceiveMessageCommand({ QueueUrl: alertsUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
        const t = Date.now();
        for (const m of out.Messages ?? []) {
          const a = (JSON.parse(m.Body ?? '{}') as { MessageAttributes?: Record<string, { Value: string }> }).MessageAttributes;
          const subject = a?.hostname?.Value;
          if (subject && a?.kind?.Value === 'check-late' && !received.has(subject)) received.set(subject, t);
        }
        if (out.Messages?.length) {
          await c.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: alertsUrl, Entries: out.Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }));
        }
      }
    })();

    // Hourly checks beside them, on time throughout and added first, so that every pass and watch
    // counts them: CHECKS silent checks of 2 × CHECKS + 1 are no storm of the checks (docs/CHECKS.md,
    // "Storms"), and each late is paged alone, which is what is timed.
    for (let i = 0; i <= CHECKS; i++) {
      const added = await addCheck(checks, { name: `ontime-${run}-${String(i).padStart(3, '0')}`, every: '1h', labels: {} }, Date.now());
      if (!added.ok) throw new Error(added.problems.join('; '));
    }
    const keys = new Map<string, string>();
    for (const name of names) {
      const added = await addCheck(checks, { name, every: `${EVERY_S}s`, grace: `${GRACE_S}s`, labels: {} }, Date.now());
      if (!added.ok) throw new Error(added.problems.join('; '));
      await noteNewCheck(newChecks, added.check, Date.now());
      keys.set(name, added.key);
    }
    // The API function's first start is a cold start: made before the first timed ping.
    await fetch(`${cloud.endpoint}/ping/${'x'.repeat(22)}`);
    console.log(`${CHECKS} checks (every ${EVERY_S} s, grace ${GRACE_S} s), each pinged once over HTTP, ${STAGGER_MS} ms apart, then silent…`);
    const t0 = Date.now();
    for (const [i, name] of names.entries()) {
      await sleep(t0 + i * STAGGER_MS - Date.now());
      const res = await fetch(`${cloud.endpoint}/ping/${keys.get(name)}`);
      if (res.status !== 200) throw new Error(`ping of ${name}: HTTP ${res.status} ${await res.text()}`);
    }
    const until = Date.now() + (EVERY_S + GRACE_S) * 1000 + 120_000;
    while ((recorded.size < names.length || received.size < names.length) && Date.now() < until) {
      for (const name of names) {
        if (recorded.has(name)) continue;
        const late = (await notes.byHost(checkSubject(name), Date.now() - 900_000, Date.now() + 60_000)).find((n) => n.kind === 'check-late');
        if (late?.publishedAt === undefined) continue;
        deadlineOf.set(name, late.at);
        recorded.set(name, late.publishedAt);
      }
      console.log(`  ${recorded.size} recorded, ${received.size} received of ${names.length}`);
      await sleep(5000);
    }
    receiving = false;
    await receiver;
  } finally {
    lambda.destroy();
    await cloud.stop();
  }
  const missing = names.filter((n) => !recorded.has(n) || !received.has(checkSubject(n)));
  if (missing.length > 0) throw new Error(`${missing.length} checks never declared late and published: ${missing.slice(0, 5).join(', ')}`);
  const toRecorded = summarize(names.map((n) => (recorded.get(n) as number) - (deadlineOf.get(n) as number)));
  const toReceived = summarize(names.map((n) => (received.get(checkSubject(n)) as number) - (deadlineOf.get(n) as number)));
  console.log(`deadline → check-late recorded and published (publishedAt): p50 ${sig(toRecorded.p50)} ms, p99 ${sig(toRecorded.p99)} ms, max ${sig(toRecorded.max)} ms over ${toRecorded.n} checks`);
  console.log(`deadline → check-late received from the alerts topic:        p50 ${sig(toReceived.p50)} ms, p99 ${sig(toReceived.p99)} ms, max ${sig(toReceived.max)} ms over ${toReceived.n} checks`);
  const late = names.map((n) => (received.get(checkSubject(n)) as number) - (deadlineOf.get(n) as number)).sort((a, b) => a - b);
  const overGoal = late.filter((ms) => ms > GOAL_MS).length;
  console.log(`${overGoal} of ${names.length} checks received more than ${GOAL_MS / 1000} s after their deadline; slowest: ${late.slice(-5).map((ms) => sig(ms)).join(', ')} ms`);
  const goal = toReceived.p99 <= GOAL_MS;
  console.log(goal ? `goal met: p99 ≤ ${GOAL_MS / 1000} s` : `GOAL MISSED: p99 > ${GOAL_MS / 1000} s`);
  saveResult('check-detection', `npm run bench:check-detection${quick ? ' -- --quick' : ''}`, quick, {
    checks: CHECKS, staggerMs: STAGGER_MS, everyS: EVERY_S, graceS: GRACE_S, toRecordedMs: toRecorded, toReceivedMs: toReceived, overGoal, slowestMs: late.slice(-5),
  });
  if (!goal) process.exitCode = 1;
}

await main();
