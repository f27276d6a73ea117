/**
 * The relay's beats waiting for the next flush, bounded. When the buffer is full, the beat shed
 * is the oldest of the host that has the most beats waiting: a host that beats fast, or a flood
 * under one name, loses its own history first, and every other host keeps its latest beat,
 * which is all that liveness needs. Beats held longer than a relay may hold them (rules/relay)
 * expire, since ingest would refuse them. Nothing is dropped without being counted, per host.
 */
import type { dts } from '../wire/generated/dts.js';

export interface BufferedBeat {
  readonly hostname: string;
  readonly beat: dts.IHeartbeatMessage;
  /** When the relay received it, ms since the epoch (its own clock). */
  readonly receivedAt: number;
}

export interface Dropped {
  /** Shed because the buffer was full. */
  shed: number;
  /** Held longer than a relay may hold a beat (SQS unreachable for that long). */
  expired: number;
  /** Per host, both causes together, for the first MAX_DROP_HOSTS hosts that lost any. */
  readonly byHost: Map<string, number>;
  /** Drops from hosts beyond those: a flood of names must not grow the relay's memory. */
  otherHosts: number;
}

/** Hosts whose drops are counted by name. */
export const MAX_DROP_HOSTS = 1000;

export class BeatBuffer {
  private readonly hosts = new Map<string, BufferedBeat[]>();
  private count = 0;
  private due = Infinity;
  /** Beats pushed since the relay started. */
  received = 0;
  readonly dropped: Dropped = { shed: 0, expired: 0, byHost: new Map(), otherHosts: 0 };

  /** `holdMs`: how long a beat may wait for the next flush (rules/relay relayHoldMs); 0: not at all. */
  constructor(
    private readonly maxBeats: number,
    private readonly maxHoldMs: number,
    private readonly holdMs: (beat: BufferedBeat) => number = () => 0,
  ) {}

  /** When the beat that may wait least must leave, ms since the epoch; Infinity when empty. */
  get dueAt(): number {
    return this.due;
  }

  get size(): number {
    return this.count;
  }

  get hostCount(): number {
    return this.hosts.size;
  }

  push(beat: BufferedBeat): void {
    this.received++;
    this.due = Math.min(this.due, beat.receivedAt + this.holdMs(beat));
    this.add(beat, 'back');
    this.enforce();
  }

  /** Everything waiting, oldest first per host; the buffer is left empty. */
  take(): BufferedBeat[] {
    const all = [...this.hosts.values()].flat();
    this.hosts.clear();
    this.count = 0;
    this.due = Infinity;
    return all;
  }

  /** Put back beats that could not be sent, ahead of newer ones, due again a hold from now; expired ones are dropped. */
  requeue(beats: readonly BufferedBeat[], now: number): void {
    for (const b of [...beats].reverse()) {
      if (now - b.receivedAt > this.maxHoldMs) this.drop(b.hostname, 'expired');
      else {
        this.add(b, 'front');
        this.due = Math.min(this.due, now + this.holdMs(b));
      }
    }
    this.enforce();
  }

  /** Drop beats held too long; returns how many. */
  expire(now: number): number {
    let n = 0;
    for (const [host, list] of this.hosts) {
      while (list.length > 0 && now - (list[0] as BufferedBeat).receivedAt > this.maxHoldMs) {
        list.shift();
        this.count--;
        this.drop(host, 'expired');
        n++;
      }
      if (list.length === 0) this.hosts.delete(host);
    }
    return n;
  }

  private add(beat: BufferedBeat, where: 'front' | 'back'): void {
    const list = this.hosts.get(beat.hostname);
    if (!list) this.hosts.set(beat.hostname, [beat]);
    else if (where === 'back') list.push(beat);
    else list.unshift(beat);
    this.count++;
  }

  private enforce(): void {
    while (this.count > this.maxBeats) {
      // The host with the most beats waiting; among equals, the one whose oldest beat is oldest.
      let victim: string | undefined;
      let most = 0;
      let oldest = Infinity;
      for (const [host, list] of this.hosts) {
        const first = (list[0] as BufferedBeat).receivedAt;
        if (list.length > most || (list.length === most && first < oldest)) {
          victim = host;
          most = list.length;
          oldest = first;
        }
      }
      if (victim === undefined) return;
      const list = this.hosts.get(victim) as BufferedBeat[];
      list.shift();
      if (list.length === 0) this.hosts.delete(victim);
      this.count--;
      this.drop(victim, 'shed');
    }
  }

  private drop(host: string, why: 'shed' | 'expired'): void {
    this.dropped[why]++;
    const before = this.dropped.byHost.get(host);
    if (before === undefined && this.dropped.byHost.size >= MAX_DROP_HOSTS) this.dropped.otherHosts++;
    else this.dropped.byHost.set(host, (before ?? 0) + 1);
  }
}
