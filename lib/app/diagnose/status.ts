import type { NotificationKind, Silence } from '../../domain/model';
import { refreshStatusPages, type PassNews } from '../status-pages';
import type { ChecksPort, HostsPort, StatusPagesPort } from '../../ports';
import type { Log } from '../log';

/** What of a pass's deps the pages need (DiagnoseDeps has them). */
interface PassDeps {
  readonly statusPages?: StatusPagesPort;
  readonly hosts: Pick<HostsPort, 'list'>;
  readonly checks?: Pick<ChecksPort, 'list'>;
  readonly scanSegments: number;
  readonly log: Log;
}

/**
 * Status pages after a pass with no watch: rewritten when a member (a host or a check) changed
 * state. A page that cannot be written is logged and left to the next pass: it never fails the
 * pass, whose alerts matter more than a page a minute late.
 */
export async function keepStatusPagesCurrent(
  d: PassDeps, at: { now: number; silences: readonly Silence[]; examined: number; transitions: readonly Partial<Record<NotificationKind, number>>[] },
): Promise<void> {
  await rewritePages(d, { now: at.now, silences: at.silences, examined: at.examined, changed: at.transitions.some(anyTransition) });
}

/** Whether a count of transitions counts any. */
export const anyTransition = (t: Partial<Record<NotificationKind, number>>): boolean => Object.values(t).some((n) => (n ?? 0) > 0);

/**
 * The least time between the starts of two rewrites of the pages in one invocation, the last
 * one (when the watch ends) excepted. Each rewrite that finds a change reads the fleet once (a
 * parallel Scan, as the pass does) and writes each page at most once, so an invocation rewrites
 * a page at most five times (after the pass, at most every 15 s of its 60 s watch, and at its
 * end), and only while members keep changing state; a page lags a change by at most this much.
 */
export const PAGE_REWRITE_GAP_MS = 15_000;

/** Keeps the pages current through a scheduled invocation: after the pass, and after each watch batch that changed a member. */
export interface PageKeeper {
  /** A host or check changed state: the pages are rewritten now, or once the gap since the last rewrite has passed. */
  readonly changed: () => void;
  /** The watch is over: a change not yet on the pages is written now, and any rewrite under way is waited for. */
  readonly settle: () => Promise<void>;
}

/**
 * Rewrites the pages at once (`changed`: the pass changed some member), in the background, and
 * again as the watch reports changes, at most once every `gapMs`. Rewrites never overlap one
 * another, and never hold the watch up: a death is confirmed at its deadline whatever a page costs.
 */
export function keepPagesThroughWatch(
  d: PassDeps, at: { readonly now: () => number; readonly silences: readonly Silence[]; readonly examined: number },
  changed: boolean, gapMs: number = PAGE_REWRITE_GAP_MS,
): PageKeeper {
  let running: Promise<void> | undefined;
  let lastStart = 0;
  let dirty = false;
  let closed = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const start = (news: boolean): void => {
    timer = undefined;
    dirty = false;
    lastStart = Date.now();
    running = rewritePages(d, { now: at.now(), silences: at.silences, examined: at.examined, changed: news }).finally(() => {
      running = undefined;
      if (dirty && !closed) schedule();
    });
  };
  // The gap is counted on the real clock: it bounds what the rewrites cost, whatever time the pages are computed at.
  const schedule = (): void => {
    if (timer !== undefined || running !== undefined) return;
    const wait = lastStart + gapMs - Date.now();
    if (wait <= 0) start(true);
    else timer = setTimeout(() => start(true), wait);
  };
  if (d.statusPages) start(changed);
  return {
    changed: () => {
      if (!d.statusPages || closed) return;
      dirty = true;
      schedule();
    },
    settle: async () => {
      closed = true;
      clearTimeout(timer);
      timer = undefined;
      await running;
      if (dirty) {
        dirty = false;
        await rewritePages(d, { now: at.now(), silences: at.silences, examined: at.examined, changed: true });
      }
    },
  };
}

async function rewritePages(d: PassDeps, news: PassNews): Promise<void> {
  if (!d.statusPages) return;
  try {
    await refreshStatusPages({ pages: d.statusPages, hosts: d.hosts, ...(d.checks ? { checks: d.checks } : {}), scanSegments: d.scanSegments, log: d.log }, news);
  } catch (e) {
    d.log.warn('status pages not rewritten; the next pass tries again', { error: e instanceof Error ? e.message : String(e) });
  }
}
