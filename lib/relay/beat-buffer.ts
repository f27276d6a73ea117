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
  /**
   * Hosts by the number of beats they have waiting, each set in the order its hosts reached
   * that number, and the highest number: the host to shed from is found in constant time, not by
   * a walk over every host at each beat once the buffer is full.
   */
  private readonly byCount = new Map<number, Set<string>>();
  private top = 0;
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
    this.byCount.clear();
    this.top = 0;
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
        this.recount(host, list.length + 1, list.length);
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
    const n = list ? list.length : 1;
    this.recount(beat.hostname, n - 1, n);
    this.count++;
  }

  /** Move a host between the count sets: it had `from` beats waiting, it has `to`. */
  private recount(host: string, from: number, to: number): void {
    const was = this.byCount.get(from);
    was?.delete(host);
    if (was?.size === 0) this.byCount.delete(from);
    if (to > 0) {
      let set = this.byCount.get(to);
      if (!set) this.byCount.set(to, (set = new Set()));
      set.add(host);
      this.top = Math.max(this.top, to);
    }
    while (this.top > 0 && !this.byCount.get(this.top)?.size) this.byCount.delete(this.top--);
  }

  private enforce(): void {
    while (this.count > this.maxBeats) {
      // The host with the most beats waiting; among equals, the one that reached that many first.
      const victim = this.byCount.get(this.top)?.values().next().value;
      if (victim === undefined) return;
      const list = this.hosts.get(victim) as BufferedBeat[];
      list.shift();
      this.recount(victim, list.length + 1, list.length);
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
