/**
 * A status page's HTML and its badges' SVG, from the public view only. The HTML needs no script:
 * the states are words as well as colours, each day's bar carries its figure as text for screen
 * readers and as a tooltip, and the colours follow the viewer's light or dark preference. Pure.
 */
import type { GroupState } from './page';
import { badgeOf, type GroupView, type StatusView } from './view';

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const WORDS: Record<GroupState, string> = { operational: 'Operational', degraded: 'Degraded', down: 'Down' };
const HEADLINE: Record<GroupState, string> = {
  operational: 'All systems operational',
  degraded: 'Some systems degraded',
  down: 'Major outage',
};

const STYLE = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--ok:#1a7f37;--warn:#9a6700;--bad:#cf222e;--none:#d0d7de;--card:#f6f8fa}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--line:#30363d;--ok:#3fb950;--warn:#d29922;--bad:#f85149;--none:#30363d;--card:#161b22}}
*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif}
main{max-width:52rem;margin:0 auto;padding:1.5rem 1rem}h1{font-size:1.6rem;margin:0 0 1rem}h2{font-size:1.15rem;margin:2rem 0 .5rem}
.banner{padding:.8rem 1rem;border-radius:6px;font-weight:600;color:#fff}.banner.operational{background:var(--ok)}.banner.degraded{background:var(--warn)}.banner.down{background:var(--bad)}
.group{border:1px solid var(--line);border-radius:6px;padding:.8rem 1rem;margin:.8rem 0;background:var(--card)}
.head{display:flex;justify-content:space-between;gap:1rem;flex-wrap:wrap}.name{font-weight:600;margin:0;font-size:1rem}
.state.operational{color:var(--ok)}.state.degraded{color:var(--warn)}.state.down{color:var(--bad)}
.bars{display:flex;gap:2px;height:2rem;margin:.6rem 0 .2rem;padding:0;list-style:none}.bars li{flex:1;border-radius:2px;background:var(--none)}
.bars li.full{background:var(--ok)}.bars li.part{background:var(--warn)}.bars li.low{background:var(--bad)}
.legend{display:flex;justify-content:space-between;color:var(--muted);font-size:.85rem}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
ul.plain{padding-left:1.2rem}footer{margin-top:2rem;color:var(--muted);font-size:.85rem}
`;

function barClass(a: number | null): string {
  return a === null ? 'none' : a >= 100 ? 'full' : a >= 95 ? 'part' : 'low';
}

function group(g: GroupView): string {
  const first = g.bars[0]?.day ?? '';
  const bars = g.bars.map((b) => {
    const text = `${b.day}: ${b.availability === null ? 'no data' : `${b.availability}%`}`;
    return `<li class="${barClass(b.availability)}" title="${esc(text)}"><span class="sr">${esc(text)}</span></li>`;
  }).join('');
  const hosts = g.hosts ? `<ul class="plain hosts">${g.hosts.map((h) => `<li>${esc(h.name)}: ${h.up ? 'up' : 'down'}</li>`).join('')}</ul>` : '';
  return `<section class="group" data-group="${esc(g.key)}" data-state="${g.state}" aria-labelledby="g-${esc(g.key)}">
<div class="head"><h3 class="name" id="g-${esc(g.key)}">${esc(g.name)}</h3><span class="state ${g.state}">${WORDS[g.state]}${g.maintenance ? ' (maintenance)' : ''}</span></div>
<ol class="bars" aria-label="${esc(`${g.name}: availability per day, the last ${g.bars.length} days`)}">${bars}</ol>
<div class="legend"><span>${esc(first)}</span><span>${g.availability === null ? 'no data' : `${g.availability}% available`}</span><span>today</span></div>${hosts}
</section>`;
}

export function renderStatusHtml(v: StatusView): string {
  const incidents = v.incidents.length === 0 ? '<p>No incidents in the last 90 days.</p>'
    : `<ul class="plain incidents">${v.incidents.map((i) => `<li><strong>${esc(i.group)}</strong> ${WORDS[i.state].toLowerCase()} from <time datetime="${i.start}">${i.start.replace('T', ' ').slice(0, 16)} UTC</time>${
      i.end ? ` to <time datetime="${i.end}">${i.end.replace('T', ' ').slice(0, 16)} UTC</time>` : ', <strong>ongoing</strong>'}</li>`).join('')}</ul>`;
  const maintenance = v.maintenance.length === 0 ? '<p>None planned.</p>'
    : `<ul class="plain maintenance">${v.maintenance.map((m) => `<li>${esc(m.groups.join(', '))}: <time datetime="${m.startsAt}">${m.startsAt.replace('T', ' ').slice(0, 16)}</time> to <time datetime="${m.endsAt}">${m.endsAt.replace('T', ' ').slice(0, 16)} UTC</time></li>`).join('')}</ul>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(v.title)}: ${HEADLINE[v.state]}</title><meta name="color-scheme" content="light dark"><style>${STYLE}</style></head>
<body><main>
<h1>${esc(v.title)}</h1>
<p class="banner ${v.state}" role="status">${HEADLINE[v.state]}</p>
<h2>Groups</h2>
${v.groups.map(group).join('\n')}
<h2>Incidents</h2>
${incidents}
<h2>Maintenance</h2>
${maintenance}
<footer>As of <time datetime="${v.asOf}">${v.asOf.replace('T', ' ').slice(0, 16)} UTC</time>. Also as <a href="${esc(v.slug)}.json">JSON</a>.</footer>
</main></body></html>
`;
}

const COLOURS: Record<string, string> = { brightgreen: '#4c1', yellow: '#dfb317', red: '#e05d44' };

/** Roughly Verdana 11px, as shields measures: wide enough, never clipped. */
const width = (s: string): number => Math.round([...s].reduce((w, c) => w + (/[ilj.,:;|!']/.test(c) ? 3.5 : /[mwMW@]/.test(c) ? 10 : /[A-Z]/.test(c) ? 8 : 7), 0)) + 10;

/** A flat shields-style badge: the group's name, then up, degraded or down in its colour. */
export function renderBadgeSvg(g: Pick<GroupView, 'name' | 'state'>): string {
  const b = badgeOf(g);
  const lw = width(b.label);
  const mw = width(b.message);
  const w = lw + mw;
  const fill = COLOURS[b.color] ?? '#9f9f9f';
  const text = `${b.label}: ${b.message}`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="20" role="img" aria-label="${esc(text)}"><title>${esc(text)}</title>`
    + `<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>`
    + `<clipPath id="r"><rect width="${w}" height="20" rx="3" fill="#fff"/></clipPath>`
    + `<g clip-path="url(#r)"><rect width="${lw}" height="20" fill="#555"/><rect x="${lw}" width="${mw}" height="20" fill="${fill}"/><rect width="${w}" height="20" fill="url(#s)"/></g>`
    + `<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">`
    + `<text x="${lw / 2}" y="15" fill="#010101" fill-opacity=".3">${esc(b.label)}</text><text x="${lw / 2}" y="14">${esc(b.label)}</text>`
    + `<text x="${lw + mw / 2}" y="15" fill="#010101" fill-opacity=".3">${esc(b.message)}</text><text x="${lw + mw / 2}" y="14">${esc(b.message)}</text></g></svg>`;
}
