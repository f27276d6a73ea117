import { hostStore } from '../../compose';
import type { Context } from '../context';
import { notFound } from '../errors';

/**
 * `dts host rm NAME`: forget a host (a decommissioned machine) at once rather than waiting for
 * it to retire. Its notifications stay, as history. If it beats again it comes back as new.
 */
export async function hostRmCommand(ctx: Context, name: string, o: { json?: boolean }): Promise<number> {
  const removed = await hostStore(await ctx.root(['hostsTable'])).remove(name);
  if (!removed) throw notFound(`unknown host ${JSON.stringify(name)} (\`dts hosts\` lists the known ones)`);
  if (o.json) ctx.io.out(JSON.stringify({ removed: name }) + '\n');
  else ctx.io.out(`forgot host ${name}; its notifications are kept, and a new beat brings it back as new\n`);
  return 0;
}
