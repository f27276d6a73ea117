import { RESOURCES, type HostState } from '../model';
import { formatDuration } from '../rules/notifications';
import type { FleetReport } from '../rules/report';

const STATE_ORDER: readonly HostState[] = ['alive', 'new', 'dead', 'left', 'retired'];
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const pct = (p: number | undefined) => (p === undefined ? '–' : `${p}%`);
const dur = (ms: number) => (ms > 0 ? formatDuration(ms) : '–');

/** One line a person can act on: the subject of the published report. */
export function reportSubject(r: FleetReport): string {
  const down = r.hostsByState.dead.length;
  const hosts = STATE_ORDER.reduce((t, s) => t + r.hostsByState[s].length, 0);
  return `[dts report] ${r.id.slice(0, 10)}: ${hosts} hosts, ${down} down now, ${r.outages.length} outage(s), ${r.logs.error + r.logs.critical} error/critical logs`;
}

/** The report as tables of figures, shared by both renderings. */
function sections(r: FleetReport): { title: string; intro?: string; head: string[]; rows: string[][] }[] {
  const total = STATE_ORDER.reduce((t, s) => t + r.hostsByState[s].length, 0);
  const at = r.resources.filter((h) => r.hostsAtLevel.includes(h.hostname))
    .sort((a, b) => r.hostsAtLevel.indexOf(a.hostname) - r.hostsAtLevel.indexOf(b.hostname));
  return [
    {
      title: 'Hosts by state',
      intro: `${total} host(s) known at ${iso(r.generatedAt)}.`,
      head: ['state', 'hosts', 'names'],
      rows: STATE_ORDER.filter((s) => r.hostsByState[s].length > 0).map((s) => [s, String(r.hostsByState[s].length), r.hostsByState[s].join(', ')]),
    },
    {
      title: 'Outages',
      intro: r.outages.length
        ? `${r.outages.length} outage(s), ${formatDuration(r.outages.reduce((t, o) => t + o.durationMs, 0))} of downtime in all.`
        : 'No outages in the period.',
      head: ['host', 'down since', 'back at', 'duration'],
      rows: r.outages.map((o) => [o.hostname, iso(o.start), o.end === undefined ? 'still down' : iso(o.end), formatDuration(o.durationMs)]),
    },
    {
      title: 'Time at warning or critical',
      intro: at.length ? `${at.length} host(s) spent time above a threshold.` : 'No host spent time above a threshold.',
      head: ['host', ...RESOURCES.flatMap((res) => [`${res} warning`, `${res} critical`])],
      rows: at.map((h) => [h.hostname, ...RESOURCES.flatMap((res) => [dur(h.timeAt[res].warning), dur(h.timeAt[res].critical)])]),
    },
    {
      title: 'Resource peaks',
      intro: 'Highest reading per UTC day the period touches.',
      head: ['host', ...RESOURCES],
      rows: r.resources.filter((h) => Object.keys(h.peaks).length > 0).map((h) => [h.hostname, ...RESOURCES.map((res) => pct(h.peaks[res]))]),
    },
    {
      title: 'Errors and critical logs by app',
      intro: `${r.logs.error} error and ${r.logs.critical} critical record(s)` + (r.logs.top.length ? `; top: ${r.logs.top.map((a) => a.app).join(', ')}.` : '.'),
      head: ['app', 'error', 'critical'],
      rows: r.logs.apps.filter((a) => a.error + a.critical > 0).map((a) => [a.app, String(a.error), String(a.critical)]),
    },
    {
      title: 'Notifications',
      intro: `${r.notifications.total} notification(s), ${r.notifications.suppressed} recorded but not sent (silenced, flapping or grouped into a storm).`,
      head: ['kind', 'count'],
      rows: Object.entries(r.notifications.byKind).sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => [k, String(n)]),
    },
  ];
}

const mdCell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderMarkdown(r: FleetReport): string {
  const out = [`# dts fleet report ${r.id}`, '', `Period: ${iso(r.since)} to ${iso(r.until)} (${formatDuration(r.until - r.since)}).`, ''];
  for (const s of sections(r)) {
    out.push(`## ${s.title}`, '');
    if (s.intro) out.push(s.intro, '');
    if (s.rows.length === 0) continue;
    out.push(`| ${s.head.join(' | ')} |`, `| ${s.head.map(() => '---').join(' | ')} |`);
    for (const row of s.rows) out.push(`| ${row.map(mdCell).join(' | ')} |`);
    out.push('');
  }
  return out.join('\n');
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Self-contained: inline styles, no scripts, no external resources; it reads in any mail client. */
export function renderHtml(r: FleetReport): string {
  const body = sections(r).map((s) => [
    `<h2>${esc(s.title)}</h2>`,
    s.intro ? `<p>${esc(s.intro)}</p>` : '',
    s.rows.length
      ? `<table><thead><tr>${s.head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${
        s.rows.map((row) => `<tr>${row.map((c) => `<td${c === 'still down' ? ' class="bad"' : ''}>${esc(c)}</td>`).join('')}</tr>`).join('')
      }</tbody></table>`
      : '',
  ].join('\n')).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>dts fleet report ${esc(r.id)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;color:#1f2328;max-width:960px;margin:2em auto;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #d0d7de}
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #d0d7de;padding:.25em .6em;text-align:left}
th{background:#f6f8fa}.bad{color:#cf222e;font-weight:600}p{color:#57606a}
</style></head><body>
<h1>dts fleet report ${esc(r.id)}</h1>
<p>Period: ${esc(iso(r.since))} to ${esc(iso(r.until))} (${esc(formatDuration(r.until - r.since))}).</p>
${body}
</body></html>
`;
}
