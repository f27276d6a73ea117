/**
 * Resolves the CloudFormation intrinsic functions that a packaged template uses (Ref, Fn::GetAtt,
 * Fn::Sub, Fn::Join, Fn::If, Fn::Select, Fn::Split, Fn::Equals/And/Or/Not and the pseudo
 * parameters) against the local resources. Anything else is an error that names the path, so a
 * template the local cloud cannot understand fails loudly instead of being half-provisioned.
 */

export const ACCOUNT_ID = '000000000000';

/** What `Ref` and `Fn::GetAtt` of one logical resource resolve to locally. */
export interface LocalIdentity {
  readonly ref: string;
  readonly attributes: Readonly<Record<string, string>>;
}

export interface ResolveContext {
  readonly region: string;
  readonly stackName: string;
  readonly parameters: Readonly<Record<string, string>>;
  readonly conditions: Readonly<Record<string, unknown>>;
  readonly identityOf: (logicalId: string) => LocalIdentity | undefined;
}

/** `Ref: AWS::NoValue` removes the property that holds it. */
const NO_VALUE = Symbol('AWS::NoValue');

export class TemplateError extends Error {
  constructor(path: string, reason: string) {
    super(`${path}: ${reason}`);
    this.name = 'TemplateError';
  }
}

export function resolve(value: unknown, ctx: ResolveContext, path = '$'): unknown {
  const out = resolveInner(value, ctx, path, new Map());
  return out === NO_VALUE ? undefined : out;
}

export function evaluateCondition(name: string, ctx: ResolveContext): boolean {
  return conditionValue(name, ctx, `Conditions.${name}`, new Map());
}

function resolveInner(value: unknown, ctx: ResolveContext, path: string, memo: Map<string, boolean>): unknown {
  if (Array.isArray(value)) {
    return value.map((v, i) => resolveInner(v, ctx, `${path}[${i}]`, memo)).filter((v) => v !== NO_VALUE);
  }
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  const [first] = entries;
  if (entries.length === 1 && first && (first[0] === 'Ref' || first[0].startsWith('Fn::') || first[0] === 'Condition')) {
    const [fn, arg] = first;
    if (fn !== 'Condition') return intrinsic(fn, arg, ctx, `${path}.${fn}`, memo);
  }
  const result: Record<string, unknown> = {};
  for (const [key, v] of entries) {
    const r = resolveInner(v, ctx, `${path}.${key}`, memo);
    if (r !== NO_VALUE) result[key] = r;
  }
  return result;
}

function intrinsic(fn: string, arg: unknown, ctx: ResolveContext, path: string, memo: Map<string, boolean>): unknown {
  const str = (v: unknown, where: string): string => {
    const r = resolveInner(v, ctx, where, memo);
    if (typeof r === 'string') return r;
    if (typeof r === 'number' || typeof r === 'boolean') return String(r);
    throw new TemplateError(where, `expected a string, got ${JSON.stringify(r)}`);
  };
  switch (fn) {
    case 'Ref':
      return ref(String(arg), ctx, path);
    case 'Fn::GetAtt': {
      const [id, attr] = Array.isArray(arg) ? arg.map(String) : String(arg).split(/\.(.*)/s);
      if (!id || !attr) throw new TemplateError(path, `malformed Fn::GetAtt ${JSON.stringify(arg)}`);
      return getAtt(id, attr, ctx, path);
    }
    case 'Fn::Sub': {
      const [template, vars] = Array.isArray(arg) ? [arg[0], arg[1] as Record<string, unknown> | undefined] : [arg, undefined];
      if (typeof template !== 'string') throw new TemplateError(path, 'Fn::Sub needs a string');
      return template.replace(/\$\{([^}]+)\}/g, (whole, name: string) => {
        if (name.startsWith('!')) return whole.replace('!', '');
        if (vars && Object.hasOwn(vars, name)) return str(vars[name], `${path}.${name}`);
        const dot = name.indexOf('.');
        if (dot > 0 && !name.startsWith('AWS::')) return getAtt(name.slice(0, dot), name.slice(dot + 1), ctx, path);
        const r = ref(name, ctx, path);
        if (typeof r !== 'string') throw new TemplateError(path, `\${${name}} is not a string`);
        return r;
      });
    }
    case 'Fn::Join': {
      if (!Array.isArray(arg) || arg.length !== 2) throw new TemplateError(path, 'Fn::Join needs [delimiter, list]');
      const list = resolveInner(arg[1], ctx, `${path}[1]`, memo);
      if (!Array.isArray(list)) throw new TemplateError(path, 'Fn::Join needs a list');
      return list.map((v, i) => str(v, `${path}[1][${i}]`)).join(String(arg[0]));
    }
    case 'Fn::Select': {
      if (!Array.isArray(arg) || arg.length !== 2) throw new TemplateError(path, 'Fn::Select needs [index, list]');
      const list = resolveInner(arg[1], ctx, `${path}[1]`, memo);
      const index = Number(resolveInner(arg[0], ctx, `${path}[0]`, memo));
      if (!Array.isArray(list) || !(index in list)) throw new TemplateError(path, `no element ${index}`);
      return list[index];
    }
    case 'Fn::Split': {
      if (!Array.isArray(arg) || arg.length !== 2) throw new TemplateError(path, 'Fn::Split needs [delimiter, string]');
      return str(arg[1], `${path}[1]`).split(String(arg[0]));
    }
    case 'Fn::If': {
      if (!Array.isArray(arg) || arg.length !== 3) throw new TemplateError(path, 'Fn::If needs [condition, then, else]');
      const chosen = conditionValue(String(arg[0]), ctx, path, memo) ? arg[1] : arg[2];
      return resolveInner(chosen, ctx, path, memo);
    }
    case 'Fn::Equals':
    case 'Fn::And':
    case 'Fn::Or':
    case 'Fn::Not':
      return booleanFn(fn, arg, ctx, path, memo);
    case 'Fn::Base64':
      return Buffer.from(str(arg, path)).toString('base64');
    default:
      throw new TemplateError(path, `${fn} is not supported by the local cloud`);
  }
}

