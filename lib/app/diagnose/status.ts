import type { NotificationKind, Silence } from '../../domain/model';
import { refreshStatusPages } from '../status-pages';
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
 * Status pages after a pass (and its deadline watches): rewritten when a member (a host or a check) changed state.
 * A page that cannot be written is logged and left to the next pass: it never fails the pass,
 * whose alerts matter more than a page a minute late.
 */
export async function keepStatusPagesCurrent(
  d: PassDeps, at: { now: number; silences: readonly Silence[]; examined: number; transitions: readonly Partial<Record<NotificationKind, number>>[] },
): Promise<void> {
  if (!d.statusPages) return;
  const changed = at.transitions.some((t) => Object.values(t).some((n) => (n ?? 0) > 0));
  try {
    await refreshStatusPages({ pages: d.statusPages, hosts: d.hosts, ...(d.checks ? { checks: d.checks } : {}), scanSegments: d.scanSegments, log: d.log }, {
      now: at.now, silences: at.silences, changed, examined: at.examined,
    });
  } catch (e) {
    d.log.warn('status pages not rewritten; the next pass tries again', { error: e instanceof Error ? e.message : String(e) });
  }
}
