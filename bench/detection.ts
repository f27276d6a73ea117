/**
 * Detection at the deadline, on the real schedule: the local cloud (`npm start`, in memory) runs
 * diagnose at the template's own `rate(1 minute)` (no --tick). HOSTS hosts beat once each,
 * STAGGER_MS apart, declaring a 20 s interval (tolerance 3: a deadline 60 s after the beat),
 * then fall silent, so their deadlines spread over a minute and across pass boundaries. For
 * each host: the time from its deadline to its `host-down` being recorded (the notification's
 * publishedAt, stored once SNS accepted it) and to its arrival on a queue subscribed to the
 * alerts topic. p50/p99 over all hosts; the goal is a p99 of at most the group wait + 5 s.
 *
 * The group wait (`diagnoseGroupWaitSeconds`, default 10) holds each watched death until the
 * deaths close after it have come, so that a rack is one storm notice: it is what detection
 * pays for grouping. `--group-wait 0` measures without it.
 *
 * Then, on the same cloud: RECOVER of the dead hosts beat once again, 1 s apart (first beat back →
 * `host-recovered` at the subscriber: ingest decides it), and NEW hosts first seen between passes
 * beat once, 2 s apart, with a 5 s interval (a 15 s deadline, shorter than a pass period), then
 * fall silent (deadline → `host-down` at the subscriber: their first beat has them watched).
 *
 *   npm run bench:detection [-- --quick] [-- --group-wait N]
 */
import { SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { NotificationStore } from '../lib/adapters/dynamodb/notifications';
import { encodeBody } from '../lib/wire/codec';
import { startBenchCloud } from './support/local-cloud';
import { header, isQuick, saveResult } from './support/report';
import { sig, summarize } from './support/stats';

const quick = isQuick();
const HOSTS = quick ? 50 : 60;
const STAGGER_MS = quick ? 1000 : 1000;
const INTERVAL_S = 20;
const BEATS = 3;
const BYSTANDERS = 2 * (quick ? 50 : 60);
const TOLERANCE = 3;
const RECOVER = quick ? 20 : 30;
const NEW = quick ? 20 : 30;
const NEW_INTERVAL_S = 5;
const NEW_STAGGER_MS = 2000;
const STAGE = 'detect';
const groupWaitArg = process.argv.indexOf('--group-wait');
/** The template's default unless given. */
const GROUP_WAIT_S = groupWaitArg >= 0 ? Number(process.argv[groupWaitArg + 1]) : 10;
if (!Number.isFinite(GROUP_WAIT_S) || GROUP_WAIT_S < 0) throw new Error(`--group-wait: expected seconds, got ${process.argv[groupWaitArg + 1]}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  header(`Detection at the deadline — local cloud, diagnose at rate(1 minute), ${HOSTS} hosts, group wait ${GROUP_WAIT_S} s`);
  const cloud = await startBenchCloud({ stage: STAGE, params: { tolerance: TOLERANCE, diagnoseGroupWaitSeconds: GROUP_WAIT_S } });
  const c = cloud.clients;
  const queueUrl = cloud.queueUrl('heartbeats');
  const notes = new NotificationStore(c.ddb, cloud.table('notifications'), 90);
  const run = Date.now().toString(36);
  const names = Array.from({ length: HOSTS }, (_, i) => `det-${run}-${String(i).padStart(3, '0')}`);
  const deadlineOf = new Map<string, number>();
  const recorded = new Map<string, number>();
  const received = new Map<string, number>();
  const recoveredAt = new Map<string, number>();
  const backAt = new Map<string, number>();
  const newNames = Array.from({ length: NEW }, (_, i) => `det-${run}-new-${String(i).padStart(3, '0')}`);
  const newDeadline = new Map<string, number>();
  try {
    // A queue on the alerts topic: when each host-down was published.
    const { QueueUrl: alertsUrl } = await c.sqs.send(new CreateQueueCommand({ QueueName: `detect-alerts-${run}` }));
    const { Attributes } = await c.sqs.send(new GetQueueAttributesCommand({ QueueUrl: alertsUrl, AttributeNames: ['QueueArn'] }));
    await c.sns.send(new SubscribeCommand({ TopicArn: cloud.topicArn('alerts'), Protocol: 'sqs', Endpoint: Attributes?.QueueArn }));
    let receiving = true;
    const receiver = (async () => {
      while (receiving) {
        const out = await c.sqs.send(new ReceiveMessageCommand({ QueueUrl: alertsUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
        const t = Date.now();
        for (const m of out.Messages ?? []) {
          const body = JSON.parse(m.Body ?? '{}') as { MessageAttributes?: Record<string, { Value: string }> };
          const host = body.MessageAttributes?.hostname?.Value;
          const kind = body.MessageAttributes?.kind?.Value;
          if (host && kind === 'host-down' && !received.has(host)) received.set(host, t);
          if (host && kind === 'host-recovered' && !recoveredAt.has(host)) recoveredAt.set(host, t);
        }
        if (out.Messages?.length) {
          await c.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: alertsUrl, Entries: out.Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }));
        }
      }
    })();

    // Each host beats BEATS times, INTERVAL_S apart, then falls silent: it is alive (and up) for a
    // pass or two before it dies, as a real host is. Hosts start STAGGER_MS apart.
    console.log(`${HOSTS} hosts, ${STAGGER_MS} ms apart, each beating ${BEATS} times every ${INTERVAL_S} s then silent (deadline ${INTERVAL_S * TOLERANCE} s after its last beat)…`);
    const beat = (hostname: string, interval = INTERVAL_S) => c.sqs.send(new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: encodeBody('dts.HeartbeatMessage', { hostname, timestamp: Date.now() / 1000, interval }),
    }));
    // Healthy bystanders (one beat, a 10-minute interval), so that the deaths are not a storm:
    // a storm's members are recorded but not published one by one.
    for (let i = 0; i < BYSTANDERS; i++) {
      await c.sqs.send(new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: encodeBody('dts.HeartbeatMessage', { hostname: `det-${run}-by-${i}`, timestamp: Date.now() / 1000, interval: 600 }),
      }));
    }
    const t0 = Date.now();
    const plan = names.flatMap((hostname, i) => Array.from({ length: BEATS }, (_, k) => ({ hostname, at: t0 + i * STAGGER_MS + k * INTERVAL_S * 1000 })))
      .sort((a, b) => a.at - b.at);
    for (const p of plan) {
      await sleep(p.at - Date.now());
      await beat(p.hostname);
    }
    const until = Date.now() + INTERVAL_S * TOLERANCE * 1000 + 120_000;
    while ((recorded.size < names.length || received.size < names.length) && Date.now() < until) {
      for (const hostname of names) {
        if (recorded.has(hostname)) continue;
        const down = (await notes.byHost(hostname, Date.now() - 900_000, Date.now() + 60_000)).find((n) => n.kind === 'host-down');
        if (down?.publishedAt === undefined) continue;
        deadlineOf.set(hostname, down.at);
        recorded.set(hostname, down.publishedAt);
      }
      console.log(`  ${recorded.size} recorded, ${received.size} received of ${names.length}`);
      await sleep(5000);
    }
    // Recoveries: the first RECOVER dead hosts beat once again, 1 s apart.
    console.log(`${RECOVER} of them beat again, 1 s apart…`);
    for (const hostname of names.slice(0, RECOVER)) {
      backAt.set(hostname, Date.now());
      await beat(hostname);
      await sleep(1000);
    }
    // New hosts: first seen between passes, a 5 s interval (deadline 15 s), one beat each, 2 s apart.
    console.log(`${NEW} new hosts, ${NEW_STAGGER_MS} ms apart, one beat each every ${NEW_INTERVAL_S} s declared, then silent…`);
    for (const hostname of newNames) {
      newDeadline.set(hostname, Date.now() + NEW_INTERVAL_S * TOLERANCE * 1000);
      await beat(hostname, NEW_INTERVAL_S);
      await sleep(NEW_STAGGER_MS);
    }
    const later = Date.now() + 120_000;
    const recovering = names.slice(0, RECOVER);
    while ((recovering.some((h) => !recoveredAt.has(h)) || newNames.some((h) => !received.has(h))) && Date.now() < later) {
      console.log(`  ${recovering.filter((h) => recoveredAt.has(h)).length} of ${RECOVER} recoveries, ${newNames.filter((h) => received.has(h)).length} of ${NEW} new hosts' deaths received`);
      await sleep(5000);
    }
    receiving = false;
    await receiver;
  } finally {
    await cloud.stop();
  }
  const missing = names.filter((h) => !recorded.has(h) || !received.has(h));
  if (missing.length > 0) throw new Error(`${missing.length} hosts never declared down and published: ${missing.slice(0, 5).join(', ')}`);
  const notRecovered = names.slice(0, RECOVER).filter((h) => !recoveredAt.has(h));
  const newMissing = newNames.filter((h) => !received.has(h));
  if (notRecovered.length > 0) throw new Error(`${notRecovered.length} hosts never announced recovered: ${notRecovered.slice(0, 5).join(', ')}`);
  if (newMissing.length > 0) throw new Error(`${newMissing.length} new hosts never declared down: ${newMissing.slice(0, 5).join(', ')}`);
  const toRecorded = summarize(names.map((h) => (recorded.get(h) as number) - (deadlineOf.get(h) as number)));
  const toReceived = summarize(names.map((h) => (received.get(h) as number) - (deadlineOf.get(h) as number)));
  const toRecovered = summarize(names.slice(0, RECOVER).map((h) => (recoveredAt.get(h) as number) - (backAt.get(h) as number)));
  const newToReceived = summarize(newNames.map((h) => (received.get(h) as number) - (newDeadline.get(h) as number)));
  console.log(`deadline → host-down recorded and published (publishedAt): p50 ${sig(toRecorded.p50)} ms, p99 ${sig(toRecorded.p99)} ms, max ${sig(toRecorded.max)} ms over ${toRecorded.n} hosts`);
  console.log(`deadline → host-down received from the alerts topic:        p50 ${sig(toReceived.p50)} ms, p99 ${sig(toReceived.p99)} ms, max ${sig(toReceived.max)} ms over ${toReceived.n} hosts`);
  console.log(`first beat back → host-recovered received:                  p50 ${sig(toRecovered.p50)} ms, p99 ${sig(toRecovered.p99)} ms, max ${sig(toRecovered.max)} ms over ${toRecovered.n} hosts`);
  console.log(`new host's deadline → host-down received:                   p50 ${sig(newToReceived.p50)} ms, p99 ${sig(newToReceived.p99)} ms, max ${sig(newToReceived.max)} ms over ${newToReceived.n} hosts`);
  const goalMs = GROUP_WAIT_S * 1000 + 5000;
  const goals = [
    [`deaths p99 ≤ ${goalMs / 1000} s (group wait + 5 s)`, toReceived.p99 <= goalMs],
    [`new hosts' deaths p99 ≤ ${goalMs / 1000} s (group wait + 5 s)`, newToReceived.p99 <= goalMs],
    ['recoveries p99 ≤ 5 s', toRecovered.p99 <= 5000],
  ] as const;
  for (const [what, met] of goals) console.log(met ? `goal met: ${what}` : `GOAL MISSED: ${what}`);
  const args = [...(quick ? ['--quick'] : []), ...(groupWaitArg >= 0 ? ['--group-wait', String(GROUP_WAIT_S)] : [])];
  saveResult(GROUP_WAIT_S === 10 ? 'detection' : `detection-group-wait-${GROUP_WAIT_S}`, `npm run bench:detection${args.length ? ` -- ${args.join(' ')}` : ''}`, quick, {
    hosts: HOSTS, staggerMs: STAGGER_MS, intervalS: INTERVAL_S, tolerance: TOLERANCE, groupWaitS: GROUP_WAIT_S, toRecordedMs: toRecorded, toReceivedMs: toReceived,
    recoveries: RECOVER, toRecoveredMs: toRecovered, newHosts: NEW, newIntervalS: NEW_INTERVAL_S, newStaggerMs: NEW_STAGGER_MS, newToReceivedMs: newToReceived,
  });
  if (goals.some(([, met]) => !met)) process.exitCode = 1;
}

await main();
