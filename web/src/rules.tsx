import { useEffect, useState } from 'preact/hooks';
import { api, type LogRule } from './api';
import { describeRule } from './rule-text';

/**
 * The log rules (docs/RULES.md) and which are firing, read again with every refresh of the page
 * (`at`). Rules are added and removed with `dts rules` or the API.
 */
export function Rules({ at }: { at: number }) {
  const [rules, setRules] = useState<LogRule[]>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    api<{ items: LogRule[] }>('/rules').then((r) => { setRules(r.items); setError(undefined); }, (e: Error) => setError(e.message));
  }, [at]);
  return (
    <section class="rules">
      <h2>Log rules</h2>
      {error && <p class="error">{error}</p>}
      <ul>
        {(rules ?? []).map((r) => (
          <li key={r.name} data-rule={r.name} class={r.firing ? 'firing' : ''}>
            <b>{r.name}</b> {r.scope.app}{r.scope.host ? `@${r.scope.host}` : ''}: {describeRule(r)}{' '}
            {r.firing ? <span class="mark firing">firing</span> : <span class="dim">ok</span>}
          </li>
        ))}
        {rules?.length === 0 && <li class="dim">none: add one with dts rules add</li>}
      </ul>
    </section>
  );
}
