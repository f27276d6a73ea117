import { defaultClients } from '../../lib/adapters/clients';
import { namesFromEnv, type Root } from '../../lib/compose';
import { loadConfig, type Config } from '../../lib/config';
import { logger } from './powertools';

/** Read once per container: a bad variable fails the cold start with its name. */
export const config: Config = loadConfig();

let made: Root | undefined;

/** The composition root's input for this function: its configuration, clients, resources and logger. */
export function root(): Root {
  return made ??= { config, clients: defaultClients(), names: namesFromEnv(), log: logger };
}
