import { defaultClients } from '../../lib/adapters/clients';
import { namesFromEnv, type Root } from '../../lib/compose';
import type { Log } from '../../lib/app/log';
import { loadConfig, type Config } from '../../lib/config';

/** Read once per container: a bad variable fails the cold start with its name. */
export const config: Config = loadConfig();

/**
 * The composition root's input for this function: its configuration, clients and resources, and
 * the logger its use case writes to (Powertools' for those that log; the api logs nothing).
 */
export function root(log?: Log): Root {
  return { config, clients: defaultClients(), names: namesFromEnv(), ...(log ? { log } : {}) };
}
