import type { Beat, Host, MetricLevel, Metric } from '../../lib/domain/model';
import type { HostPagesPort, HostsPort, HostFilter, Announce, BeatWrite, StateChange } from '../../lib/ports';
import { slotOf } from '../../lib/domain/host/history';
import { encodeSlot, slotAttribute } from '../../lib/domain/host/hour-ring';
import { itemToHost, seenAttribute } from '../../lib/adapters/dynamodb/hosts';
import { outboxAttribute } from '../../lib/adapters/dynamodb/outbox-item';
import { notificationAttributes } from '../../lib/adapters/dynamodb/notification-item';
import { copy, hashOf, segmentOf, type Item } from './item';

const PEAK_DAYS = 2;

function putOutbox(item: Item, announce: Announce | undefined): void {
  for (const n of announce?.notifications ?? []) item[outboxAttribute(n.id)] = { ...notificationAttributes(n), queuedAt: announce?.queuedAt };
}

/**
 * The hosts table in memory. It keeps the same item as DynamoDB (attribute for attribute, read
 * back through the same `itemToHost`), and each write checks the same condition on the stored
 * attributes before it changes anything, so a stale or raced write fails here as it does there.
 * Its pages for the API walk the hosts in hash order, as a Scan does.
 */
export class MemoryHosts implements HostsPort, HostPagesPort {
  private readonly items = new Map<string, Item>();

  /** Rows per scan page; small, so that callers meet several pages as they do on a big table. */
  constructor(private readonly pageSize = 100) {}

  /** Put hosts as they are, as a test's or a bench's starting state. */
  seed(hosts: Iterable<Host>): this {
    for (const h of hosts) {
      const { levels, dailyPeaks, hourly, pending, ...rest } = copy(h);
      const item: Item = { ...rest, cpuLevel: levels.cpu, memLevel: levels.mem, diskLevel: levels.disk };
      for (const [day, peaks] of Object.entries(dailyPeaks ?? {})) {
        for (const [r, v] of Object.entries(peaks)) item[seenAttribute(r as Metric, Date.parse(`${day}T00:00:00Z`))] = new Set([v]);
      }
      for (const slot of hourly ?? []) item[slotAttribute(slot.hour)] = encodeSlot(slot);
      for (const p of pending ?? []) putOutbox(item, { notifications: [p.notification], queuedAt: p.queuedAt });
      this.items.set(h.hostname, item);
    }
    return this;
  }

  async recordBeat(beat: Beat, cpuStreakExtends: boolean, goodbye?: Announce): Promise<BeatWrite> {
    const old = this.items.get(beat.hostname);
    const rcv = beat.receivedAt;
    const newer = old?.lastBeat === undefined || (old.lastBeat as number) < rcv;
    if (!newer || (goodbye && old?.state === 'left')) {
      return goodbye ? this.recordBeat(beat, cpuStreakExtends) : { stale: true };
    }
    const item: Item = old ? copy(old) : { hostname: beat.hostname };
    Object.assign(item, copy({ lastBeat: rcv, sentAt: beat.sentAt, skewMs: beat.sentAt - rcv, interval: beat.interval, labels: beat.labels }));
    item.firstSeen ??= rcv;
    item.resumedAt ??= rcv;
    if (beat.goodbye) {
      item.state = 'left';
      item.stateSince = rcv;
    } else {
      item.state ??= 'new';
      item.stateSince ??= rcv;
    }
    for (const key of ['cpu', 'mem', 'disk', 'agent', 'uptime'] as const) {
      if (beat[key] === undefined) Reflect.deleteProperty(item, key);
      else item[key] = copy(beat[key]);
    }
    for (const resource of ['cpu', 'mem', 'disk'] as const) {
      const sample = beat[resource];
      if (sample === undefined) continue;
      const seen = seenAttribute(resource, rcv);
      item[seen] = new Set([...((item[seen] as Set<number> | undefined) ?? []), Math.round(sample.percent)]);
      for (const ago of [PEAK_DAYS, PEAK_DAYS + 1]) Reflect.deleteProperty(item, seenAttribute(resource, rcv - ago * 86_400_000));
    }
    const slot = slotOf(beat);
    if (slot) item[slotAttribute(slot.hour)] = encodeSlot(slot);
    if (beat.cpu !== undefined) item.cpuStreak = cpuStreakExtends ? Number(item.cpuStreak ?? 0) + 1 : 0;
    putOutbox(item, goodbye);
    this.items.set(beat.hostname, item);
    return { stale: false, previous: old ? itemToHost(copy(old)) : undefined, left: goodbye !== undefined };
  }

