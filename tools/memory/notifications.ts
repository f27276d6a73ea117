import type { Notification } from '../../lib/domain/model';
import { dayOf, daysBetween } from '../../lib/domain/model/days';
import type { NotificationsPort, NotificationFilter, NotificationPageQuery, StoredNotification } from '../../lib/ports';
import { notificationDayKey, notificationDayKeys, notificationSortKey } from '../../lib/adapters/dynamodb/keys';
import { notificationAttributes, notificationFromItem } from '../../lib/adapters/dynamodb/notification-item';
import { copy, type Item } from './item';

const desc = (a: Item, b: Item) => ((a.sk as string) < (b.sk as string) ? 1 : (a.sk as string) > (b.sk as string) ? -1 : 0);

/**
 * The notifications table in memory, keyed as DynamoDB keys it (host, `<ISO time>#<id>`), with
 * its `byDay` index read day by day. As there, marking an unrecorded notification published
 * leaves an item behind, and that item makes a later `record` of it answer false.
 */
export class MemoryNotifications implements NotificationsPort {
  private readonly items = new Map<string, Item>();

  /** Every recorded notification, oldest first: what a test asserts on. */
  recorded(): StoredNotification[] {
    return [...this.items.values()].filter((i) => i.id !== undefined).sort((a, b) => -desc(a, b)).map(toNotification);
  }

  async record(n: Notification): Promise<boolean> {
    const key = keyOf(n.hostname, n.at, n.id);
    if (this.items.has(key)) return false;
    this.items.set(key, copy({ hostname: n.hostname, sk: notificationSortKey(n.at, n.id), day: notificationDayKey(dayOf(n.at), n.id), ...notificationAttributes(n) }));
    return true;
  }

  async publishedAt(n: Notification): Promise<number | undefined> {
    const at = this.items.get(keyOf(n.hostname, n.at, n.id))?.publishedAt;
    return at === undefined ? undefined : Number(at);
  }

  async markPublished(n: Notification, at: number): Promise<void> {
    // An UpdateItem without a condition: it creates the item when there is none.
    const key = keyOf(n.hostname, n.at, n.id);
    const item = this.items.get(key) ?? { hostname: n.hostname, sk: notificationSortKey(n.at, n.id) };
    this.items.set(key, { ...item, publishedAt: at });
  }

  async get(hostname: string, at: number, id: string): Promise<StoredNotification | undefined> {
    const item = this.items.get(keyOf(hostname, at, id));
    return item ? toNotification(item) : undefined;
  }

  async byHost(hostname: string, since: number, until: number, limit = 100): Promise<StoredNotification[]> {
    return this.query((i) => i.hostname === hostname, since, until, limit).map(toNotification);
  }

  async byTime(since: number, until: number, limit = 1000): Promise<StoredNotification[]> {
    const out: StoredNotification[] = [];
    for (const day of daysBetween(since, Math.max(since, until - 1))) {
      out.push(...this.fleetDay(day, since, until, limit - out.length).map(toNotification));
      if (out.length >= limit) break;
    }
    return out;
  }

  async page(q: NotificationPageQuery): Promise<{ items: (StoredNotification & { cursor: string })[]; next: string | undefined }> {
    const more = { before: q.before, filter: q.filter };
    const found: Item[] = [];
    if (q.hostname !== undefined) found.push(...this.query((i) => i.hostname === q.hostname, q.since, q.until, q.limit + 1, more));
    else {
      for (const day of daysBetween(q.since, Math.max(q.since, q.until - 1))) {
        found.push(...this.fleetDay(day, q.since, q.until, q.limit + 1 - found.length, more));
        if (found.length > q.limit) break;
      }
    }
    const items = found.slice(0, q.limit).map((i) => ({ ...toNotification(i), cursor: i.sk as string }));
    return { items, next: found.length > q.limit ? items[items.length - 1]?.cursor : undefined };
  }

  private fleetDay(day: string, since: number, until: number, limit: number, more: More = {}): Item[] {
    // Only items with a `day` are in the index: not the ones a stray markPublished created.
    const keys = new Set(notificationDayKeys(day));
    return this.query((i) => typeof i.day === 'string' && keys.has(i.day), since, until, limit, more);
  }

  private query(match: (i: Item) => boolean, since: number, until: number, limit: number, more: More = {}): Item[] {
    const to = new Date(until - 1).toISOString() + '~';
    const from = new Date(since).toISOString();
    const upper = more.before !== undefined && more.before < to ? more.before : to;
    if (upper < from || limit <= 0) return [];
    return [...this.items.values()]
      .filter((i) => match(i) && (i.sk as string) >= from && (i.sk as string) <= upper)
      .filter((i) => more.before === undefined || (i.sk as string) < more.before)
      .filter((i) => passes(i, more.filter ?? {}))
      .sort(desc)
      .slice(0, limit)
      .map(copy);
  }
}

interface More {
  readonly before?: string | undefined;
  readonly filter?: NotificationFilter | undefined;
}

function keyOf(hostname: string, at: number, id: string): string {
  return `${hostname}\u0000${notificationSortKey(at, id)}`;
}

function passes(i: Item, f: NotificationFilter): boolean {
  return (f.kind === undefined || i.kind === f.kind)
    && (f.severity === undefined || i.severity === f.severity)
    && (f.suppressed === undefined || (i.suppressed !== undefined) === f.suppressed);
}

function toNotification(item: Item): StoredNotification {
  const i = copy(item);
  return { ...notificationFromItem(i), publishedAt: i.publishedAt === undefined ? undefined : Number(i.publishedAt) };
}
