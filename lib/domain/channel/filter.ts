import type { Notification, Severity } from '../model';

/**
 * Which notifications a channel takes. A filter is comma-separated terms, all of which must
 * hold; a term's alternatives are separated by `|`:
 *
 *   severity=critical            severity>=warning
 *   kind=host-down|host-recovered
 *   host=web-*                   (`*` matches any run of characters)
 *   label.role=db|cache          label.rack!=r9
 *
 * The empty filter takes everything. Parsing is strict: an unknown field or an empty value is
 * an error naming the term, so a typo cannot silently drop alerts.
 */

const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

type Field = { readonly kind: 'severity' } | { readonly kind: 'kind' } | { readonly kind: 'host' } | { readonly kind: 'label'; readonly key: string };

export interface Term {
  readonly field: Field;
  readonly op: '=' | '!=' | '>=';
  readonly values: readonly string[];
}

export type Filter = readonly Term[];

export type Parsed = { readonly ok: true; readonly filter: Filter } | { readonly ok: false; readonly error: string };

export function parseFilter(text: string): Parsed {
  const terms: Term[] = [];
  for (const raw of text.split(',').map((t) => t.trim()).filter((t) => t !== '')) {
    const m = /^([A-Za-z][A-Za-z0-9_.\-/]*)\s*(!=|>=|=)\s*(.*)$/.exec(raw);
    if (!m) return { ok: false, error: `filter term ${JSON.stringify(raw)}: expected field=value, field!=value or severity>=level` };
    const [, name = '', op = '=', rest = ''] = m;
    const values = rest.split('|').map((v) => v.trim());
    if (values.some((v) => v === '')) return { ok: false, error: `filter term ${JSON.stringify(raw)}: empty value` };
    let field: Field;
    if (name === 'severity') field = { kind: 'severity' };
    else if (name === 'kind') field = { kind: 'kind' };
    else if (name === 'host' || name === 'hostname') field = { kind: 'host' };
    else if (name.startsWith('label.') && name.length > 6) field = { kind: 'label', key: name.slice(6) };
    else return { ok: false, error: `filter term ${JSON.stringify(raw)}: unknown field ${JSON.stringify(name)} (severity, kind, host or label.<key>)` };
    if (field.kind === 'severity') {
      const bad = values.find((v) => !(v in SEVERITY_RANK));
      if (bad !== undefined) return { ok: false, error: `filter term ${JSON.stringify(raw)}: severity is info, warning or critical, not ${JSON.stringify(bad)}` };
    }
    if (op === '>=' && (field.kind !== 'severity' || values.length !== 1)) {
      return { ok: false, error: `filter term ${JSON.stringify(raw)}: >= applies to one severity, e.g. severity>=warning` };
    }
    terms.push({ field, op: op as Term['op'], values });
  }
  return { ok: true, filter: terms };
}

function glob(pattern: string, text: string): boolean {
  if (!pattern.includes('*')) return pattern === text;
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(text);
}

function valueOf(field: Field, n: Pick<Notification, 'severity' | 'kind' | 'hostname' | 'labels'>): string | undefined {
  switch (field.kind) {
    case 'severity': return n.severity;
    case 'kind': return n.kind;
    case 'host': return n.hostname;
    case 'label': return n.labels?.[field.key];
  }
}

export function matches(filter: Filter, n: Pick<Notification, 'severity' | 'kind' | 'hostname' | 'labels'>): boolean {
  return filter.every((term) => {
    if (term.op === '>=') return SEVERITY_RANK[n.severity] >= SEVERITY_RANK[term.values[0] as Severity];
    const value = valueOf(term.field, n);
    const hit = value !== undefined && term.values.some((p) => glob(p, value));
    return term.op === '=' ? hit : !hit;
  });
}