  async commitLevels(hostname: string, lastBeat: number, levels: Record<Metric, MetricLevel>, announce: Announce = { notifications: [], queuedAt: lastBeat }, skewed?: boolean): Promise<boolean> {
    return this.update(hostname, (item) => item.lastBeat === lastBeat, (item) => {
      Object.assign(item, { cpuLevel: levels.cpu, memLevel: levels.mem, diskLevel: levels.disk });
      putOutbox(item, announce);
      if (skewed !== undefined) item.skewed = skewed;
    });
  }

  async changeState(change: StateChange): Promise<boolean> {
    // One expression may not SET and REMOVE the same attribute: DynamoDB refuses it outright.
    if (change.to === 'retired' && change.changes !== undefined) throw new Error('ValidationException: Two document paths overlap (changes)');
    return this.update(change.hostname, (item) => (
      item.state === change.from && item.stateSince === change.fromSince && (!change.requireSilence || item.lastBeat === change.lastBeat)
    ), (item) => {
      item.state = change.to;
      item.stateSince = change.at;
      putOutbox(item, change.announce);
      if (change.to === 'dead') {
        item.outageStart = change.outageStart ?? change.lastBeat;
        delete item.resumedAt;
      } else {
        delete item.outageStart;
      }
      if (change.to === 'dead' && change.stormIncident !== undefined) item.stormIncident = change.stormIncident;
      else delete item.stormIncident;
      if (change.changes !== undefined) {
        item.changes = [...change.changes];
        if (change.flappingSince === undefined) delete item.flappingSince;
        else item.flappingSince = change.flappingSince;
      }
      if (change.to === 'retired') {
        delete item.changes;
        delete item.flappingSince;
      }
    });
  }

  async endFlapping(hostname: string, flappingSince: number, announce?: Announce): Promise<boolean> {
    return this.update(hostname, (item) => item.flappingSince === flappingSince, (item) => {
      putOutbox(item, announce);
      delete item.flappingSince;
    });
  }

  async enqueue(hostname: string, announce: Announce): Promise<boolean> {
    if (announce.notifications.length === 0) return true;
    return this.update(hostname, () => true, (item) => putOutbox(item, announce));
  }

  async settle(hostname: string, id: string): Promise<void> {
    await this.update(hostname, () => true, (item) => {
      Reflect.deleteProperty(item, outboxAttribute(id));
    });
  }

  async *scanSegment(segment: number, totalSegments: number): AsyncGenerator<Host[]> {
    const mine = [...this.items.values()].filter((item) => segmentOf(item.hostname as string, totalSegments) === segment);
    let i = 0;
    // DynamoDB answers an empty segment with one empty page, as here.
    do {
      yield mine.slice(i, i + this.pageSize).map((item) => itemToHost(copy(item)));
      i += this.pageSize;
    } while (i < mine.length);
  }

  async list(totalSegments = 4): Promise<Host[]> {
    const out: Host[] = [];
    for (let s = 0; s < totalSegments; s++) for await (const page of this.scanSegment(s, totalSegments)) out.push(...page);
    return out;
  }

  async get(hostname: string): Promise<Host | undefined> {
    const item = this.items.get(hostname);
    return item ? itemToHost(copy(item)) : undefined;
  }

  async getMany(hostnames: readonly string[]): Promise<Host[]> {
    return [...new Set(hostnames)].flatMap((h) => {
      const item = this.items.get(h);
      return item ? [itemToHost(copy(item))] : [];
    });
  }

  async remove(hostname: string): Promise<boolean> {
    return this.items.delete(hostname);
  }

  async page(filter: HostFilter, limit: number, after?: string): Promise<{ hosts: Host[]; next: string | undefined }> {
    const from = after === undefined ? undefined : hashOf(after);
    const ordered = [...this.items.values()]
      .map((item) => ({ item, hash: hashOf(item.hostname as string) }))
      .filter((x) => from === undefined || x.hash > from)
      .sort((a, b) => (a.hash < b.hash ? -1 : 1));
    const hosts: Host[] = [];
    let read = 0;
    for (const { item } of ordered) {
      if (hosts.length >= limit) break;
      read++;
      const labels = item.labels as Record<string, string> | undefined;
      if (filter.state !== undefined && item.state !== filter.state) continue;
      if (filter.label !== undefined && labels?.[filter.label.key] !== filter.label.value) continue;
      if (filter.prefix && !(item.hostname as string).startsWith(filter.prefix)) continue;
      hosts.push(itemToHost(copy(item)));
    }
    const last = ordered[read - 1];
    return { hosts, next: read < ordered.length && last ? (last.item.hostname as string) : undefined };
  }

  /** A conditional update of an existing item: false, and nothing changed, when it fails. */
  private update(hostname: string, condition: (item: Item) => boolean, apply: (item: Item) => void): boolean {
    const old = this.items.get(hostname);
    if (!old || !condition(old)) return false;
    const item = copy(old);
    apply(item);
    this.items.set(hostname, item);
    return true;
  }
}
