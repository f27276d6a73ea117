import { channelsContract } from './channels.contract';
import { checksContract } from './checks.contract';
import { alertsContract, heartbeatQueueContract, quarantineContract, secretsContract } from './gateways.contract';
import { hostsContract } from './hosts.contract';
import { keysContract } from './keys.contract';
import { logsContract } from './logs.contract';
import { hostPagesContract, reportPagesContract } from './pages.contract';
import { notificationsContract } from './notifications.contract';
import { reportsContract } from './reports.contract';
import { silencesContract } from './silences.contract';
import { statsContract } from './stats.contract';
import { MemoryAlerts, MemoryChannels, MemoryChecks, MemoryHeartbeatQueue, MemoryHosts, MemoryQuarantine, MemoryKeys, MemoryLogs, MemoryNotifications, MemoryReports, MemorySecrets, MemorySilences, MemoryStats } from '../../tools/memory';

/** Every contract suite on the in-memory adapters (run by test/unit/contract-memory.test.ts). */
export function memoryContracts(): void {
  // A small page, so that the scan's paging is exercised as a big table's would be.
  hostsContract(async () => new MemoryHosts(7), { disjointSegments: true });
  statsContract(async () => new MemoryStats());
  notificationsContract(async () => new MemoryNotifications());
  silencesContract(async () => new MemorySilences());
  reportsContract(async () => new MemoryReports());
  logsContract(async () => new MemoryLogs());
  channelsContract(async () => new MemoryChannels());
  keysContract(async () => new MemoryKeys());
  checksContract(async () => new MemoryChecks());
  alertsContract(async () => {
    const port = new MemoryAlerts();
    return {
      port,
      sent: async () => ({
        notifications: port.published.map((n) => ({ id: n.id, hostname: n.hostname, kind: n.kind, severity: n.severity })),
        reports: port.reports.map((r) => ({ subject: r.subject, id: r.id, bytes: Buffer.byteLength(r.body) })),
      }),
    };
  });
  quarantineContract(async () => {
    const port = new MemoryQuarantine();
    return { port, sent: async () => port.messages.map((m) => ({ body: m.body, reason: m.reason === '' ? undefined : m.reason })) };
  });
  heartbeatQueueContract(async () => new MemoryHeartbeatQueue(Date.now));
  secretsContract(async () => new MemorySecrets());
  hostPagesContract(async () => new MemoryHosts(7));
  reportPagesContract(async () => new MemoryReports());
}
