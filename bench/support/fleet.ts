/**
 * A simulated fleet for soaks and end-to-end tests: N hosts labelled `rack=rN`, each beating
 * through the real SQS client at its own phase of the interval, directly (one HeartbeatMessage
 * each) or through relays (one HeartbeatBatch per relay flush), and a script of events at fixed
 * times: hosts stop, hosts revive, faults are set through the local cloud's `/_dts/faults`.
 *
 * What each host really sent, and when, is the ground truth that fleet-verdict.ts judges the
 * monitor's pages against. A send is recorded by when it was begun and when SQS acknowledged it:
 * SQS stamps SentTimestamp between the two.
 */
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { encodeBody } from '../../lib/wire/codec';
import { TYPE_ATTRIBUTE } from '../../lib/wire/attributes';

export interface Send {
  /** When the send (or, through a relay, the hand-over to the relay) began. */
  readonly start: number;
  /** When SQS acknowledged the message that carried it. */
  readonly ack: number;
}

export interface SimHost {
  readonly hostname: string;
  readonly rack: string;
  /** Seconds, as declared in every beat. */
  readonly interval: number;
  /** Acknowledged sends, in order of start. */
  readonly sends: Send[];
  /** Sends that SQS refused or that failed in flight. */
  failed: number;
  /** Stopped by the script when the run ended: its silence since is an outage, not the end of the simulation. */
  silentAtEnd: boolean;
}

export type FleetEvent =
  | { readonly at: number; readonly kind: 'stop'; readonly hosts: readonly string[]; readonly why?: string }
  | { readonly at: number; readonly kind: 'revive'; readonly hosts: readonly string[]; readonly why?: string }
  | { readonly at: number; readonly kind: 'fault'; readonly spec: string };

/** An event as it happened: `applied` is its wall time in ms. */
export type AppliedEvent = FleetEvent & { readonly applied: number };

export interface FleetOptions {
  readonly sqs: SQSClient;
  readonly heartbeatsQueueUrl: string;
  /** The local cloud's edge, for faults. */
  readonly endpoint: string;
  readonly hosts: number;
  readonly racks: number;
  /** Seconds between a host's beats. */
  readonly interval: number;
  /** Prefix of every hostname, unique per run. */
  readonly prefix: string;
  /** 0: every host sends its own HeartbeatMessage; k: hosts are spread over k relays. */
  readonly relays?: number;
  /** How often a relay flushes what it holds, in ms (default 1,000). */
  readonly relayFlushMs?: number;
  /** Sends in flight at most (default 8): a slow queue makes beats late, as it would a real fleet's. */
  readonly concurrency?: number;
}

