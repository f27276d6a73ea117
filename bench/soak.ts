/**
 * The soak of issue 26, as an operator runs one before trusting a monitor: the local cloud on
 * its real schedule (diagnose at `rate(1 minute)`), a fleet of hosts labelled by rack beating
 * every few seconds, real deaths, a rack storm, revivals, and one runtime fault that slows
 * ingest. A subscriber on the alerts topic records every notification; each page is then judged
 * against what the hosts really sent (bench/support/fleet-verdict.ts).
 *
 *   npm run bench:soak                                  # 300 hosts, every 10 s, 14 minutes
 *   npm run bench:soak -- --minutes 5 --hosts 120 --interval 5 [--tick 10] [--relays 4]
 *
 * The script, at fractions of the run (the full run's seconds in brackets):
 *   1/7  [120] one host in each of racks r0–r4 stops
 *   2/7  [240] rack r7 stops whole (a storm)
 *   3/7  [360] three of those single hosts come back
 *   1/2  [420] rack r7 comes back
 *   4/7  [480] the fault (--fault, --fault-at), for 60 s by default
 *        fault + 10 s: two hosts stop while it lasts (real deaths during the lag)
 *   11/14 [660] one more host stops
 *   13/14 [780] one of the hosts that stopped during the fault comes back
 */
import { parseArgs } from 'node:util';
import { GetQueueAttributesCommand, ListQueuesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { NotificationStore } from '../lib/adapters/dynamodb/notifications';
import { subscribeToAlerts } from './support/alert-subscriber';
import { Fleet, type FleetEvent } from './support/fleet';
import { judgeFleet, type Latency, type Verdict } from './support/fleet-verdict';
import { startBenchCloud } from './support/local-cloud';
import { header, saveResult, table } from './support/report';
import { sig } from './support/stats';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '14' },
    hosts: { type: 'string', default: '300' },
    interval: { type: 'string', default: '10' },
    racks: { type: 'string', default: '10' },
    tolerance: { type: 'string', default: '3' },
    tick: { type: 'string' },
    relays: { type: 'string', default: '0' },
    'fault-at': { type: 'string' },
    fault: { type: 'string' },
  },
});
const number = (name: keyof typeof args, min: number): number => {
  const v = Number(args[name]);
  if (!Number.isFinite(v) || v < min) throw new Error(`--${name} must be a number of at least ${min}, not ${JSON.stringify(args[name])}`);
  return v;
};
const STAGE = 'local';
const SECONDS = number('minutes', 1) * 60;
const HOSTS = number('hosts', 10);
const INTERVAL = number('interval', 1);
const RACKS = number('racks', 9);
const TOLERANCE = number('tolerance', 1);
// The script names racks r0 to r8 and takes the fourth host of a rack.
if (HOSTS / RACKS < 4) throw new Error(`--hosts ${HOSTS} over --racks ${RACKS} leaves fewer than 4 hosts a rack`);
const TICK = args.tick === undefined ? undefined : number('tick', 1);
const RELAYS = number('relays', 0);
const at = (fraction: number) => Math.round(SECONDS * fraction);
const FAULT_AT = args['fault-at'] === undefined ? at(4 / 7) : number('fault-at', 0);
const FAULT = args.fault ?? `dynamodb:*@dts-${STAGE}-hosts=throttle,rate=0.3,for=60s; sns:Publish=5xx,rate=0.5,for=60s`;
/** One diagnose period, and slack for a pass that runs long under load. */
const PERIOD_S = TICK ?? 60;
const GRACE_MS = (PERIOD_S + 15) * 1000;

function script(fleet: Fleet): FleetEvent[] {
  const single = (rack: number) => fleet.rack(rack)[3] as string;
  const singles = [0, 1, 2, 3, 4].map(single);
  const duringFault = [fleet.rack(5).at(-2) as string, fleet.rack(6).at(-1) as string];
  return [
    { at: at(1 / 7), kind: 'stop', hosts: singles, why: 'single deaths in r0–r4' },
    { at: at(2 / 7), kind: 'stop', hosts: fleet.rack(7), why: 'rack r7 (a storm)' },
    { at: at(3 / 7), kind: 'revive', hosts: singles.slice(0, 3), why: 'three single deaths come back' },
    { at: at(1 / 2), kind: 'revive', hosts: fleet.rack(7), why: 'rack r7 comes back' },
    { at: FAULT_AT, kind: 'fault', spec: FAULT },
    { at: FAULT_AT + 10, kind: 'stop', hosts: duringFault, why: 'two deaths during the fault' },
    { at: at(11 / 14), kind: 'stop', hosts: [single(8)], why: 'one more death in r8' },
    { at: at(13 / 14), kind: 'revive', hosts: duringFault.slice(0, 1), why: 'one of the fault-time deaths comes back' },
  ].filter((e) => e.at < SECONDS) as FleetEvent[];
}

