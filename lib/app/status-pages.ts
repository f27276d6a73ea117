import { dayOf } from '../domain/model/days';
import type { Silence } from '../domain/model';
import { BAR_DAYS, carryPage, checkMember, computePage, hostMember, silencesKey, withHistory, type GroupDay, type Member, type PageDef, type PageState } from '../domain/status/page';
import { publicView, type StatusView } from '../domain/status/view';
import type { ChecksPort, HostsPort, StatusPagesPort, StoredStatusPage } from '../ports';
import type { Log } from './log';

/**
 * Status pages' use cases: keeping each page's item current (diagnose after a pass, the report
 * once a day, the CLI when a page is made) and serving a view from it in one read.
 */
export interface StatusPagesDeps {
  readonly pages: StatusPagesPort;
  readonly hosts: Pick<HostsPort, 'list'>;
  /** The checks, when this deployment has them: groups may select them. */
  readonly checks?: Pick<ChecksPort, 'list'>;
  readonly scanSegments: number;
  readonly log: Log;
}

/** What a pass tells the pages: its time, its silences, whether any host changed state, how many it saw. */
export interface PassNews {
  readonly now: number;
  readonly silences: readonly Silence[];
  readonly changed: boolean;
  readonly examined?: number;
}

const DAY_MS = 86_400_000;
/** Tries of a page's conditional write before leaving it to the next pass. */
const SAVE_TRIES = 3;

/**
 * After a pass: every page is read (one Query), and only when something could have moved one of
 * them (a state change, a host come or gone, a silence, a new day, a page never computed) is the
 * fleet read and the page computed again; it is written only if what it shows changed.
 */
export async function refreshStatusPages(d: StatusPagesDeps, news: PassNews): Promise<{ written: number }> {
  const pages = await d.pages.list();
  if (pages.length === 0) return { written: 0 };
  const key = silencesKey(news.silences, news.now);
  const stale = pages.filter((p) => news.changed || p.state === undefined || p.state.silencesKey !== key
    || (news.examined !== undefined && p.state.fleet !== news.examined) || dayOf(p.state.computedAt) !== dayOf(news.now)
    || p.state.groups.map((g) => g.key).join() !== p.def.groups.map((g) => g.key).join());
  if (stale.length === 0) return { written: 0 };
  const members = await membersNow(d);
  let written = 0;
  for (const p of stale) {
    if (await rewrite(d, p, (prev) => computePage(p.def, prev, members, news.silences, news.now, news.examined))) written++;
  }
  if (written > 0) d.log.debug('status pages rewritten', { written, pages: pages.length });
  return { written };
}

/**
 * The report's daily rewrite: each page counted forward to `now`, its finished days written as
 * daily items, and its bars rebuilt from those items (what a missed or failed pass left out).
 */
export async function rollStatusPages(d: Pick<StatusPagesDeps, 'pages' | 'log'>, now: number): Promise<{ written: number }> {
  let written = 0;
  for (const p of await d.pages.list()) {
    if (!p.state) continue;
    const from = dayOf(now - (BAR_DAYS - 1) * DAY_MS);
    const ok = await rewrite(d, p, (prev) => {
      const carried = carryPage(prev ?? (p.state as PageState), now);
      return { state: carried.state, finished: carried.finished };
    }, async (state) => withHistory(state, await d.pages.days(p.def.slug, from, dayOf(now)), now));
    if (ok) written++;
  }
  return { written };
}

/** Make a page and compute its first state at once, so that it never shows groups it has not looked at. */
export async function createStatusPage(d: StatusPagesDeps, def: PageDef, silences: readonly Silence[], now: number): Promise<boolean> {
  if (!(await d.pages.create(def))) return false;
  const members = await membersNow(d);
  await rewrite(d, { def, state: undefined, version: 0 }, (prev) => computePage(def, prev, members, silences, now));
  return true;
}

/** A page as its viewers get it, from its one item; undefined for a page there is not (or not yet computed). */
export async function viewStatusPage(pages: Pick<StatusPagesPort, 'get'>, slug: string, now: number): Promise<StatusView | undefined> {
  const p = await pages.get(slug);
  return p?.state ? publicView(p.def, p.state, now) : undefined;
}

async function membersNow(d: Pick<StatusPagesDeps, 'hosts' | 'checks' | 'scanSegments'>): Promise<Member[]> {
  const [hosts, checks] = await Promise.all([d.hosts.list(d.scanSegments), d.checks ? d.checks.list() : []]);
  return [...hosts.map(hostMember), ...checks.map(checkMember)].filter((m): m is Member => m !== undefined);
}

/** The shown part of a state: equal, and a rewrite would change nothing a viewer sees. */
const shown = (s: PageState | undefined): string => JSON.stringify(s && {
  groups: s.groups.map(({ tally: _t, ...g }) => g), incidents: s.incidents, maintenance: s.maintenance, silencesKey: s.silencesKey, fleet: s.fleet, day: dayOf(s.computedAt),
});

/** Compute and save a page's state over the version it was computed from, reading it again when another writer came first. */
async function rewrite(
  d: Pick<StatusPagesDeps, 'pages' | 'log'>, page: StoredStatusPage,
  compute: (prev: PageState | undefined) => { state: PageState; finished: GroupDay[] },
  finish?: (state: PageState) => Promise<PageState>,
): Promise<boolean> {
  let p: StoredStatusPage | undefined = page;
  for (let i = 0; i < SAVE_TRIES && p; i++) {
    const { state, finished } = compute(p.state);
    if (finished.length > 0) await d.pages.putDays(p.def.slug, finished);
    const next = finish ? await finish(state) : state;
    if (!finish && finished.length === 0 && p.state && shown(p.state) === shown(next)) return false;
    if (await d.pages.save(p.def.slug, p.version, next)) return true;
    p = await d.pages.get(page.def.slug, true);
  }
  if (p) d.log.warn('status page not rewritten: other writers kept coming first; the next pass tries again', { page: page.def.slug });
  return false;
}
