import type { LivenessRule } from '../domain/host/liveness';
import type { PingDeps } from '../app/checks/ping';
import type { RuleAdmin } from '../app/rules/manage';
import type { ChecksPort, Clock, HostCountsPort, HostPagesPort, HostsPort, KeysPort, LogsPort, NotificationsPort, ReportPagesPort, ReportsPort, SilencesPort, StatusPagesPort } from '../ports';

/** What the API reads and writes: the stores, the liveness rule, and a clock. */
export interface ApiDeps {
  readonly keys: KeysPort;
  readonly hosts: Pick<HostsPort, 'get'>;
  /** The counts the last diagnose pass recorded: /hosts/counts reads them, it never scans. */
  readonly hostCounts: Pick<HostCountsPort, 'hostCounts'>;
  readonly hostPages: HostPagesPort;
  readonly notifications: Pick<NotificationsPort, 'page'>;
  readonly logs: Pick<LogsPort, 'query' | 'page'>;
  readonly silences: Pick<SilencesPort, 'all' | 'create' | 'end'>;
  /** Log rules (docs/RULES.md); without it, /api/v1/rules answers 404. */
  readonly rules?: RuleAdmin['rules'];
  readonly reports: Pick<ReportsPort, 'latest'>;
  readonly reportPages: ReportPagesPort;
  readonly liveness: LivenessRule;
  /** Origins besides the console's own that may call the API from a browser. */
  readonly extraOrigins: readonly string[];
  readonly now: Clock;
  /** The checks, when this deployment has a checks table: /api/v1/checks. */
  readonly checks?: Pick<ChecksPort, 'list' | 'get'>;
  /** Where /ping/<key> signals go (no API key); without it, /ping answers 404. */
  readonly pings?: PingDeps;
  /** Status pages, served without a key; without it, /status and /badge answer 404. */
  readonly statusPages?: Pick<StatusPagesPort, 'get'>;
}
