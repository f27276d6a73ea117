import type { Host } from '../model';

export interface StormRule {
  /** A storm is more than this share (0–1) of a group dying in one pass. */
  readonly share: number;
  /** And at least this many hosts. */
  readonly minHosts: number;
  /**
   * Deaths this recent (seconds) count with the deaths being judged, whichever invocation decided
   * them: a rack whose deadlines straddle a pass is one storm, and a death that comes a little
   * after a storm's first notice joins it. Default 60, one pass period.
   */
  readonly windowSeconds?: number;
}

export const DEFAULT_STORM_RULE: StormRule = { share: 0.5, minHosts: 3, windowSeconds: 60 };

export interface Storm {
  /** `fleet`, or the `label=value` the group shares; for checks, behind `checks` (`checksScope`). */
  readonly scope: string;
  /** The hosts (or check names) of the group that died (went late) in this pass, sorted. */
  readonly hostnames: string[];
  /** How many monitored hosts the group has. */
  readonly total: number;
  /** A label value every dying host shares, the likely common cause; undefined if none. */
  readonly cause: string | undefined;
}

type Member = Pick<Host, 'labels' | 'state'>;

/**
 * How many watched hosts the fleet has, in all and per label value (`rack=r1`). Diagnose folds
 * each scanned page into it, so a pass holds counts, not the fleet.
 */
export interface Population {
  total: number;
  readonly byLabel: Map<string, number>;
  /** Whose counts these are: hosts unless said (a storm's scope says which, `checksScope`). */
  readonly members?: 'checks';
}

export function emptyPopulation(): Population {
  return { total: 0, byLabel: new Map() };
}

/**
 * Checks storm apart from hosts, among checks only (docs/CHECKS.md, "Storms"): a late check and
 * a dead host are not one measure, and a rack's hosts must not stop being a storm because the
 * same label also names checks that are on time. Their scopes carry this prefix, so that a
 * checks' storm and a hosts' storm never share an incident: `checks` (every check) or
 * `checks:rack=r1`.
 */
const CHECKS = 'checks';

/** The scope of a storm among checks, from the group its share is of (`fleet`, or `rack=r1`). */
export function checksScope(group: string): string {
  return group === 'fleet' ? CHECKS : `${CHECKS}:${group}`;
}

/** Who a storm's scope groups, and the group: `fleet` (all of them) or the `label=value` they share. */
export function stormGroup(scope: string): { readonly members: 'hosts' | 'checks'; readonly group: string } {
  if (scope === CHECKS) return { members: 'checks', group: 'fleet' };
  if (scope.startsWith(`${CHECKS}:`)) return { members: 'checks', group: scope.slice(CHECKS.length + 1) };
  return { members: 'hosts', group: scope };
}

export function emptyCheckPopulation(): Population {
  return { total: 0, byLabel: new Map(), members: 'checks' };
}

/** A check counts towards its groups' shares unless paused: a paused check is never judged, so never late. */
export function countCheck(p: Population, c: { readonly paused: boolean; readonly labels: Readonly<Record<string, string>> }): void {
  if (c.paused) return;
  p.total++;
  for (const [k, v] of groupingLabels(c)) p.byLabel.set(`${k}=${v}`, (p.byLabel.get(`${k}=${v}`) ?? 0) + 1);
}

/** Hosts that count towards a share: those whose liveness is watched. */
function watched(h: Member): boolean {
  return h.state === 'new' || h.state === 'alive' || h.state === 'dead';
}

export function countHost(p: Population, h: Member): void {
  if (!watched(h)) return;
  p.total++;
  for (const [k, v] of groupingLabels(h)) p.byLabel.set(`${k}=${v}`, (p.byLabel.get(`${k}=${v}`) ?? 0) + 1);
}

export function populationOf(hosts: readonly Member[]): Population {
  const p = emptyPopulation();
  for (const h of hosts) countHost(p, h);
  return p;
}

/**
 * Threshold labels (`dts.*`) say nothing about where a host is. A key that begins with the
 * checks' prefix (`checks:`) does not group either: its scope would read as a storm of checks.
 */
function groupingLabels(h: Pick<Host, 'labels'>): [string, string][] {
  return Object.entries(h.labels).filter(([k]) => !k.startsWith('dts.') && !k.startsWith(`${CHECKS}:`));
}

function isStorm(dying: number, total: number, rule: StormRule): boolean {
  return dying >= rule.minHosts && total > 0 && dying / total > rule.share;
}

/**
 * Which of this pass's deaths are a storm. First the whole fleet: more than `share` of the
 * watched hosts dying. Otherwise each label value: more than `share` of the hosts carrying it.
 * Larger groups are taken first, and a host belongs to one storm at most. Exactly at the share
 * is not a storm.
 */
export function detectStorms(fleet: Population | readonly Member[], dying: readonly Pick<Host, 'hostname' | 'labels'>[], rule: StormRule): Storm[] {
  const population = 'total' in fleet ? fleet : populationOf(fleet);
  const storms = stormsAmong(population, dying, rule);
  return population.members === 'checks' ? storms.map((s) => ({ ...s, scope: checksScope(s.scope) })) : storms;
}

function stormsAmong(population: Population, dying: readonly Pick<Host, 'hostname' | 'labels'>[], rule: StormRule): Storm[] {
  const sorted = (hosts: readonly { hostname: string }[]) => hosts.map((h) => h.hostname).sort();
  if (isStorm(dying.length, population.total, rule)) {
    return [{ scope: 'fleet', hostnames: sorted(dying), total: population.total, cause: sharedLabel(dying, population) }];
  }
  const candidates = new Map<string, { label: string; value: string }>();
  for (const h of dying) for (const [label, value] of groupingLabels(h)) candidates.set(`${label}=${value}`, { label, value });
  const groups = [...candidates.entries()].map(([scope, { label, value }]) => ({
    scope,
    dying: dying.filter((h) => h.labels[label] === value),
    total: population.byLabel.get(scope) ?? 0,
  })).filter((g) => isStorm(g.dying.length, g.total, rule))
    .sort((a, b) => b.dying.length - a.dying.length || b.dying.length / b.total - a.dying.length / a.total || a.scope.localeCompare(b.scope));

  const taken = new Set<string>();
  const storms: Storm[] = [];
  for (const g of groups) {
    const left = g.dying.filter((h) => !taken.has(h.hostname));
    if (!isStorm(left.length, g.total, rule)) continue;
    for (const h of left) taken.add(h.hostname);
    storms.push({ scope: g.scope, hostnames: sorted(left), total: g.total, cause: g.scope });
  }
  return storms;
}

/**
 * The label value all the dying hosts share that is rarest among the survivors: the most
 * specific common factor (a rack rather than the environment).
 */
function sharedLabel(dying: readonly Pick<Host, 'labels'>[], population: Population): string | undefined {
  const first = dying[0];
  if (!first) return undefined;
  const shared = groupingLabels(first).filter(([k, v]) => dying.every((h) => h.labels[k] === v));
  let best: { scope: string; total: number } | undefined;
  for (const [k, v] of shared) {
    const total = population.byLabel.get(`${k}=${v}`) ?? 0;
    if (!best || total < best.total) best = { scope: `${k}=${v}`, total };
  }
  return best?.scope;
}
