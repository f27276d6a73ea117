/**
 * A status page: what the people who depend on the fleet see, without the fleet itself. Pure:
 * the caller passes the members, the silences and `now`.
 *
 * A page is a title and groups; a group is a display name and a selector over members: hosts, or
 * checks (scheduled jobs, docs/CHECKS.md). A selector names its kind; the page, its item and its
 * views are the same for both.
 *
 * What is public is decided here and only here: `publicView` builds everything a view may show
 * from the page's computed state, which never holds a label, a selector, a log line or (unless
 * the page opts in with `showHosts`) a hostname.
 */
import type { Check } from '../check/check';
import type { Host, HostState, Silence } from '../model';
import { dayOf } from '../model/days';
import { isInForce, silenceCovers } from '../notification/silences';

export type MemberKind = 'host' | 'check';

/** Which members a group holds: every member of this kind whose labels include all of these. */
export interface Selector {
  readonly kind: MemberKind;
  readonly labels: Readonly<Record<string, string>>;
}

export interface GroupDef {
  /** The name shown. */
  readonly name: string;
  /** Its name in a badge's URL: lower case, letters, digits and dashes. */
  readonly key: string;
  readonly selector: Selector;
}

export interface PageDef {
  readonly slug: string;
  readonly title: string;
  readonly groups: readonly GroupDef[];
  /** Whether members' names are shown: internal hostnames are private unless the page says so. */
  readonly showHosts: boolean;
  readonly createdAt: number;
}

export type GroupState = 'operational' | 'degraded' | 'down';

/** One member as a page sees it: up or not, and whether a silence (maintenance) covers it. */
export interface Member {
  readonly kind: MemberKind;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly up: boolean;
}

/** Time counted for the current UTC day, member-weighted: a group with 1 of 4 down for an hour loses 15 minutes. */
export interface DayTally {
  readonly day: string;
  /** Counted up to here. */
  readonly since: number;
  readonly upMs: number;
  readonly totalMs: number;
}

/** A finished UTC day of one group: what the daily item holds. */
export interface GroupDay {
  readonly group: string;
  readonly day: string;
  readonly upMs: number;
  readonly totalMs: number;
}

export interface GroupStatus {
  readonly key: string;
  readonly name: string;
  readonly state: GroupState;
  readonly members: number;
  readonly up: number;
  /** A silence covers at least one member now. */
  readonly maintenance: boolean;
  /** Members' names and whether each is up: only on a page with `showHosts`. */
  readonly hosts?: readonly { readonly name: string; readonly up: boolean }[];
  readonly tally: DayTally;
  /** Finished days, newest first, at most BAR_DAYS − 1 (today is the tally). */
  readonly history: readonly { readonly day: string; readonly availability: number | null }[];
}

/** A time a group was not operational. */
export interface Incident {
  readonly group: string;
  readonly state: Exclude<GroupState, 'operational'>;
  readonly start: number;
  readonly end?: number;
}

/** A silence over some of a page's members, as the page shows it: which groups and when, never why. */
export interface Maintenance {
  readonly groups: readonly string[];
  readonly startsAt: number;
  readonly endsAt: number;
}

/** What diagnose and the report compute and the views read: the page's state, public by construction. */
export interface PageState {
  readonly computedAt: number;
  readonly groups: readonly GroupStatus[];
  readonly incidents: readonly Incident[];
  readonly maintenance: readonly Maintenance[];
  /** Which silences it was computed with: a change (new, ended, edited) means computing again. */
  readonly silencesKey: string;
  /** How many hosts the fleet had when it was computed: one more or fewer may be a member come or gone. Never shown. */
  readonly fleet?: number;
}

export const BAR_DAYS = 90;
const DAY_MS = 86_400_000;
/** Incidents kept: those open, and those that ended within the bars' window, at most this many. */
const MAX_INCIDENTS = 50;

export const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const GROUP_NAME_MAX = 64;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** A slug, or why it is not one. */
export function checkSlug(slug: string): string | undefined {
  return SLUG.test(slug) ? undefined : `a page name is 1 to 63 lower-case letters, digits and dashes, not at either end: ${JSON.stringify(slug)}`;
}

/**
 * `Web=role=web` or `Web=role=web,env=prod`: a group of hosts, or of checks with `kind` 'check'.
 * The selector may also be written `label=team=ops` (`Backups=label=team=ops`).
 */
