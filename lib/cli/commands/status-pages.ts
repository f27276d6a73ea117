import { createStatusPage } from '../../app/status-pages';
import { silenceStore, statusPageStore, statusPagesDeps } from '../../compose';
import { definePage, parseGroup, type PageDef } from '../../domain/status/page';
import { publicView } from '../../domain/status/view';
import type { Context } from '../context';
import { notFound, usage } from '../errors';
import { styleFor, table } from '../format';

export interface StatusPageAddOptions {
  title?: string;
  group?: string[];
  checks?: string[];
  showHosts?: boolean;
  json?: boolean;
}

/** Where a page is served: the API's URL when the CLI knows it (DTS_API_URL), else the path. */
const where = (ctx: Context, slug: string): string => `${(ctx.io.env.DTS_API_URL ?? '').replace(/\/+$/, '')}/status/${slug}`;

/** `dts status-pages add public --title "Acme status" --group 'Web=role=web' --group 'Database=role=db' [--show-hosts]` */
export async function statusPagesAddCommand(ctx: Context, slug: string, o: StatusPageAddOptions): Promise<number> {
  if (!o.title) throw usage('give the page a title: --title "Acme status"');
  const groups = [];
  for (const [kind, texts] of [['host', o.group ?? []], ['check', o.checks ?? []]] as const) {
    for (const text of texts) {
      const g = parseGroup(text, kind);
      if (typeof g === 'string') throw usage(kind === 'check' ? `--checks: ${g}` : g);
      groups.push(g);
    }
  }
  const now = Date.now();
  const def = definePage({ slug, title: o.title, groups, showHosts: o.showHosts === true, createdAt: now });
  if (typeof def === 'string') throw usage(def);
  const root = await ctx.root(['hostsTable', 'silencesTable', 'statusTable', ...((o.checks ?? []).length > 0 ? ['checksTable' as const] : [])]);
  if (!(await createStatusPage(statusPagesDeps(root), def, await silenceStore(root).all(), now))) {
    throw usage(`a status page ${JSON.stringify(slug)} exists already (\`dts status-pages remove ${slug}\` first)`);
  }
  if (o.json) ctx.io.out(JSON.stringify(describe(ctx, def), null, 2) + '\n');
  else {
    ctx.io.out(`status page ${slug} made: ${where(ctx, slug)} (JSON: ${where(ctx, slug)}.json)\n`);
    for (const g of def.groups) ctx.io.out(`  badge for ${g.name}: ${(ctx.io.env.DTS_API_URL ?? '').replace(/\/+$/, '')}/badge/${slug}/${g.key}.svg\n`);
  }
  return 0;
}

export async function statusPagesListCommand(ctx: Context, o: { json?: boolean }): Promise<number> {
  const pages = await statusPageStore(await ctx.root(['statusTable'])).list();
  if (o.json) {
    ctx.io.out(JSON.stringify(pages.map((p) => ({ ...describe(ctx, p.def), state: p.state ? publicView(p.def, p.state, Date.now()).state : null })), null, 2) + '\n');
    return 0;
  }
  if (pages.length === 0) {
    ctx.io.err("no status pages; make one with `dts status-pages add public --title \"Acme status\" --group 'Web=role=web'`\n");
    return 0;
  }
  const s = styleFor(ctx.io.isTTY, ctx.io.env);
  ctx.io.out(table(['PAGE', 'TITLE', 'GROUPS', 'HOSTS SHOWN', 'STATE'], pages.map((p) => [
    p.def.slug, p.def.title, p.def.groups.map((g) => g.name).join(', '), p.def.showHosts ? 'yes' : 'no', p.state ? publicView(p.def, p.state, Date.now()).state : 'not computed yet',
  ]), s));
  return 0;
}

export async function statusPagesShowCommand(ctx: Context, slug: string, o: { json?: boolean }): Promise<number> {
  const p = await statusPageStore(await ctx.root(['statusTable'])).get(slug, true);
  if (!p) throw notFound(`no status page ${JSON.stringify(slug)} (\`dts status-pages list\` shows them)`);
  const view = p.state ? publicView(p.def, p.state, Date.now()) : undefined;
  if (o.json) {
    ctx.io.out(JSON.stringify({ ...describe(ctx, p.def), view: view ?? null }, null, 2) + '\n');
    return 0;
  }
  ctx.io.out(`${p.def.title} (${slug}): ${where(ctx, slug)}\n`);
  for (const g of p.def.groups) {
    const v = view?.groups.find((x) => x.key === g.key);
    const sel = Object.entries(g.selector.labels).map(([k, val]) => `${k}=${val}`).join(',');
    ctx.io.out(`  ${g.name} [${g.selector.kind}s ${sel}]: ${v ? `${v.state}${v.maintenance ? ' (maintenance)' : ''}, ${v.availability ?? '-'}% over 90 days` : 'not computed yet'}\n`);
  }
  if (p.def.showHosts) ctx.io.out('  hostnames are shown on the page (--show-hosts)\n');
  return 0;
}

export async function statusPagesRemoveCommand(ctx: Context, slug: string, o: { json?: boolean }): Promise<number> {
  if (!(await statusPageStore(await ctx.root(['statusTable'])).remove(slug))) throw notFound(`no status page ${JSON.stringify(slug)}`);
  if (o.json) ctx.io.out(JSON.stringify({ slug, removed: true }) + '\n');
  else ctx.io.out(`status page ${slug} removed; its URL and badges now answer 404\n`);
  return 0;
}

/** A page's definition as the operator sees it: selectors included (they are not private to the operator). */
function describe(ctx: Context, def: PageDef) {
  return {
    slug: def.slug, title: def.title, showHosts: def.showHosts, createdAt: new Date(def.createdAt).toISOString(), url: where(ctx, def.slug),
    groups: def.groups.map((g) => ({ name: g.name, key: g.key, kind: g.selector.kind, labels: g.selector.labels })),
  };
}
