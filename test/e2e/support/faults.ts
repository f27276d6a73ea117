/**
 * A client of the local cloud's fault control endpoint (/_dts/faults on the edge port): what a
 * test uses to inject faults while the cloud runs. See docs/LOCAL.md, "Fault injection".
 */
import type { RuleState } from '../../../tools/local/faults/injector';

async function call(endpoint: string, method: string, path = '/_dts/faults', body?: string): Promise<{ rules: RuleState[]; added?: RuleState[] }> {
  const res = await fetch(`${endpoint}${path}`, { method, ...(body !== undefined ? { body, headers: { 'content-type': 'text/plain' } } : {}) });
  const json = await res.json() as { rules: RuleState[]; added?: RuleState[]; message?: string };
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${json.message ?? ''}`);
  return json;
}

export const faults = {
  /** Adds rules; returns the added ones (with their ids). */
  add: async (endpoint: string, spec: string): Promise<RuleState[]> => (await call(endpoint, 'POST', undefined, spec)).added ?? [],
  /** Replaces every rule. */
  set: async (endpoint: string, spec: string): Promise<RuleState[]> => (await call(endpoint, 'PUT', undefined, spec)).rules,
  list: async (endpoint: string): Promise<RuleState[]> => (await call(endpoint, 'GET')).rules,
  clear: async (endpoint: string): Promise<void> => void await call(endpoint, 'DELETE'),
  remove: async (endpoint: string, id: string): Promise<void> => void await call(endpoint, 'DELETE', `/_dts/faults/${id}`),
};
