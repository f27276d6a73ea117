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
          if (host && body.MessageAttributes?.kind?.Value === 'host-down' && !received.has(host)) received.set(host, t);
        }
        if (out.Messages?.length) {
          await c.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: alertsUrl, Entries: out.Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }));
        }
      }
    })();

    // Each host beats BEATS times, INTERVAL_S apart, then falls silent: it is alive (and up) for a
    // pass or two before it dies, as a real host is. Hosts start STAGGER_MS apart.
    console.log(`${HOSTS} hosts, ${STAGGER_MS} ms apart, each beating ${BEATS} times every ${INTERVAL_S} s then silent (deadline ${INTERVAL_S * TOLERANCE} s after its last beat)…`);
    const beat = (hostname: string) => c.sqs.send(new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: encodeBody('dts.HeartbeatMessage', { hostname, timestamp: Date.now() / 1000, interval: INTERVAL_S }),
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
    receiving = false;
    await receiver;
  } finally {
    await cloud.stop();
  }
  const missing = names.filter((h) => !recorded.has(h) || !received.has(h));
  if (missing.length > 0) throw new Error(`${missing.length} hosts never declared down and published: ${missing.slice(0, 5).join(', ')}`);
  const toRecorded = summarize(names.map((h) => (recorded.get(h) as number) - (deadlineOf.get(h) as number)));
  const toReceived = summarize(names.map((h) => (received.get(h) as number) - (deadlineOf.get(h) as number)));
  console.log(`deadline → host-down recorded and published (publishedAt): p50 ${sig(toRecorded.p50)} ms, p99 ${sig(toRecorded.p99)} ms, max ${sig(toRecorded.max)} ms over ${toRecorded.n} hosts`);
  console.log(`deadline → host-down received from the alerts topic:        p50 ${sig(toReceived.p50)} ms, p99 ${sig(toReceived.p99)} ms, max ${sig(toReceived.max)} ms over ${toReceived.n} hosts`);
  const goalMs = GROUP_WAIT_S * 1000 + 5000;
  const goal = toReceived.p99 <= goalMs;
  console.log(goal ? `goal met: p99 ≤ ${goalMs / 1000} s (group wait + 5 s)` : `GOAL MISSED: p99 > ${goalMs / 1000} s (group wait + 5 s)`);
  const args = [...(quick ? ['--quick'] : []), ...(groupWaitArg >= 0 ? ['--group-wait', String(GROUP_WAIT_S)] : [])];
  saveResult(GROUP_WAIT_S === 10 ? 'detection' : `detection-group-wait-${GROUP_WAIT_S}`, `npm run bench:detection${args.length ? ` -- ${args.join(' ')}` : ''}`, quick, {
    hosts: HOSTS, staggerMs: STAGGER_MS, intervalS: INTERVAL_S, tolerance: TOLERANCE, groupWaitS: GROUP_WAIT_S, toRecordedMs: toRecorded, toReceivedMs: toReceived,
  });
  if (!goal) process.exitCode = 1;
}

await main();
