import { effectiveInterval } from '../../domain/host/liveness';
import { hostStore, logStore, notificationStore } from '../../compose';
import { hostView } from '../../domain/host/view';
import type { Context } from '../context';
import { notFound } from '../errors';
import { age, bytes, levelText, logLine, notificationLine, skew, stateText, styleFor } from '../format';

const DAY = 86_400_000;

export async function hostCommand(ctx: Context, name: string, o: { json?: boolean; limit: number }): Promise<number> {
  const root = await ctx.root(['hostsTable', 'notificationsTable', 'logsTable']);
  const found = await hostStore(root).get(name);
  if (!found) throw notFound(`unknown host ${JSON.stringify(name)} (\`dts hosts\` lists the known ones)`);
  const now = Date.now();
  const host = hostView(found, now, ctx.config.liveness, []);
  const [notifications, errors] = await Promise.all([
    notificationStore(root).byHost(name, now - 30 * DAY, now + 60_000, o.limit),
    logStore(root).query({ host: name, minLevel: 40, since: now - DAY, until: now + 60_000, limit: o.limit }),
  ]);
  if (o.json) {
    ctx.io.out(JSON.stringify({ host, notifications, errors }, null, 2) + '\n');
    return 0;
  }
  const s = styleFor(ctx.io.isTTY, ctx.io.env);
  const rows: [string, string][] = [
    ['state', `${stateText(host, host.overdue, s)} since ${new Date(host.stateSince).toISOString()} (${age(host.stateSince, now)})`],
    ['last beat', `${new Date(host.lastBeat).toISOString()} (${age(host.lastBeat, now)}), deadline ${new Date(host.deadline).toISOString()}`],
    ['interval', `${effectiveInterval(host.interval, ctx.config.liveness)}s, tolerance ${ctx.config.liveness.tolerance}`],
    ['clock skew', skew(host.skewMs)],
    ['first seen', new Date(host.firstSeen).toISOString()],
  ];
  if (host.agent) rows.push(['agent', `${host.agent.name} ${host.agent.version}`]);
  if (host.uptime !== undefined) rows.push(['uptime', age(now - host.uptime * 1000, now).replace(' ago', '')]);
  if (host.cpu) {
    const loads = [host.cpu.load1, host.cpu.load5, host.cpu.load15];
    const load = loads.some((l) => l !== undefined) ? `, load ${loads.map((l) => (l ?? 0).toFixed(2)).join(' ')}` : '';
    const cores = host.cpu.cores === undefined ? '' : `, ${host.cpu.cores} cores`;
    rows.push(['cpu', `${host.cpu.percent.toFixed(1)}% ${levelText(host.levels.cpu, s)}${cores}${load}`]);
  }
  if (host.mem) rows.push(['mem', `${host.mem.percent.toFixed(1)}% ${levelText(host.levels.mem, s)}, ${bytes(host.mem.used)} used of ${bytes(host.mem.total)}`]);
  if (host.disk) rows.push(['disk', `${host.disk.percent.toFixed(1)}% ${levelText(host.levels.disk, s)}, ${bytes(host.disk.used)} used of ${bytes(host.disk.total)} on ${host.disk.mount ?? '?'}`]);
  const labels = Object.entries(host.labels).map(([k, v]) => `${k}=${v}`).join(' ');
  if (labels) rows.push(['labels', labels]);
  if (host.outageStart !== undefined) rows.push(['outage since', new Date(host.outageStart).toISOString()]);

  const out = [s.bold(host.hostname), ...rows.map(([k, v]) => `  ${k.padEnd(11)} ${v}`), ''];
  out.push(s.bold('notifications (30 days)'), ...(notifications.length ? notifications.map((n) => `  ${notificationLine(n, s)}`) : ['  none']), '');
  out.push(s.bold('errors (24 hours)'), ...(errors.length ? errors.map((r) => `  ${logLine(r, s)}`) : ['  none']));
  ctx.io.out(out.join('\n') + '\n');
  return 0;
}