export function parseGroup(text: string, kind: MemberKind = 'host'): Omit<GroupDef, 'key'> | string {
  const eq = text.indexOf('=');
  if (eq <= 0) return `a group is NAME=label=value, e.g. 'Web=role=web': ${JSON.stringify(text)}`;
  const name = text.slice(0, eq).trim();
  if (name === '' || name.length > GROUP_NAME_MAX || CONTROL.test(name)) return `a group's name has 1 to ${GROUP_NAME_MAX} printable characters: ${JSON.stringify(name)}`;
  const labels: Record<string, string> = {};
  const selector = text.slice(eq + 1).replace(/^label=(?=[^=,]+=)/, '');
  for (const part of selector.split(',')) {
    const at = part.indexOf('=');
    const key = part.slice(0, Math.max(at, 0)).trim();
    const value = part.slice(at + 1).trim();
    if (at <= 0 || key === '' || value === '' || CONTROL.test(part)) return `group ${JSON.stringify(name)}: a selector is label=value[,label=value], got ${JSON.stringify(part)}`;
    labels[key] = value;
  }
  return { name, selector: { kind, labels } };
}

/** A group's key: its name in lower case, anything but letters and digits a dash. */
export function groupKey(name: string): string {
  return name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'group';
}

/** A page's definition, or why not: a slug, a title, groups with distinct keys. */
export function definePage(input: { slug: string; title: string; groups: readonly Omit<GroupDef, 'key'>[]; showHosts: boolean; createdAt: number }): PageDef | string {
  const bad = checkSlug(input.slug);
  if (bad) return bad;
  const title = input.title.trim();
  if (title === '' || title.length > 120 || CONTROL.test(title)) return 'a title has 1 to 120 printable characters';
  if (input.groups.length === 0) return "a page needs at least one group: --group 'Web=role=web'";
  if (input.groups.length > 20) return 'a page has at most 20 groups';
  const groups: GroupDef[] = [];
  for (const g of input.groups) {
    const key = groupKey(g.name);
    if (groups.some((o) => o.key === key)) return `two groups would share the badge name ${JSON.stringify(key)}: give them distinct names`;
    groups.push({ ...g, key });
  }
  return { slug: input.slug, title, groups, showHosts: input.showHosts, createdAt: input.createdAt };
}

/** Whether a host counts on a page at all, and if so whether it is up. Left and retired hosts are gone on purpose. */
export function hostMember(h: Pick<Host, 'hostname' | 'labels' | 'state'>): Member | undefined {
  const up: Partial<Record<HostState, boolean>> = { new: true, alive: true, dead: false };
  const u = up[h.state];
  return u === undefined ? undefined : { kind: 'host', name: h.hostname, labels: h.labels, up: u };
}

/** Whether a check counts on a page, and if so whether it is up: a paused check is left out, a late, failed or long one is down. */
export function checkMember(c: Pick<Check, 'name' | 'labels' | 'state' | 'paused'>): Member | undefined {
  if (c.paused) return undefined;
  return { kind: 'check', name: c.name, labels: c.labels, up: c.state === 'new' || c.state === 'up' };
}

export function selects(s: Selector, m: Member): boolean {
  return m.kind === s.kind && Object.entries(s.labels).every(([k, v]) => m.labels[k] === v);
}

export function groupState(members: number, up: number): GroupState {
  return up === members ? 'operational' : up === 0 ? 'down' : 'degraded';
}

/**
 * Count the tally forward to `now` at the share of members up until then. Days it crosses are
 * finished and returned; the tally then counts the day `now` is in.
 */
export function accrue(t: DayTally, group: string, upShare: number | undefined, now: number): { tally: DayTally; finished: GroupDay[] } {
  const finished: GroupDay[] = [];
  let cur = t;
  while (dayOf(now) > cur.day) {
    const end = Date.parse(`${cur.day}T00:00:00Z`) + DAY_MS;
    const span = Math.max(0, end - cur.since);
    const closed = add(cur, upShare, span);
    finished.push({ group, day: cur.day, upMs: closed.upMs, totalMs: closed.totalMs });
    cur = { day: dayOf(end), since: end, upMs: 0, totalMs: 0 };
  }
  // A writer whose clock is behind the last one's counts nothing, and counts on from its own now.
  const span = Math.max(0, now - cur.since);
  return { tally: { ...add(cur, upShare, span), since: now }, finished };
}

function add(t: DayTally, upShare: number | undefined, span: number): DayTally {
  // A group with no members counts no time: it has no availability to lose.
  if (upShare === undefined) return t;
  return { ...t, upMs: t.upMs + span * upShare, totalMs: t.totalMs + span };
}

export function availability(d: { upMs: number; totalMs: number }): number | null {
  return d.totalMs > 0 ? d.upMs / d.totalMs : null;
}

const shareOf = (g: Pick<GroupStatus, 'members' | 'up'>): number | undefined => (g.members > 0 ? g.up / g.members : undefined);

/** Silences by their ids and windows: equal keys, nothing to recompute. */
export function silencesKey(silences: readonly Silence[], now: number): string {
  return silences.filter((s) => s.endsAt > now).map((s) => `${s.id}:${s.startsAt}:${s.endsAt}`).sort().join(',');
}