export interface FleetRun {
  readonly startedAt: number;
  readonly endedAt: number;
  readonly hosts: readonly SimHost[];
  readonly events: readonly AppliedEvent[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `prefix-r<rack>-h<index>`: the rack is in the name too, so a page reads on its own. */
export function fleetHostname(prefix: string, rack: number, i: number): string {
  return `${prefix}-r${rack}-h${String(i).padStart(4, '0')}`;
}

/** Sets fault rules on the local cloud's edge (docs/LOCAL.md, "Fault injection"). */
export async function injectFaults(endpoint: string, spec: string): Promise<void> {
  const res = await fetch(`${endpoint}/_dts/faults`, { method: 'POST', body: spec, headers: { 'content-type': 'text/plain' } });
  if (!res.ok) throw new Error(`POST /_dts/faults ${JSON.stringify(spec)}: ${res.status} ${await res.text()}`);
}

export class Fleet {
  readonly hosts: SimHost[];
  private readonly byName = new Map<string, SimHost>();
  private readonly stopped = new Set<string>();
  private readonly due = new Map<string, number>();
  private inFlight = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly o: FleetOptions) {
    const perRack = Math.ceil(o.hosts / o.racks);
    this.hosts = Array.from({ length: o.hosts }, (_, i) => {
      const rack = Math.floor(i / perRack);
      return { hostname: fleetHostname(o.prefix, rack, i), rack: `r${rack}`, interval: o.interval, sends: [], failed: 0, silentAtEnd: false };
    });
    for (const h of this.hosts) this.byName.set(h.hostname, h);
  }

  /** The hostnames of rack `rN`. */
  rack(n: number): string[] {
    return this.hosts.filter((h) => h.rack === `r${n}`).map((h) => h.hostname);
  }

  /**
   * Beats for `seconds`, applying `events` (seconds from the start) as their times come, and
   * returns what was sent. `stopWhen`, asked once every event is applied, ends the run sooner:
   * a test keeps the fleet beating until what it waits for has happened. Every loop ends with
   * the run; the last sends are awaited.
   */
  async run(seconds: number, events: readonly FleetEvent[], o: { onEvent?: (e: AppliedEvent) => void; stopWhen?: () => boolean } = {}): Promise<FleetRun> {
    for (const e of events) if (e.kind !== 'fault') for (const h of e.hosts) if (!this.byName.has(h)) throw new Error(`event at ${e.at} s names ${h}, which is not in the fleet`);
    const startedAt = Date.now();
    const end = startedAt + seconds * 1000;
    // Each host at its own phase of the interval, spread evenly: beats arrive at a steady rate.
    this.hosts.forEach((h, i) => this.due.set(h.hostname, startedAt + (i / this.hosts.length) * h.interval * 1000));
    const pending = [...events].sort((a, b) => a.at - b.at);
    const applied: AppliedEvent[] = [];
    const relays = this.o.relays ?? 0;
    const flushMs = this.o.relayFlushMs ?? 1000;
    const held: Array<Array<{ host: SimHost; start: number }>> = Array.from({ length: relays }, () => []);
    let nextFlush = startedAt + flushMs;
    const sends: Promise<void>[] = [];

    while (Date.now() < end && !(pending.length === 0 && o.stopWhen?.())) {
      const now = Date.now();
      while (pending.length > 0 && startedAt + (pending[0] as FleetEvent).at * 1000 <= now) {
        const e = pending.shift() as FleetEvent;
        await this.apply(e, now);
        const a = { ...e, applied: Date.now() } as AppliedEvent;
        applied.push(a);
        o.onEvent?.(a);
      }
      const dueNow = this.hosts.filter((h) => !this.stopped.has(h.hostname) && (this.due.get(h.hostname) as number) <= now);
      for (const h of dueNow) this.due.set(h.hostname, (this.due.get(h.hostname) as number) + h.interval * 1000);
      if (relays === 0) {
        for (let i = 0; i < dueNow.length; i += 10) sends.push(this.sendDirect(dueNow.slice(i, i + 10)));
      } else {
        dueNow.forEach((h) => held[this.hosts.indexOf(h) % relays]?.push({ host: h, start: now }));
        if (now >= nextFlush) {
          nextFlush += flushMs;
          held.forEach((beats, r) => {
            if (beats.length > 0) sends.push(this.sendRelayed(r, beats.splice(0)));
          });
        }
      }
      const nextDue = Math.min(...[...this.due.entries()].filter(([h]) => !this.stopped.has(h)).map(([, t]) => t), end,
        pending.length > 0 ? startedAt + (pending[0] as FleetEvent).at * 1000 : end, relays > 0 ? nextFlush : end);
      await sleep(Math.max(5, Math.min(100, nextDue - Date.now())));
    }
    held.forEach((beats, r) => {
      if (beats.length > 0) sends.push(this.sendRelayed(r, beats.splice(0)));
    });
    await Promise.all(sends);
    for (const h of this.hosts) h.silentAtEnd = this.stopped.has(h.hostname);
    return { startedAt, endedAt: Date.now(), hosts: this.hosts, events: applied };
  }

  /**
   * Every host still beating says goodbye (a beat with `goodbye`), so that a fleet that is done
   * leaves no deaths behind for the next run on the same cloud.
   */
  async goodbye(): Promise<void> {
    const alive = this.hosts.filter((h) => !this.stopped.has(h.hostname));
    for (const h of alive) this.stopped.add(h.hostname);
    for (let i = 0; i < alive.length; i += 10) {
      await this.o.sqs.send(new SendMessageBatchCommand({
        QueueUrl: this.o.heartbeatsQueueUrl,
        Entries: alive.slice(i, i + 10).map((h, k) => ({
          Id: String(k), MessageBody: encodeBody('dts.HeartbeatMessage', { ...this.beat(h, Date.now()), goodbye: true }),
          MessageAttributes: { [TYPE_ATTRIBUTE]: { DataType: 'String', StringValue: 'dts.HeartbeatMessage' } },
        })),
      }));
    }
  }

  private async apply(e: FleetEvent, now: number): Promise<void> {
    if (e.kind === 'fault') return injectFaults(this.o.endpoint, e.spec);
    for (const h of e.hosts) {
      if (e.kind === 'stop') this.stopped.add(h);
      else if (this.stopped.delete(h)) this.due.set(h, now);
    }
  }

  private async slot(): Promise<void> {
    if (this.inFlight < (this.o.concurrency ?? 8)) {
      this.inFlight++;
      return;
    }
    await new Promise<void>((r) => this.waiting.push(r));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.inFlight--;
  }

  private beat(h: SimHost, at: number) {
    return { hostname: h.hostname, timestamp: at / 1000, interval: h.interval, labels: { rack: h.rack }, cpu: { percent: 20 }, mem: { percent: 40 }, disk: { percent: 50 } };
  }

  private async sendDirect(hosts: SimHost[]): Promise<void> {
    await this.slot();
    const start = Date.now();
    try {
      const out = await this.o.sqs.send(new SendMessageBatchCommand({
        QueueUrl: this.o.heartbeatsQueueUrl,
        Entries: hosts.map((h, i) => ({
          Id: String(i), MessageBody: encodeBody('dts.HeartbeatMessage', this.beat(h, start)),
          MessageAttributes: { [TYPE_ATTRIBUTE]: { DataType: 'String', StringValue: 'dts.HeartbeatMessage' } },
        })),
      }));
      const ack = Date.now();
      const failed = new Set((out.Failed ?? []).map((f) => f.Id));
      hosts.forEach((h, i) => (failed.has(String(i)) ? h.failed++ : h.sends.push({ start, ack })));
    } catch {
      for (const h of hosts) h.failed++;
    } finally {
      this.release();
    }
  }

  private async sendRelayed(relay: number, beats: Array<{ host: SimHost; start: number }>): Promise<void> {
    await this.slot();
    try {
      await this.o.sqs.send(new SendMessageBatchCommand({
        QueueUrl: this.o.heartbeatsQueueUrl,
        Entries: [{
          Id: '0',
          MessageBody: encodeBody('dts.HeartbeatBatch', {
            relay: `${this.o.prefix}-relay-${relay}`,
            beats: beats.map((b) => ({ beat: this.beat(b.host, b.start), receivedAt: b.start / 1000 })),
          }),
          MessageAttributes: { [TYPE_ATTRIBUTE]: { DataType: 'String', StringValue: 'dts.HeartbeatBatch' } },
        }],
      })).then((out) => {
        if ((out.Failed ?? []).length > 0) throw new Error(out.Failed?.[0]?.Message);
      });
      const ack = Date.now();
      for (const b of beats) b.host.sends.push({ start: b.start, ack });
    } catch {
      for (const b of beats) b.host.failed++;
    } finally {
      this.release();
    }
  }
}
