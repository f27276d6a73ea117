/**
 * The silences and reports tables for the CLI. The backend locator knows the core tables; these
 * two are named like them (`dts-<stage>-hosts` → `dts-<stage>-silences`), unless
 * DTS_SILENCES_TABLE or DTS_REPORTS_TABLE says otherwise.
 */
import type { Backend, ResourceKey } from '../../producer/locate';
import type { Clients } from '../../store/clients';
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
  const env = which === 'silences' ? 'DTS_SILENCES_TABLE' : 'DTS_REPORTS_TABLE';
  const { backend, clients } = await ctx.clients(['hostsTable', ...need]);
  const named = ctx.io.env[env];
  return { backend, clients, table: named && named.trim() !== '' ? named : backend.require('hostsTable').replace(/-hosts$/, `-${which}`) };
}
