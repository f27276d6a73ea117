import type { LivenessRule } from '../domain/host/liveness';
import type { PingDeps } from '../app/checks/ping';
import type { ChecksPort, Clock, HostPagesPort, HostsPort, KeysPort, LogsPort, NotificationsPort, ReportPagesPort, ReportsPort, SilencesPort } from '../ports';

/** What the API reads and writes: the stores, the liveness rule, and a clock. */
export interface ApiDeps {
  readonly keys: KeysPort;
  readonly hosts: Pick<HostsPort, 'get' | 'list'>;
  readonly hostPages: HostPagesPort;
  readonly notifications: Pick<NotificationsPort, 'page'>;
  readonly logs: Pick<LogsPort, 'query' | 'page'>;
  readonly silences: Pick<SilencesPort, 'all' | 'create' | 'end'>;
  readonly reports: Pick<ReportsPort, 'latest'>;
  readonly reportPages: ReportPagesPort;
  readonly liveness: LivenessRule;
  readonly scanSegments: number;
  /** Origins besides the console's own that may call the API from a browser. */
  readonly extraOrigins: readonly string[];
  readonly now: Clock;
  /** The checks, when this deployment has a checks table: /api/v1/checks. */
  readonly checks?: Pick<ChecksPort, 'list' | 'get'>;
  /** Where /ping/<key> signals go (no API key); without it, /ping answers 404. */
  readonly pings?: PingDeps;
}
