import type { LivenessRule } from '../rules/liveness';
import type { ApiKeyStore } from '../store/api-keys';
import type { HostPages } from '../store/host-pages';
import type { HostStore } from '../store/hosts';
import type { LogStore } from '../store/logs';
import type { NotificationStore } from '../store/notifications';
import type { ReportPages } from '../store/report-pages';
import type { ReportStore } from '../store/reports';
import type { SilenceStore } from '../store/silences';

/** What the API reads and writes: the stores, the liveness rule, and a clock. */
export interface ApiDeps {
  readonly keys: Pick<ApiKeyStore, 'verify'>;
  readonly hosts: HostStore;
  readonly hostPages: HostPages;
  readonly notifications: NotificationStore;
  readonly logs: LogStore;
  readonly silences: SilenceStore;
  readonly reports: ReportStore;
  readonly reportPages: ReportPages;
  readonly liveness: LivenessRule;
  readonly scanSegments: number;
  /** Origins besides the console's own that may call the API from a browser. */
  readonly extraOrigins: readonly string[];
  readonly now: () => number;
}