/** Messages waiting and in flight on every DLQ of the stage, at the end. */
async function dlqDepths(sqs: SQSClient): Promise<Record<string, number>> {
  const { QueueUrls = [] } = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: `dts-${STAGE}-` }));
  const out: Record<string, number> = {};
  for (const url of QueueUrls.filter((u) => /dlq|failures/.test(u))) {
    const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    out[url.split('/').at(-1) as string] = Number(Attributes.ApproximateNumberOfMessages ?? 0) + Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0);
  }
  return out;
}

const ms = (l: Latency) => (l.n === 0 ? '—' : `p50 ${sig(l.p50 / 1000)} s, p95 ${sig(l.p95 / 1000)} s, max ${sig(l.max / 1000)} s (n ${l.n})`);

async function main(): Promise<void> {
  header(`Soak (issue 26): ${HOSTS} hosts in ${RACKS} racks every ${INTERVAL} s for ${SECONDS / 60} min, diagnose ${TICK ? `every ${TICK} s (--tick)` : 'at rate(1 minute)'}${RELAYS ? `, through ${RELAYS} relays` : ''}`);
  const cloud = await startBenchCloud({ stage: STAGE, ...(TICK ? { tick: TICK } : {}), params: { tolerance: TOLERANCE } });
  const c = cloud.clients;
  const run = Date.now().toString(36);
  let verdict: Verdict;
  let dlqs: Record<string, number>;
  const backlog: Array<{ t: number; waiting: number; inFlight: number }> = [];
  let startedAt = 0;
  try {
    const subscriber = await subscribeToAlerts(c.sqs, c.sns, cloud.topicArn('alerts'), `soak-alerts-${run}`);
    const fleet = new Fleet({
      sqs: c.sqs, heartbeatsQueueUrl: cloud.queueUrl('heartbeats'), endpoint: cloud.endpoint,
      hosts: HOSTS, racks: RACKS, interval: INTERVAL, prefix: `soak-${run}`, relays: RELAYS,
    });
    const events = script(fleet);
    let sampling = true;
    // The heartbeats queue every 5 s: how far ingest fell behind, in messages.
    const sampler = (async () => {
      while (sampling) {
        const { Attributes = {} } = await c.sqs.send(new GetQueueAttributesCommand({
          QueueUrl: cloud.queueUrl('heartbeats'), AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        })).catch(() => ({ Attributes: undefined }));
        backlog.push({ t: Date.now(), waiting: Number(Attributes.ApproximateNumberOfMessages ?? 0), inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) });
        await new Promise((r) => setTimeout(r, 5000));
      }
    })();
    startedAt = Date.now();
    const result = await fleet.run(SECONDS, events, { onEvent: (e) => {
      console.log(`  ${sig((e.applied - startedAt) / 1000)} s  ${e.kind === 'fault' ? `fault: ${e.spec}` : `${e.kind} ${e.hosts.length} host(s): ${e.why ?? ''}`}`);
    } });
    // The hosts still beating leave, so that no death follows the end of the script.
    await fleet.goodbye();
    sampling = false;
    await sampler;
    const alerts = await subscriber.stop({ quietMs: 5000, maxMs: 60_000 });
    const observedUntil = Date.now();

    const notes = new NotificationStore(c.ddb, cloud.table('notifications'), 90);
    const recorded = new Map<string, number[]>();
    for (const h of result.hosts) {
      const sends = [...h.sends].sort((a, b) => a.start - b.start);
      const hasGap = sends.some((s, i) => (sends[i + 1]?.start ?? observedUntil) - s.ack > h.interval * TOLERANCE * 1000);
      if (!hasGap) continue;
      const downs = (await notes.byHost(h.hostname, result.startedAt - 60_000, observedUntil + 60_000, 1000)).filter((n) => n.kind === 'host-down');
      recorded.set(h.hostname, downs.map((n) => n.at));
    }
    verdict = judgeFleet(result.hosts, alerts, {
      tolerance: TOLERANCE, graceMs: GRACE_MS, observedUntil,
      recordedDown: (hostname, from, until) => (recorded.get(hostname) ?? []).some((t) => t >= from && t <= until + INTERVAL * TOLERANCE * 1000),
    });
    dlqs = await dlqDepths(c.sqs);
    const firstFalse = alerts.filter((a) => a.kind === 'host-down' && verdict.falsePageHosts.includes(a.hostname)).map((a) => a.receivedAt).sort((a, b) => a - b);
    const degraded = alerts.find((a) => a.kind === 'monitor-degraded')?.receivedAt;
    const peak = backlog.reduce((m, b) => (b.waiting + b.inFlight > m.waiting + m.inFlight ? b : m), { t: 0, waiting: 0, inFlight: 0 });
    const rel = (t: number | undefined) => (t === undefined ? '—' : `${sig((t - startedAt) / 1000)} s`);

    console.log(`\n${verdict.beats.toLocaleString('en')} beats acknowledged, ${verdict.failedSends} failed sends; ${verdict.notifications} notifications: ${Object.entries(verdict.byKind).map(([k, n]) => `${k} ${n}`).join(', ')}`);
    console.log(`heartbeats queue at its peak (${rel(peak.t)}): ${peak.waiting} waiting, ${peak.inFlight} in flight; monitor-degraded at ${rel(degraded)}; first false page at ${rel(firstFalse[0])}, last at ${rel(firstFalse.at(-1))}`);
    console.log(table([
      ['figure', 'value', 'goal'],
      ['false host-down pages', `${verdict.falsePages} of ${verdict.hostDownPages}`, '0'],
      ['  their hosts had last begun a beat … before', ms(verdict.falsePageBeatAgeMs), ''],
      ['  retracted', verdict.retractedFalsePages, 'all'],
      ['hosts a storm message named while beating', verdict.falseStormNames, '0'],
      ['real deaths (that had to be named)', `${verdict.deaths} (${verdict.deathsToName})`, ''],
      ['missed deaths', verdict.missed.length, '0'],
      ['unnamed deaths (recorded, never in a message)', verdict.unnamed.length, '0'],
      ['deaths paged twice', verdict.pagedTwice, '0'],
      ['detection: deadline → first message naming it', ms(verdict.detectionMs), ''],
      ['recovery: first beat back → first message naming it', ms(verdict.recoveryMs), ''],
      ['named deaths back in time whose recovery no message named', verdict.incidentsLeftOpen, '0'],
      ['host-recovered with no host-down before it', verdict.recoveriesWithoutPage, '0'],
      ['duplicates (same notification id twice)', verdict.duplicates, '0'],
      ['DLQ messages at the end', Object.entries(dlqs).map(([q, n]) => `${q.replace(`dts-${STAGE}-`, '')} ${n}`).join(', '), '0'],
    ]));
    if (verdict.missed.length + verdict.unnamed.length > 0) console.log(`not named: ${[...verdict.missed, ...verdict.unnamed].slice(0, 10).join(', ')}`);
  } finally {
    await cloud.stop();
  }
  const argv = process.argv.slice(2).join(' ');
  saveResult('soak', `npm run bench:soak${argv ? ` -- ${argv}` : ''}`, SECONDS < 14 * 60 || HOSTS < 300, {
    hosts: HOSTS, racks: RACKS, intervalS: INTERVAL, tolerance: TOLERANCE, minutes: SECONDS / 60, tickS: TICK ?? 'rate(1 minute)', relays: RELAYS,
    faultAtS: FAULT_AT, fault: FAULT, graceMs: GRACE_MS,
    verdict: { ...verdict, falsePageHosts: verdict.falsePageHosts.length },
    dlqs,
    heartbeatsQueue: backlog.map((b) => ({ s: Math.round((b.t - startedAt) / 1000), waiting: b.waiting, inFlight: b.inFlight })),
  });
}

await main();
