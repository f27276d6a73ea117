/**
 * The relay's beats waiting for the next flush, bounded in beats and in bytes. When the buffer is
 * full, the beat shed is the oldest of the host that has the most beats waiting: a host that beats
 * fast, or a flood under one name, loses its own history first. Only beats that are not their
 * host's latest are ever shed for room: a beat that would need another host's latest beat shed
 * (a new name in a buffer full of latest beats) is refused instead, and its sender gets 503. So a
 * flood of new names never evicts a host that already has a beat waiting. The relay's own beats
 * are kept apart, outside both caps, and never shed. Beats held longer than a relay may hold them
 * (rules/relay) expire, since ingest would refuse them. Nothing is dropped without being counted.
 */
import { dts } from '../wire/generated/dts.js';

export interface BufferedBeat {
  readonly hostname: string;
  /** The beat; when `encoded` holds it, only what the buffer reads of it (its interval). */
  readonly beat: dts.IHeartbeatMessage;
  /** When the relay received it, ms since the epoch (its own clock). */
  readonly receivedAt: number;
  /**
   * The beat as the RelayedBeat it is forwarded as: how the relay holds a sender's beat, in bytes
   * of its own (off the V8 heap, which frees them as soon as they are dropped or sent) rather
   * than as decoded strings, which would wait in the old generation for a full collection.
   */
  readonly encoded?: Uint8Array;
  /** What it weighs against --max-bytes; default beatBytes. */
  readonly bytes?: number;
}

/**
 * What holding one beat costs besides its bytes: the entry, its Uint8Array and backing store,
 * its place in the host's list and map, its name.
 */
export const ENTRY_BYTES = 256;

/** A beat's weight: the bytes held for it, its encoding exactly (or its JSON), and the entry's own. */
export function beatBytes(b: Pick<BufferedBeat, 'hostname' | 'beat' | 'encoded'>): number {
  return (b.encoded ? b.encoded.byteLength : Buffer.byteLength(JSON.stringify(b.beat))) + 2 * b.hostname.length + ENTRY_BYTES;
}

/**
 * A beat as the relay holds it: encoded once, as it will be forwarded, in a buffer of its own
 * size. (A small encoding is a view of Node's shared 8 KiB pool; held, it would keep the whole
 * pool alive, and weigh 8 KiB, not what it counts.)
 */
export function heldBeat(hostname: string, beat: dts.IHeartbeatMessage, receivedAt: number): BufferedBeat {
  const view = dts.RelayedBeat.encode({ beat, receivedAt: receivedAt / 1000 }).finish();
  const encoded = view.byteLength === view.buffer.byteLength ? view : new Uint8Array(view);
  const held = { hostname, beat: { interval: beat.interval ?? 0 }, receivedAt, encoded };
  return { ...held, bytes: beatBytes(held) };
}

export interface BufferLimits {
  readonly maxBeats: number;
  readonly maxBytes: number;
}

type Held = BufferedBeat & { readonly bytes: number };

export interface Dropped {
  /** Shed because the buffer was full. */
  shed: number;
  /** Refused at the door (503): the buffer was full of every host's latest beat. */
  refused: number;
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
  private readonly hosts = new Map<string, Held[]>();
  /** The relay's own beats: outside the caps, never shed (its beat is what explains its hosts'). */
  private own: Held[] = [];
  /**
   * Hosts by the number of beats they have waiting, each set in the order its hosts reached
   * that number, and the highest number: the host to shed from is found in constant time, not by
   * a walk over every host at each beat once the buffer is full.
   */
  private readonly byCount = new Map<number, Set<string>>();
  private top = 0;
  private count = 0;
  private bytes = 0;
  /** The bytes of every host's latest beat: what cannot be shed to make room. */
  private latestBytes = 0;
  /**
   * The bytes taken by a flush still under way: they are still in memory (and come back if it
   * fails), so they count against --max-bytes until `settle()`. The relay's whole hold of beats
   * is so bounded by --max-bytes, not twice it, however long SQS stays away.
   */
  private inFlightBytes = 0;
  private due = Infinity;
  private readonly maxBeats: number;
  private readonly maxBytes: number;
  /** Beats pushed since the relay started. */
  received = 0;
  readonly dropped: Dropped = { shed: 0, refused: 0, expired: 0, byHost: new Map(), otherHosts: 0 };

  /**
   * `limits`: beats and bytes held at most (a number: beats, bytes unbounded). `holdMs`: how long
   * a beat may wait for the next flush (rules/relay relayHoldMs); 0: not at all. `ownHostname`:
   * the relay's own name, whose beats are kept apart.
   */
  constructor(
    limits: number | BufferLimits,
    private readonly maxHoldMs: number,
    private readonly holdMs: (beat: BufferedBeat) => number = () => 0,
    private readonly ownHostname?: string,
  ) {
    this.maxBeats = typeof limits === 'number' ? limits : limits.maxBeats;
    this.maxBytes = typeof limits === 'number' ? Infinity : limits.maxBytes;
  }

