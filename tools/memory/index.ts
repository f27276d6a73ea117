/**
 * In-memory adapters of the ports (lib/ports.ts), each held to the same contract suite as its
 * DynamoDB adapter (test/contract). Here, not under test/, because bench/ uses them too and may
 * not import test/.
 */
export { MemoryHosts } from './hosts';
export { MemoryStats } from './stats';
export { MemoryNotifications } from './notifications';
export { MemorySilences } from './silences';
export { MemoryReports } from './reports';
export { MemoryAlerts, MemoryHeartbeatQueue, MemoryQuarantine, MemorySecrets } from './gateways';
export { MemoryLogs } from './logs';
export { MemoryChannels } from './channels';
export { MemoryKeys } from './keys';
export { MemoryChecks } from './checks';
