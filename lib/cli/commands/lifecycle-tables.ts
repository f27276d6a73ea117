/**
 * The silences and reports tables for the CLI, located like every other resource (flags, env,
 * stack outputs, the local cloud).
 */
import type { Backend, ResourceKey } from '../../producer/locate';
import type { Clients } from '../../adapters/clients';
import type { Context } from '../context';

/**
 * `need`: every other resource the command will use. The backend is located once, for the first
 * list asked for, so a command names all of them here.
 */
export async function lifecycleTable(
  ctx: Context,
  which: 'silences' | 'reports',
  need: readonly ResourceKey[] = [],
): Promise<{ backend: Backend; clients: Clients; table: string }> {
  const key = which === 'silences' ? 'silencesTable' : 'reportsTable';
  const { backend, clients } = await ctx.clients(['hostsTable', key, ...need]);
  return { backend, clients, table: backend.require(key) };
}