  /** What the hosts' beats waiting weigh, in bytes (the relay's own beats aside). */
  get byteSize(): number {
    return this.bytes;
  }

  /** When the beat that may wait least must leave, ms since the epoch; Infinity when empty. */
  get dueAt(): number {
    return this.due;
  }

  get size(): number {
    return this.count + this.own.length;
  }

  get hostCount(): number {
    return this.hosts.size + (this.own.length > 0 ? 1 : 0);
  }

  /**
   * Hold a beat; false when it is refused for room: the buffer holds nothing but every host's
   * latest beat, and this beat would not fit beside them (a new name, or a host's beat grown).
   */
  push(beat: BufferedBeat): boolean {
    this.received++;
    const held: Held = { ...beat, bytes: beat.bytes ?? beatBytes(beat) };
    if (beat.hostname !== this.ownHostname && !this.fits(held)) {
      this.dropped.refused++;
      return false;
    }
    this.due = Math.min(this.due, beat.receivedAt + this.holdMs(beat));
    if (beat.hostname === this.ownHostname) this.own.push(held);
    else {
      this.add(held, 'back');
      this.enforce(false);
    }
    return true;
  }

  /** Whether every host's latest beat, with this one as its host's latest, stays within both caps. */
  private fits(b: Held): boolean {
    const previous = this.hosts.get(b.hostname)?.at(-1);
    const hosts = this.hosts.size + (previous ? 0 : 1);
    const latest = this.latestBytes - (previous?.bytes ?? 0) + b.bytes;
    return hosts <= this.maxBeats && latest + this.inFlightBytes <= this.maxBytes;
  }

  /** The flush that took the beats is over: sent, or put back with `requeue`. */
  settle(): void {
    this.inFlightBytes = 0;
  }

  /** Everything waiting, oldest first per host; the buffer is left empty. */
  take(): BufferedBeat[] {
    const all = [...this.own, ...[...this.hosts.values()].flat()];
    this.inFlightBytes += this.bytes;
    this.own = [];
    this.hosts.clear();
    this.byCount.clear();
    this.top = 0;
    this.count = 0;
    this.bytes = 0;
    this.latestBytes = 0;
    this.due = Infinity;
    return all;
  }

  /**
   * Put back beats that could not be sent, ahead of newer ones, due again a hold from now; expired
   * ones are dropped. Beats that arrived during the failed flush may leave no room for them all:
   * then the oldest go, by the shedding rule, down to a host's latest beat if need be.
   */
  requeue(beats: readonly BufferedBeat[], now: number): void {
    this.settle();
    for (const b of [...beats].reverse()) {
      const held: Held = { ...b, bytes: b.bytes ?? beatBytes(b) };
      if (now - b.receivedAt > this.maxHoldMs) this.drop(b.hostname, 'expired');
      else {
        if (b.hostname === this.ownHostname) this.own.unshift(held);
        else this.add(held, 'front');
        this.due = Math.min(this.due, now + this.holdMs(b));
      }
    }
    this.enforce(true);
  }

  /** Drop beats held too long; returns how many. */
  expire(now: number): number {
    let n = 0;
    for (const [host, list] of this.hosts) {
      while (list.length > 0 && now - (list[0] as Held).receivedAt > this.maxHoldMs) {
        this.removeOldest(host, list);
        this.drop(host, 'expired');
        n++;
      }
    }
    const kept = this.own.filter((b) => now - b.receivedAt <= this.maxHoldMs);
    for (let i = kept.length; i < this.own.length; i++) this.drop(this.ownHostname ?? '', 'expired');
    n += this.own.length - kept.length;
    this.own = kept;
    return n;
  }

  private add(beat: Held, where: 'front' | 'back'): void {
    const list = this.hosts.get(beat.hostname);
    if (!list) {
      this.hosts.set(beat.hostname, [beat]);
      this.latestBytes += beat.bytes;
    } else if (where === 'back') {
      this.latestBytes += beat.bytes - (list.at(-1) as Held).bytes;
      list.push(beat);
    } else list.unshift(beat);
    const n = list ? list.length : 1;
    this.recount(beat.hostname, n - 1, n);
    this.count++;
    this.bytes += beat.bytes;
  }

  private removeOldest(host: string, list: Held[]): void {
    const gone = list.shift() as Held;
    this.recount(host, list.length + 1, list.length);
    this.count--;
    this.bytes -= gone.bytes;
    if (list.length === 0) {
      this.hosts.delete(host);
      this.latestBytes -= gone.bytes;
    }
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

  /** Shed until within both caps: beats that are not their host's latest, or (`anyBeat`) any. */
  private enforce(anyBeat: boolean): void {
    while (this.count > this.maxBeats || this.bytes + this.inFlightBytes > this.maxBytes) {
      if (this.top < 2 && !anyBeat) return;
      // The host with the most beats waiting; among equals, the one that reached that many first.
      const victim = this.byCount.get(this.top)?.values().next().value;
      if (victim === undefined) return;
      this.removeOldest(victim, this.hosts.get(victim) as Held[]);
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
