/**
 * What every command shares: the global options, where the backend is, the AWS clients and
 * stores made for it, and the output streams. Commands get a Context; they never read argv or
 * the environment themselves.
 */
import { userInfo } from 'node:os';
import { loadConfig, type Config } from '../config';
import type { Backend, ResourceKey } from '../producer/locate';
import { backendLocator } from './backend';
import type { Clients } from '../adapters/clients';

export interface GlobalOptions {
  stack?: string;
  stage?: string;
  region?: string;
  profile?: string;
  endpoint?: string;
  logsQueueUrl?: string;
  heartbeatsQueueUrl?: string;
  hostsTable?: string;
  logsTable?: string;
  notificationsTable?: string;
  statsTable?: string;
  silencesTable?: string;
  reportsTable?: string;
  alertsTopicArn?: string;
  apiKeysTable?: string;
  channelsTable?: string;
}

export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: Record<string, string | undefined>;
  readonly isTTY: boolean;
}

export const processIo: Io = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  env: process.env,
  isTTY: process.stdout.isTTY === true,
};

export interface Context {
  readonly io: Io;
  readonly config: Config;
  /** Locate the backend (once) and make sure the named resources are known (partial: look, require none). */
  backend(need: readonly ResourceKey[], options?: { partial?: boolean }): Promise<Backend>;
  /** AWS clients for the located backend. */
  clients(need: readonly ResourceKey[], options?: { partial?: boolean }): Promise<{ backend: Backend; clients: Clients }>;
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
    close() {
      if (!made) return;
      made.ddb.destroy();
      made.sqs.destroy();
      made.sns.destroy();
    },
  };
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
