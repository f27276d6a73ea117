/**
 * A fleet of any size as the report factory reads it (hosts, the period's notifications, app
 * counters), generated in memory and deterministic: the scale test and `npm run bench:report`
 * feed it to runReport through its ports, so 100,000 hosts cost no seeding.
 *
 * What it holds, per 1,000 hosts: 10 dead since before the period, 10 that left, 10 retired;
 * 10 single outages that ended; 20 hosts that spent time at warning; every host with peaks. One
 * storm takes down a whole rack (1/50 of the fleet) at once; 60% of it comes back.
 */
import { FLEET_HOST, type Host, type HostState, type Notification } from '../../lib/domain/model';
import { notification } from '../../lib/domain/notification/notifications';

const H = 3_600_000;
const MIN = 60_000;
export const FLEET_UNTIL = Date.UTC(2026, 10, 25, 8, 0, 0);
export const FLEET_SINCE = FLEET_UNTIL - 24 * H;
export const STORM_RACK = 'r7';

export interface GeneratedFleet {
  readonly hosts: Host[];
  readonly notifications: Notification[];
  readonly appCounts: { app: string; day: string; error: number; critical: number }[];
}

export function hostnameAt(i: number, nameBytes = 0): string {
  const base = `host-${String(i).padStart(7, '0')}.eu-west-1.prod.example.com`;
  return nameBytes > base.length ? base + 'x'.repeat(nameBytes - base.length) : base;
}

const iso = (t: number) => new Date(t).toISOString();

export function generateFleet(size: number, options: { apps?: number; nameBytes?: number } = {}): GeneratedFleet {
  const hosts: Host[] = [];
  const notifications: Notification[] = [];
  const racks = 50;
  const stormAt = FLEET_SINCE + 6 * H;
  let stormHosts = 0;
  for (let i = 0; i < size; i++) {
    const hostname = hostnameAt(i, options.nameBytes);
    const rack = `r${i % racks}`;
    const k = i % 1000;
    let state: HostState = 'alive';
    let stateSince = FLEET_SINCE - 48 * H;
    let outageStart: number | undefined;
    if (rack === STORM_RACK) {
      // The storm: every host of the rack dies in one pass; 60% are back 40 minutes later.
      stormHosts++;
      notifications.push({ ...notification(hostname, 'host-down', 'critical', stormAt + (i % 7) * 1000, '', { lastBeat: iso(stormAt - 3 * MIN) }), suppressed: `storm:rack=${STORM_RACK}` });
      if (Math.floor(i / racks) % 5 < 3) notifications.push(notification(hostname, 'host-recovered', 'info', stormAt + 40 * MIN, '', { outageStart: iso(stormAt - 3 * MIN) }));
      else {
        state = 'dead';
        stateSince = stormAt;
        outageStart = stormAt - 3 * MIN;
      }
    } else if (k < 10) {
      state = 'dead';
      stateSince = FLEET_SINCE - 2 * H;
      outageStart = stateSince - 3 * MIN;
    } else if (k < 20) {
      state = 'left';
      stateSince = FLEET_SINCE + (k - 9) * H;
      notifications.push(notification(hostname, 'host-left', 'info', stateSince, ''));
    } else if (k < 30) {
      state = 'retired';
      stateSince = FLEET_SINCE - 100 * H;
    } else if (k < 40) {
      const down = FLEET_SINCE + (k - 29) * H;
      notifications.push(notification(hostname, 'host-down', 'critical', down + 3 * MIN, '', { lastBeat: iso(down) }));
      notifications.push(notification(hostname, 'host-recovered', 'info', down + (k - 25) * MIN, '', { outageStart: iso(down) }));
    } else if (k < 60) {
      const at = FLEET_SINCE + (k - 39) * H / 2;
      notifications.push(notification(hostname, 'resource-warning', 'warning', at, '', { resource: 'disk', from: 'ok', to: 'warning', percent: '82' }, 'disk'));
      notifications.push(notification(hostname, 'resource-ok', 'info', at + (k - 35) * MIN, '', { resource: 'disk', from: 'warning', to: 'ok', percent: '70' }, 'disk'));
    }
    hosts.push({
      hostname, state, stateSince, lastBeat: FLEET_UNTIL - MIN, sentAt: FLEET_UNTIL - MIN, skewMs: 0, interval: 60,
      labels: { rack, role: i % 3 === 0 ? 'db' : 'web' },
      levels: { cpu: 'ok', mem: 'ok', disk: 'ok' }, cpuStreak: 0, firstSeen: FLEET_SINCE - 30 * 24 * H,
      ...(outageStart !== undefined ? { outageStart } : {}),
      dailyPeaks: { '2026-11-24': { cpu: i % 101, mem: 40 + (i % 50), disk: 50 + (i % 45) }, '2026-11-25': { cpu: (i * 7) % 101 } },
    });
  }
  if (stormHosts > 0) {
    notifications.push(notification(FLEET_HOST, 'fleet-storm', 'critical', stormAt, '', { scope: `rack=${STORM_RACK}`, count: String(stormHosts) }, `rack=${STORM_RACK}`));
  }
  const apps = options.apps ?? 500;
  const appCounts = Array.from({ length: apps }, (_, a) => ['2026-11-24', '2026-11-25'].map((day) => ({ app: `app-${a}`, day, error: (a * 13) % 997, critical: a % 7 }))).flat();
  return { hosts, notifications, appCounts };
}
