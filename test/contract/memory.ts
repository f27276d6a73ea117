import { channelsContract } from './channels.contract';
import { hostsContract } from './hosts.contract';
import { keysContract } from './keys.contract';
import { logsContract } from './logs.contract';
import { notificationsContract } from './notifications.contract';
import { reportsContract } from './reports.contract';
import { silencesContract } from './silences.contract';
import { statsContract } from './stats.contract';
import { MemoryChannels, MemoryHosts, MemoryKeys, MemoryLogs, MemoryNotifications, MemoryReports, MemorySilences, MemoryStats } from '../../tools/memory';

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
}
