import { hostStore, silenceStore } from '../../compose';
import { effectiveInterval } from '../../domain/host/liveness';
import { hostView, type HostView } from '../../domain/host/view';
import { METRICS, type HostState, type MetricLevel } from '../../domain/model';
import type { Context } from '../context';
import { usage } from '../errors';
import { age, resourceCell, skew, stateText, styleFor, table } from '../format';

const LEVEL_RANK: Record<MetricLevel, number> = { critical: 0, warning: 1, ok: 2 };

/** Worst first: dead or overdue, then critical, warning, new, healthy, departed, retired; older beats first within each. */
export function rank(h: HostView): number {
  if (h.state === 'dead' || h.overdue) return 0;
  if (h.state === 'retired') return 7;
  if (h.state === 'left') return 6;
  const worst = Math.min(...METRICS.map((r) => LEVEL_RANK[h.levels[r]]));
  if (worst === 0) return 1;
  if (worst === 1) return 2;
  return h.state === 'new' ? 3 : 4;
}

export function sortWorstFirst(hosts: HostView[]): HostView[] {
  return hosts.sort((a, b) => rank(a) - rank(b) || a.lastBeat - b.lastBeat || a.hostname.localeCompare(b.hostname));
}

export async function listHosts(ctx: Context): Promise<HostView[]> {
  const root = await ctx.root(['hostsTable']);
  // Silences mark the hosts they cover; a deployment without the table just shows no marks.
  const [hosts, silences] = await Promise.all([
    hostStore(root).list(ctx.config.diagnose.scanSegments),
    root.names.find('silencesTable') ? silenceStore(root).all() : Promise.resolve([]),
  ]);
  const now = Date.now();
  return sortWorstFirst(hosts.map((h) => hostView(h, now, ctx.config.liveness, silences)));
}

/** `52 hosts: 40 alive, 3 dead (1 silenced), 2 new; 1 overdue`. */
export function summaryLine(hosts: readonly HostView[]): string {
  const states: HostState[] = ['alive', 'dead', 'new', 'left', 'retired'];
  const parts = states.map((st) => {
    const of = hosts.filter((h) => h.state === st);
    const silenced = of.filter((h) => h.silencedBy !== undefined).length;
    return of.length ? `${of.length} ${st}${silenced ? ` (${silenced} silenced)` : ''}` : '';
  }).filter(Boolean);
  const overdue = hosts.filter((h) => h.overdue).length;
  return `${hosts.length} host${hosts.length === 1 ? '' : 's'}: ${parts.join(', ') || 'none'}${overdue ? `; ${overdue} overdue` : ''}`;
}

export async function hostsCommand(ctx: Context, o: { json?: boolean; state?: string; label?: string[] }): Promise<number> {
  let hosts = await listHosts(ctx);
  if (o.state) hosts = hosts.filter((h) => h.state === o.state || (o.state === 'dead' && h.overdue));
  for (const pair of o.label ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw usage(`--label: expected key=value, got ${JSON.stringify(pair)}`);
    const [key, value] = [pair.slice(0, eq), pair.slice(eq + 1)];
    hosts = hosts.filter((h) => h.labels[key] === value);
  }
  if (o.json) {
    ctx.io.out(JSON.stringify(hosts, null, 2) + '\n');
    return 0;
  }
  if (hosts.length === 0) {
    ctx.io.err('no hosts yet: run `dts agent --once` on a host, or send heartbeats with the producer library\n');
    return 0;
  }
  const style = styleFor(ctx.io.isTTY, ctx.io.env);
  const now = Date.now();
  const rows = hosts.map((h) => [
    h.hostname,
    // A silenced host's state is marked, so a `dead` nobody will be paged for reads as such.
    stateText(h, h.overdue, style) + (h.silencedBy !== undefined ? style.yellow(' (silenced)') : ''),
    age(h.lastBeat, now),
    `${effectiveInterval(h.interval, ctx.config.liveness)}s`,
    resourceCell(h.cpu?.percent, h.levels.cpu, style),
    resourceCell(h.mem?.percent, h.levels.mem, style),
    resourceCell(h.disk?.percent, h.levels.disk, style, h.disk?.mount),
    skew(h.skewMs),
    Object.entries(h.labels).map(([k, v]) => `${k}=${v}`).join(' '),
  ]);
  ctx.io.out(table(['HOST', 'STATE', 'LAST BEAT', 'EVERY', 'CPU', 'MEM', 'DISK', 'SKEW', 'LABELS'], rows, style));
  ctx.io.out(summaryLine(hosts) + '\n');
  const overdue = hosts.filter((h) => h.overdue).length;
  if (overdue > 0) ctx.io.err(`${overdue} host(s) marked ? are past their deadline; diagnose has not declared them dead yet\n`);
  return 0;
}
