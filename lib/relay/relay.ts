/**
 * `dts relay`: a site's hosts beat (and log) over HTTP to the relay, which forwards their beats
 * in few SQS messages and their records through the producer. The relay beats too, in its own
 * batches, so a relay that stops is a host that dies; it says no goodbye, since the hosts
 * behind it go silent with it and its own down is the alert that explains theirs.
 */
import type { AddressInfo } from 'node:net';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { collect } from '../agent/agent';
import { CpuMeter } from '../agent/metrics';
import type { Producer } from '../producer/producer';
import { RELAY_MAX_HOLD_MS, relayHoldMs } from '../domain/host/relay-stamp';
import { BeatBuffer, MAX_DROP_HOSTS } from './beat-buffer';
import { Forwarder } from './forwarder';
import type { HostPolicy } from './host-policy';
import { createRelayServer } from './server';

export interface RelayOptions {
  /** host:port. */
  readonly listen: { host: string; port: number };
  readonly token: string;
  readonly sqs: SQSClient;
  readonly heartbeatsQueueUrl: string;
  /** Where records go, and checks' pings (it must know the heartbeats queue for those). */
  readonly logs?: Producer;
  /** The relay's own hostname. */
  readonly hostname: string;
  readonly version: string;
  /** Seconds between the relay's own beats. */
  readonly interval: number;
  /** The longest a beat waits to be forwarded, in seconds; never more than a third of its own interval. */
  readonly flushSeconds: number;
  readonly maxBeats: number;
  /** Bytes of beats held at most (--max-bytes). */
  readonly maxBytes: number;
  /** The hosts it may speak for (--hosts); absent: any, with a warning at start-up. */
  readonly hosts?: { readonly patterns: readonly string[]; readonly allowed: HostPolicy };
  readonly allowGoodbye?: boolean;
  readonly say: (line: string) => void;
  readonly stop: Promise<unknown>;
  /** Called once listening, with the address (port 0 picks a free one). */
  readonly onListening?: (address: string) => void;
}

const isLoopback = (address: string): boolean => /^(127\.|::1$|::ffff:127\.)/.test(address);

export async function runRelay(o: RelayOptions): Promise<number> {
  const started = Date.now();
  const flushMs = o.flushSeconds * 1000;
  const buffer = new BeatBuffer({ maxBeats: o.maxBeats, maxBytes: o.maxBytes }, RELAY_MAX_HOLD_MS, (b) => relayHoldMs(b.beat.interval ?? 0, flushMs), o.hostname);
  const forwarder = new Forwarder({ sqs: o.sqs, queueUrl: o.heartbeatsQueueUrl, buffer, relay: o.hostname, say: o.say });
  const stats = (): Record<string, unknown> => ({
    relay: o.hostname,
    uptimeSeconds: Math.round((Date.now() - started) / 1000),
    received: buffer.received,
    buffered: buffer.size,
    bufferedBytes: buffer.byteSize,
    hostsBuffered: buffer.hostCount,
    forwarded: forwarder.stats,
    dropped: { shed: buffer.dropped.shed, refused: buffer.dropped.refused, expired: buffer.dropped.expired, byHost: Object.fromEntries(buffer.dropped.byHost), otherHosts: buffer.dropped.otherHosts },
    ...(o.logs ? { logs: o.logs.stats() } : {}),
  });
  const server = createRelayServer({
    token: o.token, buffer, ...(o.logs ? { logs: o.logs, pings: o.logs } : {}), stats, ...(o.hosts ? { hosts: o.hosts.allowed } : {}), allowGoodbye: o.allowGoodbye === true,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.listen.port, o.listen.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const where = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  o.say(`listening on ${where} (plain HTTP); forwarding each beat within ${o.flushSeconds}s (a third of its interval at most), beating as ${o.hostname} every ${o.interval}s; holding at most ${o.maxBeats} beats and ${Math.round(o.maxBytes / 1024)} KiB`);
  if (!isLoopback(address.address)) o.say(`warning: ${where} is reachable from the network, over plain HTTP: anyone who can reach it can try the token, and the token travels in clear. Put it behind TLS, or --listen 127.0.0.1:PORT behind a proxy (docs/RELAY.md)`);
  o.say(o.hosts
    ? `speaking for hosts ${o.hosts.patterns.join(',')} only${o.allowGoodbye ? ', goodbyes passed on' : ''}`
    : `warning: speaking for ANY host: a holder of the token can beat, or go silent, as any host of the fleet. Name this site's hosts with --hosts 'web-*,db-?' or --hosts-file (docs/RELAY.md)`);
  o.onListening?.(where);

  // The relay's own beat, into its own buffer: it travels, and dies, with the hosts' beats.
  const cpu = new CpuMeter();
  let reportedDrops = 0;
  const ownBeat = async (): Promise<void> => {
    const { sample } = await collect(cpu, ['/']);
    const dropped = buffer.dropped.shed + buffer.dropped.expired;
    buffer.push({
      hostname: o.hostname,
      receivedAt: Date.now(),
      beat: {
        hostname: o.hostname, timestamp: Date.now() / 1000, interval: Math.round(o.interval),
        ...sample, agent: { name: 'dts-relay', version: o.version },
        labels: { 'dts.relay': 'true', 'dts.relay.dropped': String(dropped), 'dts.relay.hosts': String(buffer.hostCount) },
      },
    });
  };
  const warnDrops = (): void => {
    const dropped = buffer.dropped.shed + buffer.dropped.expired + buffer.dropped.refused;
    if (dropped === reportedDrops) return;
    const worst = [...buffer.dropped.byHost].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([h, n]) => `${h} ${n}`).join(', ');
    const others = buffer.dropped.otherHosts > 0 ? `; ${buffer.dropped.otherHosts} in all from hosts beyond the first ${MAX_DROP_HOSTS} named` : '';
    o.say(`dropped ${dropped - reportedDrops} beat(s) since the last report (${buffer.dropped.shed} shed for room, ${buffer.dropped.expired} held too long, ${buffer.dropped.refused} refused with 503 for lack of room, in all); most from: ${worst}${others}`);
    reportedDrops = dropped;
  };

  await ownBeat();
  // A flush when the beat that may wait least is due: a site of slow beats sends few requests,
  // and a fast beat is never held long enough to make its host look dead.
  const flushTimer = setInterval(() => {
    if (buffer.dueAt > Date.now()) return;
    warnDrops();
    void forwarder.flush();
  }, Math.min(1000, flushMs));
  const beatTimer = setInterval(() => void ownBeat(), o.interval * 1000);

  await o.stop;
  clearInterval(flushTimer);
  clearInterval(beatTimer);
  server.close();
  server.closeAllConnections();
  await forwarder.flush();
  warnDrops();
  const flushed = o.logs ? await o.logs.close({ timeoutMs: 10_000 }) : { ok: true, buffered: 0 };
  const left = buffer.size;
  o.say(`stopped: ${forwarder.stats.sent} beat(s) forwarded in ${forwarder.stats.messages} message(s)${left ? `; ${left} beat(s) NOT sent` : ''}${flushed.ok ? '' : `; ${flushed.buffered} log record(s) NOT sent`}`);
  return left === 0 && flushed.ok ? 0 : 1;
}
