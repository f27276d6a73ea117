/**
 * `npm start` prints a key for the console. Keys are stored hashed, so one printed at an earlier
 * start cannot be shown again: each start makes a new write key named `npm start` and revokes
 * the ones earlier starts made. Keys made with `dts keys create` are left alone.
 */
import { ApiKeyStore } from '../../lib/adapters/dynamodb/api-keys';
import { createClients } from '../../lib/adapters/clients';
import type { LocalPlan } from './template/plan';

export const START_KEY_NAME = 'npm start';

export async function issueStartKey(plan: LocalPlan, endpoint: string, region: string): Promise<string | undefined> {
  const table = plan.tables.find((t) => t.logicalId === 'ApiKeysTable');
  if (!table) return undefined;
  const clients = createClients({ endpoint, region, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  try {
    const keys = new ApiKeyStore(clients.ddb, table.name);
    const now = Date.now();
    for (const k of await keys.list()) if (k.name === START_KEY_NAME && k.revokedAt === undefined) await keys.revoke(k.keyId, now);
    return (await keys.create('write', START_KEY_NAME, now)).token;
  } finally {
    for (const c of Object.values(clients)) c.destroy();
  }
}
