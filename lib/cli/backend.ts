/**
 * Where the backend is, from the global options: located once per command, and checked for the
 * resources each caller needs. Apart from the context so that the standalone agent, which
 * needs no stores, can use it without loading their clients.
 */
import { RESOURCES, type ResourceKey, type ResourceNames } from '../config/resources';
import { locateBackend, type Backend } from '../producer/locate';
import type { GlobalOptions, Io } from './io';

export function backendLocator(g: GlobalOptions, io: Pick<Io, 'env'>): (need: readonly ResourceKey[], options?: { partial?: boolean }) => Promise<Backend> {
  const flags: Partial<ResourceNames> = {};
  for (const key of Object.keys(RESOURCES) as ResourceKey[]) {
    const v = g[key];
    if (v) flags[key] = v;
  }
  let located: Promise<Backend> | undefined;
  return async (need, options = {}) => {
    located ??= locateBackend({
      flags,
      env: io.env,
      need,
      ...(options.partial ? { partial: true } : {}),
      ...(g.stack ? { stack: g.stack } : {}),
      ...(g.stage ? { stage: g.stage } : {}),
      ...(g.region ? { region: g.region } : {}),
      ...(g.profile ? { profile: g.profile } : {}),
      ...(g.endpoint ? { endpoint: g.endpoint } : {}),
    });
    const b = await located;
    if (!options.partial) for (const key of need) b.require(key);
    return b;
  };
}
