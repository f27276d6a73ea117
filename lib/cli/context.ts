/**
 * What every command shares: the global options, where the backend is, the AWS clients and
 * stores made for it, and the output streams. Commands get a Context; they never read argv or
 * the environment themselves.
 */
import { userInfo } from 'node:os';
import { loadConfig, type Config } from '../config';
import type { Log } from '../app/log';
import type { Names, NameKey, Root } from '../compose';
import { RESOURCES, type ResourceKey } from '../config/resources';
import type { Backend } from '../producer/locate';
import { backendLocator } from './backend';
import type { GlobalOptions, Io } from './io';
import type { Clients } from '../adapters/clients';

export interface Context {
  readonly io: Io;
  readonly config: Config;
  /** Locate the backend (once) and make sure the named resources are known (partial: look, require none). */
  backend(need: readonly ResourceKey[], options?: { partial?: boolean }): Promise<Backend>;
  /** AWS clients for the located backend. */
  clients(need: readonly ResourceKey[], options?: { partial?: boolean }): Promise<{ backend: Backend; clients: Clients }>;
  /** The composition root's input (lib/compose.ts) for the located backend: its names, clients and this configuration. */
  root(need: readonly ResourceKey[], options?: { partial?: boolean; log?: Log }): Promise<Root & { backend: Backend }>;
  close(): void;
}

export function makeContext(g: GlobalOptions, io: Io): Context {
  if (g.profile) io.env.AWS_PROFILE = g.profile;
  const backend = backendLocator(g, io);
  let made: Clients | undefined;
  return {
    io,
    config: loadConfig(io.env),
    backend,
    async clients(need, options) {
      const b = await backend(need, options);
      // Imported here: commands that only send (agent, log) never load the stores' clients.
      const { createClients } = await import('../adapters/clients');
      made ??= createClients({
        ...(b.client.region ? { region: b.client.region } : {}),
        ...(b.client.endpoint ? { endpoint: b.client.endpoint } : {}),
        ...(b.client.credentials ? { credentials: b.client.credentials } : {}),
      });
      return { backend: b, clients: made };
    },
    async root(need, options = {}) {
      const { backend: b, clients } = await this.clients(need, options);
      const names: Names = {
        need: (key) => (key in RESOURCES ? b.require(key as ResourceKey) : missing(key)),
        find: (key) => (key in RESOURCES ? b.resources[key as ResourceKey] : undefined),
      };
      return { backend: b, config: this.config, clients, names, ...(options.log ? { log: options.log } : {}) };
    },
    close() {
      if (!made) return;
      made.ddb.destroy();
      made.sqs.destroy();
      made.sns.destroy();
    },
  };
}

/** A DLQ's URL: only the functions are given one, never the CLI. */
function missing(key: NameKey): never {
  throw new Error(`the CLI has no ${key}: only the functions are given it`);
}

/** Who runs the command, for the `createdBy` of what it creates: $USER, else the OS account. */
export function currentUser(ctx: Context): string | undefined {
  const fromEnv = ctx.io.env.USER ?? ctx.io.env.USERNAME;
  if (fromEnv) return fromEnv;
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
}
