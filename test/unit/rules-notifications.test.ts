import { describe, expect, it } from 'vitest';
import { formatDuration, notification, notificationId } from '../../lib/domain/notification/notifications';

const T0 = Date.UTC(2025, 10, 25, 12, 0, 0);

describe('notification ids: a function of what happened, never of who noticed it', () => {
  it('joins host, kind and transition time', () => {
    expect(notificationId('web-1', 'host-down', T0)).toBe(`web-1|host-down|${T0}`);
  });

  it('puts the subject between kind and time when there is one', () => {
    expect(notificationId('web-1', 'resource-warning', T0, 'disk')).toBe(`web-1|resource-warning|disk|${T0}`);
  });

  it('is the same for the same inputs and differs when any input differs', () => {
    const base = notificationId('web-1', 'resource-warning', T0, 'disk');
    expect(notificationId('web-1', 'resource-warning', T0, 'disk')).toBe(base);
    const variants = [
      notificationId('web-2', 'resource-warning', T0, 'disk'),
      notificationId('web-1', 'resource-critical', T0, 'disk'),
      notificationId('web-1', 'resource-warning', T0 + 1, 'disk'),
      notificationId('web-1', 'resource-warning', T0, 'mem'),
      notificationId('web-1', 'resource-warning', T0),
    ];
    expect(new Set([base, ...variants]).size).toBe(variants.length + 1);
  });

  it('notification() carries its id, its fields, its incident and empty details by default', () => {
    expect(notification('web-1', 'host-left', 'info', T0, 'bye')).toEqual({
      id: `web-1|host-left|${T0}`, hostname: 'web-1', kind: 'host-left', severity: 'info', at: T0, message: 'bye', details: {},
      incident: 'web-1/host-left/2025-11-25T12:00:00.000Z',
    });
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [499, '0s'],
    [500, '1s'],
    [59_000, '59s'],
    [60_000, '1m'],
    [180_000, '3m'],
    [3_725_000, '1h 2m 5s'],
    [86_400_000, '1d'],
    [90_061_000, '1d 1h 1m 1s'],
    [7 * 86_400_000, '7d'],
    [-5_000, '0s'],
  ])('%d ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
