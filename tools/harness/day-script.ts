/**
 * A scripted day of a small fleet, from 08:00 UTC to 08:00 the next day, played on a World whose
 * clock moves a minute at a time. Used by the end-to-end test, which asserts the report's
 * figures, and by scripts/sample-report.ts, which renders docs/sample-report.md from it.
 */
import type { ReportRun } from '../../lib/app/report';
import type { World } from './day-world';

export const DAY_START = Date.UTC(2026, 10, 24, 8, 0, 0);
export const DAY_END = DAY_START + 24 * 3_600_000;
const MIN = 60_000;
const at = (hh: number, mm = 0): number => DAY_START + ((hh - 8 + (hh < 8 ? 24 : 0)) * 60 + mm) * MIN;

export async function playDay(w: World): Promise<ReportRun> {
  const web = (rack: string) => ({ interval: 300, labels: { role: 'web', rack } });
  w.set('web-1', web('r1'));
  w.set('web-2', web('r1'));
  w.set('web-3', web('r1'));
  w.set('web-4', web('r2'));
  w.set('db-1', { interval: 60, labels: { role: 'db', rack: 'r2' } });
  w.set('db-2', { interval: 300, labels: { role: 'db', rack: 'r2' }, disk: 62 });
  w.set('batch-1', { interval: 300, labels: { role: 'batch', rack: 'r3' } });
  w.set('batch-2', { interval: 300, labels: { role: 'batch', rack: 'r3' } });
  // Its clock runs 45 s ahead: one skew warning, and no effect on liveness.
  w.set('edge-1', { interval: 300, labels: { role: 'edge', rack: 'r3' }, skewMs: 45_000 });
  // Two scheduled jobs (docs/CHECKS.md): a nightly backup at 02:00 UTC that takes 22 minutes, and
  // an hourly ETL run at :05 that takes 4 to 8; it fails at 15:05 (exit 3) and misses 20:05 and 21:05.
  await w.addCheck({ name: 'backup', cron: '0 2 * * *', tz: 'UTC', grace: '30m', maxRun: '2h' });
  await w.addCheck({ name: 'etl', every: '1h', grace: '10m' });
  w.jobs.push(async (now) => {
    const hh = new Date(now).getUTCHours();
    const mm = new Date(now).getUTCMinutes();
    if (hh === 2 && mm === 0) await w.ping('backup', 'start');
    if (hh === 2 && mm === 22) await w.ping('backup');
    if (hh === 20 || hh === 21) return;
    if (mm === 5) await w.ping('etl', 'start');
    if (mm === 5 + 4 + (hh % 5)) await w.ping('etl', hh === 15 ? '3' : '');
  });
  const step = (until: number) => w.runUntil(until, MIN);

  await step(at(9));
  // 09:05–09:15: three beats of cpu at 97% (sustain 3) make it critical; it clears at 09:35.
  w.set('web-2', { cpu: 97 });
  await step(at(9, 30));
  w.set('web-2', { cpu: 20 });
  await w.log('api', 'web-2', 40, 12);
  await step(at(10));
  // 10:05–14:05: db-2's disk at 85%, a warning for four hours.
  w.set('db-2', { disk: 85 });
  await step(at(12));
  // 12:00: web-4 stops; declared down at 12:15; back at 12:41.
  w.set('web-4', { up: false });
  await w.log('web', 'web-1', 20, 40);
  await w.log('web', 'web-1', 40, 1);
  await step(at(12, 40));
  w.set('web-4', { up: true });
  await step(at(13));
  // 13:00: batch-1 silenced for its firmware update; it goes down at 13:10, and is still down
  // when the silence ends at 15:00; it is back at 16:01.
  await w.silence({ hostname: 'batch-1' }, 2 * 60 * MIN, 'firmware update');
  await step(at(13, 10));
  w.set('batch-1', { up: false });
  await step(at(13, 30));
  await w.log('worker', 'batch-2', 40, 3);
  await step(at(14));
  w.set('db-2', { disk: 70 });
  await step(at(16));
  w.set('batch-1', { up: true });
  await step(at(18));
  // 18:00: rack r1 loses power: web-1..3 stop together, one storm notification at 18:15.
  for (const h of ['web-1', 'web-2', 'web-3']) w.set(h, { up: false });
  await step(at(18, 16));
  await w.log('api', 'web-4', 50, 2);
  await w.log('checkout', 'web-4', 40, 5);
  await w.log('checkout', 'web-4', 50, 1);
  await step(at(18, 30));
  for (const h of ['web-1', 'web-2', 'web-3']) w.set(h, { up: true });
  await step(at(20));
  // 20:00: db-1 (60 s interval) drops in and out three times: the fifth change starts flapping.
  for (let i = 0; i < 3; i++) {
    w.set('db-1', { up: false });
    await step(w.now + 5 * MIN);
    w.set('db-1', { up: true });
    await step(w.now + 2 * MIN);
  }
  await step(at(22));
  // 22:00: batch-2 is shut down cleanly: a goodbye, then silence, which is not an outage.
  w.now += 1000;
  await w.beat('batch-2', { goodbye: true });
  w.set('batch-2', { up: false });
  await step(DAY_END);
  return w.report(24);
}
