import { METRICS, type HostState, type MetricLevel } from '../model';
import { formatDuration } from '../notification/notifications';
import type { FleetReport, Incident } from './report';

const STATE_ORDER: readonly HostState[] = ['alive', 'new', 'dead', 'left', 'retired'];
const iso = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toISOString().replace('.000Z', 'Z') : '?');
const dur = (ms: number) => (ms > 0 ? formatDuration(ms) : '–');
const pct = (p: number) => `${p.toFixed(2).replace(/\.?0+$/, '')}%`;

/**
 * Stored names can hold anything a producer sent, including lone UTF-16 surrogates, which no
 * UTF-8 consumer (SNS, a mail client) accepts. Every name goes through this before it is shown.
 */
export function wellFormed(s: unknown): string {
  return String(s).replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/** One line a person can act on: the subject of the published report (SNS keeps 100 characters). */
export function reportSubject(r: FleetReport): string {
  const fleet = r.availability.fleet === undefined ? '' : `, ${pct(r.availability.fleet)} up`;
  return `[dts report] ${r.id.slice(0, 10)}: ${r.hosts.total} hosts${fleet}, ${r.hosts.byState.dead} down now, ${r.incidents.total} incident(s), ${r.logs.error + r.logs.critical} errors`;
}

/** A cell, marked when its value is past a threshold. */
interface Cell {
  readonly text: string;
  readonly level?: Exclude<MetricLevel, 'ok'>;
}
const cell = (text: string, level?: MetricLevel): Cell => (level && level !== 'ok' ? { text, level } : { text });

interface Section {
  readonly title: string;
  readonly intro: string;
  readonly head: string[];
  readonly rows: Cell[][];
}

const more = (shown: number, total: number, what: string) => (total > shown ? ` The ${shown} worst are below; all ${total} ${what} are in the detail.` : '');

function hostList(i: Incident): string {
  const names = i.hostnames.map(wellFormed).join(', ');
  return i.hosts > i.hostnames.length ? `${names} and ${i.hosts - i.hostnames.length} more` : names;
}

/** The report as tables of figures, shared by both renderings. Every section has at most `top` rows. */
function sections(r: FleetReport): Section[] {
  const a = r.availability;
  const below = (p: number): MetricLevel => (p < a.target ? 'critical' : 'ok');
  const stateCounts = STATE_ORDER.filter((s) => r.hosts.byState[s] > 0).map((s) => `${r.hosts.byState[s]} ${s}`).join(', ');
  return [
    {
      title: 'Hosts',
      intro: `${r.hosts.total} host(s) known at ${iso(r.generatedAt)}${stateCounts ? `: ${stateCounts}` : ''}.`
        + (r.hosts.unreadable ? ` ${r.hosts.unreadable} stored host(s) could not be read and are left out.` : '')
        + (r.hosts.byState.dead ? ` Down now${r.hosts.byState.dead > r.hosts.downNow.length ? `, the ${r.hosts.downNow.length} down longest` : ''}:` : ''),
      head: ['down now', 'since', 'for'],
      rows: r.hosts.downNow.map((d) => [cell(wellFormed(d.hostname)), cell(iso(d.since)), cell(dur(r.generatedAt - d.since), 'critical')]),
    },
    {
      title: 'Availability',
      intro: a.fleet === undefined
        ? 'No host was expected up in the period.'
        : `Fleet: ${pct(a.fleet)} of the time hosts were expected up (target ${pct(a.target)}); ${dur(a.downMs)} down in ${dur(a.expectedMs)} of host-time. `
          + `${a.belowTarget} host(s) below target.` + more(a.worst.length, a.belowTarget, 'hosts')
          + (a.withChecks === undefined ? '' : ` With the checks (below): ${pct(a.withChecks)} of host- and check-time.`),
      head: ['host', 'availability', 'down'],
      rows: a.worst.map((w) => [cell(wellFormed(w.hostname)), cell(pct(w.availability), below(w.availability)), cell(dur(w.downMs))]),
    },
    {
      title: 'Incidents',
      intro: r.incidents.total
        ? `${r.incidents.total} incident(s)${r.incidents.storms ? `, ${r.incidents.storms} of them storm(s) of hosts down together` : ''}: `
          + `${r.incidents.outages} host outage(s), ${formatDuration(r.incidents.downtimeMs)} of host downtime in all.`
          + (r.incidents.total > r.incidents.top.length ? ` The ${r.incidents.top.length} with the most downtime are below; all ${r.incidents.total} are in the detail.` : '')
        : 'No outages in the period.',
      head: ['incident', 'hosts', 'down since', 'back at', 'duration', 'host downtime'],
      rows: r.incidents.top.map((i) => [
        cell(i.kind === 'storm' ? `storm (${wellFormed(i.scope)})` : 'outage'),
        cell(i.kind === 'storm' ? `${i.hosts}: ${hostList(i)}` : hostList(i)),
        cell(iso(i.start)),
        i.end === undefined ? cell('still down', 'critical') : cell(iso(i.end)),
        cell(formatDuration(i.durationMs)),
        cell(formatDuration(i.downtimeMs)),
      ]),
    },
    ...checkSections(r),
    {
      title: 'Time at warning or critical',
      intro: (r.resources.atLevel ? `${r.resources.atLevel} host(s) spent time above a threshold while up.` : 'No host spent time above a threshold while up.')
        + more(r.resources.timeAt.length, r.resources.atLevel, 'hosts'),
      head: ['host', ...METRICS.flatMap((res) => [`${res} warning`, `${res} critical`])],
      rows: r.resources.timeAt.map((h) => [cell(wellFormed(h.hostname)), ...METRICS.flatMap((res) => {
        const t = h.timeAt[res] ?? { warning: 0, critical: 0 };
        return [cell(dur(t.warning), t.warning > 0 ? 'warning' : 'ok'), cell(dur(t.critical), t.critical > 0 ? 'critical' : 'ok')];
      })]),
    },
    {
      title: 'Resource peaks',
      intro: `Highest reading per UTC day the period touches; ${r.resources.peakedOver} host(s) peaked past a threshold.`
        + (r.resources.peaks.length ? ` The ${r.resources.peaks.length} highest:` : ''),
      head: ['host', ...METRICS],
      rows: r.resources.peaks.map((h) => [cell(wellFormed(h.hostname)), ...METRICS.map((res) => {
        const p = h.peaks[res];
        return p === undefined ? cell('–') : cell(`${p}%`, h.over[res]);
      })]),
    },
    {
      title: 'Errors and critical logs by app',
      intro: `${r.logs.error} error and ${r.logs.critical} critical record(s) from ${r.logs.apps} app(s).` + more(r.logs.top.length, r.logs.apps, 'apps'),
      head: ['app', 'error', 'critical'],
      rows: r.logs.top.map((x) => [cell(wellFormed(x.app)), cell(String(x.error), x.error > 0 ? 'warning' : 'ok'), cell(String(x.critical), x.critical > 0 ? 'critical' : 'ok')]),
    },
    {
      title: 'Notifications',
      intro: `${r.notifications.total} notification(s), ${r.notifications.suppressed} recorded but not sent (silenced, flapping or grouped into a storm).`,
      head: ['kind', 'count'],
      rows: Object.entries(r.notifications.byKind).sort(([x], [y]) => x.localeCompare(y)).map(([k, n]) => [cell(k), cell(String(n))]),
    },
    {
      title: 'Full detail',
      intro: `Every row (${r.detail.hosts} host(s) with their availability, peaks and time at a level; ${r.detail.incidents} incident(s) with all their hosts; `
        + `${r.detail.apps} app(s)) is stored ${r.detail.location ? `in ${wellFormed(r.detail.location)}` : 'with the report'}. `
        + '`dts report --detail` prints it as JSON lines.',
      head: [],
      rows: [],
    },
  ];
}

/** The checks (scheduled jobs), when the deployment has any. */
function checkSections(r: FleetReport): Section[] {
  const k = r.checks;
  if (!k) return [];
  const states = Object.entries(k.byState).sort(([a], [b]) => a.localeCompare(b)).map(([s, n]) => `${n} ${s}`).join(', ');
  const avail = k.availability === undefined ? 'No check was expected in the period.' : `Checks: ${pct(k.availability)} of the time they were expected on time and well (target ${pct(r.availability.target)}).`;
  const days = k.runDays.from === k.runDays.to ? k.runDays.from : `${k.runDays.from} to ${k.runDays.to}`;
  const ms = (v: number | undefined) => (v === undefined ? '–' : formatRun(v));
  return [{
    title: 'Checks',
    intro: `${k.total} check(s)${states ? `: ${states}` : ''}. ${k.lates} late, ${k.failures} failed and ${k.longs} running too long in the period. ${avail}`
      + ` ${k.runs} run(s), ${k.failedRuns} of them failed, on the UTC days the period touches (${days}); durations are of the runs whose start was seen, within 4.5%.`
      + more(k.worst.length, k.total, 'checks'),
    head: ['check', 'state', 'runs', 'late', 'failed', 'too long', 'availability', 'p50', 'p95', 'last exit'],
    rows: k.worst.map((c) => [
      cell(wellFormed(c.name)), cell(c.state, c.state === 'up' || c.state === 'new' || c.state === 'paused' ? 'ok' : 'critical'),
      cell(c.failedRuns > 0 ? `${c.runs} (${c.failedRuns} failed)` : String(c.runs), c.failedRuns > 0 ? 'warning' : 'ok'),
      cell(String(c.lates), c.lates > 0 ? 'warning' : 'ok'), cell(String(c.failures), c.failures > 0 ? 'critical' : 'ok'), cell(String(c.longs), c.longs > 0 ? 'warning' : 'ok'),
      c.availability === undefined ? cell('–') : cell(pct(c.availability), c.availability < r.availability.target ? 'critical' : 'ok'),
      cell(ms(c.p50Ms)), cell(ms(c.p95Ms)), cell(c.lastExit === undefined ? '–' : String(c.lastExit)),
    ]),
  }];
}

/**
 * A run's duration percentile, to two significant figures: it stands for a bucket 9% wide
 * (check/runs.ts), so more digits would claim a precision it does not have.
 */
function formatRun(ms: number): string {
  if (ms <= 0) return '0s';
  const step = 10 ** (Math.floor(Math.log10(ms)) - 1);
  const rounded = Math.round(ms / step) * step;
  return rounded < 10_000 ? `${Number((rounded / 1000).toPrecision(2))}s` : formatDuration(rounded);
}

const mdCell = (c: Cell) => {
  const text = wellFormed(c.text).replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ');
  return c.level ? `**${text}**` : text;
};

/** Markdown; a value past a threshold is bold. */
export function renderMarkdown(r: FleetReport): string {
  const out = [`# dts fleet report ${r.id}`, '', `Period: ${iso(r.since)} to ${iso(r.until)} (${formatDuration(r.until - r.since)}).`, ''];
  for (const s of sections(r)) {
    out.push(`## ${s.title}`, '', s.intro, '');
    if (s.rows.length === 0) continue;
    out.push(`| ${s.head.join(' | ')} |`, `| ${s.head.map(() => '---').join(' | ')} |`);
    for (const row of s.rows) out.push(`| ${row.map(mdCell).join(' | ')} |`);
    out.push('');
  }
  return out.join('\n');
}

const esc = (s: string) => wellFormed(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const tdClass: Record<Exclude<MetricLevel, 'ok'>, string> = { warning: 'warn', critical: 'bad' };

/**
 * Self-contained: inline styles, no scripts, no external resources; it reads in any mail client.
 * A value past a threshold is coloured (amber at warning, red at critical).
 */
export function renderHtml(r: FleetReport): string {
  const body = sections(r).map((s) => [
    `<h2>${esc(s.title)}</h2>`,
    `<p>${esc(s.intro)}</p>`,
    s.rows.length
      ? `<table><thead><tr>${s.head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${
        s.rows.map((row) => `<tr>${row.map((c) => `<td${c.level ? ` class="${tdClass[c.level]}"` : ''}>${esc(c.text)}</td>`).join('')}</tr>`).join('')
      }</tbody></table>`
      : '',
  ].filter(Boolean).join('\n')).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>dts fleet report ${esc(r.id)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;color:#1f2328;max-width:960px;margin:2em auto;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #d0d7de}
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #d0d7de;padding:.25em .6em;text-align:left}
th{background:#f6f8fa}.bad{color:#cf222e;background:#ffebe9;font-weight:600}.warn{color:#9a6700;background:#fff8c5;font-weight:600}p{color:#57606a}
</style></head><body>
<h1>dts fleet report ${esc(r.id)}</h1>
<p>Period: ${esc(iso(r.since))} to ${esc(iso(r.until))} (${esc(formatDuration(r.until - r.since))}).</p>
${body}
</body></html>
`;
}