function booleanFn(fn: string, arg: unknown, ctx: ResolveContext, path: string, memo: Map<string, boolean>): boolean {
  if (!Array.isArray(arg)) throw new TemplateError(path, `${fn} needs a list`);
  const operand = (v: unknown, i: number): boolean => {
    if (v && typeof v === 'object' && 'Condition' in v) return conditionValue(String(v.Condition), ctx, `${path}[${i}]`, memo);
    const r = resolveInner(v, ctx, `${path}[${i}]`, memo);
    if (typeof r !== 'boolean') throw new TemplateError(`${path}[${i}]`, 'expected a condition');
    return r;
  };
  switch (fn) {
    case 'Fn::Equals': {
      const [a, b] = arg.map((v, i) => resolveInner(v, ctx, `${path}[${i}]`, memo));
      return JSON.stringify(a) === JSON.stringify(b) || String(a) === String(b);
    }
    case 'Fn::And':
      return arg.every(operand);
    case 'Fn::Or':
      return arg.some(operand);
    default:
      return !operand(arg[0], 0);
  }
}

function conditionValue(name: string, ctx: ResolveContext, path: string, memo: Map<string, boolean>): boolean {
  const known = memo.get(name);
  if (known !== undefined) return known;
  if (!Object.hasOwn(ctx.conditions, name)) throw new TemplateError(path, `unknown condition ${name}`);
  const r = resolveInner(ctx.conditions[name], ctx, `Conditions.${name}`, memo);
  if (typeof r !== 'boolean') throw new TemplateError(`Conditions.${name}`, 'does not evaluate to true or false');
  memo.set(name, r);
  return r;
}

function ref(name: string, ctx: ResolveContext, path: string): unknown {
  switch (name) {
    case 'AWS::Region':
      return ctx.region;
    case 'AWS::AccountId':
      return ACCOUNT_ID;
    case 'AWS::Partition':
      return 'aws';
    case 'AWS::URLSuffix':
      return 'amazonaws.com';
    case 'AWS::StackName':
      return ctx.stackName;
    case 'AWS::StackId':
      return `arn:aws:cloudformation:${ctx.region}:${ACCOUNT_ID}:stack/${ctx.stackName}/local`;
    case 'AWS::NotificationARNs':
      return [];
    case 'AWS::NoValue':
      return NO_VALUE;
  }
  if (Object.hasOwn(ctx.parameters, name)) return ctx.parameters[name];
  const identity = ctx.identityOf(name);
  if (!identity) throw new TemplateError(path, `Ref to unknown resource or parameter ${name}`);
  return identity.ref;
}

function getAtt(logicalId: string, attribute: string, ctx: ResolveContext, path: string): string {
  const identity = ctx.identityOf(logicalId);
  if (!identity) throw new TemplateError(path, `Fn::GetAtt of unknown resource ${logicalId}`);
  const value = identity.attributes[attribute];
  if (value === undefined) throw new TemplateError(path, `${logicalId} has no attribute ${attribute} locally`);
  return value;
}