/**
 * The page now, from its members and silences, and the state it had: the time since is counted
 * at the shares of members up it had, finished days move to the history (and are returned, for
 * their daily items), and a group that left or reached operational opens or closes an incident.
 */
export function computePage(def: PageDef, prev: PageState | undefined, members: readonly Member[], silences: readonly Silence[], now: number, fleet?: number): { state: PageState; finished: GroupDay[] } {
  const finished: GroupDay[] = [];
  const incidents = [...(prev?.incidents ?? [])];
  const groups = def.groups.map((g): GroupStatus => {
    const before = prev?.groups.find((p) => p.key === g.key);
    const mine = members.filter((m) => selects(g.selector, m));
    const up = mine.filter((m) => m.up).length;
    const state = groupState(mine.length, up);
    const { tally, finished: done } = accrue(before?.tally ?? { day: dayOf(now), since: now, upMs: 0, totalMs: 0 }, g.key, before ? shareOf(before) : undefined, now);
    finished.push(...done);
    noteIncident(incidents, g.key, state, now);
    const history = [...done.reverse().map((d) => ({ day: d.day, availability: availability(d) })), ...(before?.history ?? [])].slice(0, BAR_DAYS - 1);
    const maintenance = mine.some((m) => silences.some((s) => isInForce(s, now) && m.kind === 'host' && silenceCovers(s, { hostname: m.name, labels: { ...m.labels } })));
    return {
      key: g.key, name: g.name, state, members: mine.length, up, maintenance, tally, history,
      ...(def.showHosts ? { hosts: mine.map((m) => ({ name: m.name, up: m.up })).sort((a, b) => (a.name < b.name ? -1 : 1)) } : {}),
    };
  });
  return {
    state: {
      computedAt: now,
      groups,
      incidents: keepIncidents(incidents, now),
      maintenance: maintenanceOf(def, members, silences, now),
      silencesKey: silencesKey(silences, now),
      ...(fleet !== undefined ? { fleet } : {}),
    },
    finished,
  };
}

/** Count a page forward to `now` with its members as they were: for the daily report and a view. */
export function carryPage(prev: PageState, now: number): { state: PageState; finished: GroupDay[] } {
  const finished: GroupDay[] = [];
  const groups = prev.groups.map((g) => {
    const { tally, finished: done } = accrue(g.tally, g.key, shareOf(g), now);
    finished.push(...done);
    return { ...g, tally, history: [...done.reverse().map((d) => ({ day: d.day, availability: availability(d) })), ...g.history].slice(0, BAR_DAYS - 1) };
  });
  return { state: { ...prev, groups, computedAt: Math.max(prev.computedAt, now) }, finished };
}

/** Replace the finished days of the history with the stored daily items (the report's daily rewrite). */
export function withHistory(state: PageState, days: readonly GroupDay[], now: number): PageState {
  const today = dayOf(now);
  const from = dayOf(now - (BAR_DAYS - 1) * DAY_MS);
  return {
    ...state,
    groups: state.groups.map((g) => {
      const stored = days.filter((d) => d.group === g.key && d.day < today && d.day >= from);
      const byDay = new Map(g.history.map((h) => [h.day, h.availability]));
      for (const d of stored) byDay.set(d.day, availability(d));
      const history = [...byDay].filter(([day]) => day < today && day >= from).sort((a, b) => (a[0] < b[0] ? 1 : -1)).map(([day, a]) => ({ day, availability: a }));
      return { ...g, history };
    }),
  };
}

function noteIncident(incidents: Incident[], group: string, now: GroupState, at: number): void {
  const open = incidents.findIndex((i) => i.group === group && i.end === undefined);
  if (now === 'operational') {
    if (open >= 0) incidents[open] = { ...(incidents[open] as Incident), end: at };
    return;
  }
  if (open < 0) incidents.unshift({ group, state: now, start: at });
  // An incident is as bad as it got.
  else if (now === 'down') incidents[open] = { ...(incidents[open] as Incident), state: 'down' };
}

function keepIncidents(incidents: readonly Incident[], now: number): Incident[] {
  const from = now - BAR_DAYS * DAY_MS;
  return incidents.filter((i) => i.end === undefined || i.end >= from).sort((a, b) => b.start - a.start).slice(0, MAX_INCIDENTS);
}

function maintenanceOf(def: PageDef, members: readonly Member[], silences: readonly Silence[], now: number): Maintenance[] {
  const out: Maintenance[] = [];
  for (const s of silences) {
    if (s.endsAt <= now) continue;
    const groups = def.groups.filter((g) => members.some((m) => selects(g.selector, m) && m.kind === 'host' && silenceCovers(s, { hostname: m.name, labels: { ...m.labels } }))).map((g) => g.key);
    if (groups.length > 0) out.push({ groups, startsAt: s.startsAt, endsAt: s.endsAt });
  }
  return out.sort((a, b) => a.startsAt - b.startsAt);
}
