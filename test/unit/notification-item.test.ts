import { describe, expect, it } from 'vitest';
import type { Notification } from '../../lib/domain/model';
import { notificationAttributes, notificationFromItem } from '../../lib/adapters/dynamodb/notification-item';
import { outboxOf, outboxSets } from '../../lib/adapters/dynamodb/outbox-item';

/** Every field set: a field added to Notification fails to compile here until it is given. */
const FULL: Required<Notification> = {
  id: 'db-1|host-down|1764579600000',
  hostname: 'db-1',
  kind: 'host-down',
  severity: 'critical',
  at: 1_764_579_600_000,
  message: 'db-1 is down',
  details: { lastBeat: '2025-12-01T09:00:00.000Z' },
  incident: 'db-1/down/1764579600000',
  labels: { role: 'db' },
  suppressed: 'storm:rack=r9',
};
const BARE: Notification = { id: 'web-1|host-up|1', hostname: 'web-1', kind: 'host-up', severity: 'info', at: 1, message: 'web-1 is up', details: {} };

/** An item as the outbox's SET clauses would leave it. */
function itemWithOutbox(notifications: Notification[], queuedAt: number): Record<string, unknown> {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  outboxSets(notifications, queuedAt, names, values);
  return Object.fromEntries(Object.keys(names).map((n) => [names[n] as string, values[n.replace('#', ':')]]));
}

describe('a notification as an item', () => {
  it('comes back whole from its attributes, every optional field included', () => {
    expect(notificationFromItem(notificationAttributes(FULL))).toEqual(FULL);
  });

  it('comes back without optional fields it never had, and empty labels are not written', () => {
    expect(notificationFromItem(notificationAttributes({ ...BARE, labels: {} }))).toEqual(BARE);
  });

  it('comes back whole through an outbox entry, with its queue time, oldest first', () => {
    const item = { hostname: 'db-1', state: 'dead', ...itemWithOutbox([FULL], 2_000), ...itemWithOutbox([BARE], 1_000) };
    expect(outboxOf(item)).toEqual([{ notification: BARE, queuedAt: 1_000 }, { notification: FULL, queuedAt: 2_000 }]);
  });
});
