/**
 * The fault spec of `npm start -- --faults SPEC` and of the edge's /_dts/faults endpoint: rules
 * separated by `;`, each `SERVICE:OPERATION[@RESOURCE]=ACTION[,OPTION=VALUE...]`, for example
 *
 *   dynamodb:BatchWriteItem@dts-local-logs=throttle,count=3; sns:Publish=5xx,rate=0.5,for=30s
 *
 * See docs/LOCAL.md, "Fault injection", for what each action and option does.
 */

export type Service = 'dynamodb' | 'sqs' | 'sns';

export type FaultAction =
  | { readonly kind: 'throttle' }
  | { readonly kind: '5xx' }
  | { readonly kind: 'unavailable' }
  | { readonly kind: 'unprocessed' }
  | { readonly kind: 'latency'; readonly ms: number }
  | { readonly kind: 'kill-before' }
  | { readonly kind: 'kill-after' };

export interface FaultRule {
  /** The rule as written, normalised. */
  readonly text: string;
  readonly service: Service | '*';
  /** An API operation name; `*` is a wildcard (`SendMessage*` covers SendMessageBatch). */
  readonly operation: string;
  /** A table, queue or topic name; `*` is a wildcard. Undefined: any. */
  readonly resource?: string;
  readonly action: FaultAction;
  /** Chance that a matching call is faulted, 0..1. */
  readonly rate: number;
  /** Fault at most this many calls. */
  readonly count?: number;
  /** Let this many matching calls through first. */
  readonly after: number;
  /** The rule ends this many ms after it was set. */
  readonly forMs?: number;
  /** Only calls made by this function's workers (its full name, or the part after the stack name). */
  readonly function?: string;
}

export class FaultSpecError extends Error {
  override readonly name = 'FaultSpecError';
}

const SERVICES = new Set(['dynamodb', 'sqs', 'sns', '*']);
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m)?$/;

export function parseFaultSpec(spec: string): FaultRule[] {
  return spec.split(/[;\n]/).map((r) => r.trim()).filter((r) => r.length > 0 && !r.startsWith('#')).map(parseRule);
}

function parseRule(text: string): FaultRule {
  const fail = (why: string): never => {
    throw new FaultSpecError(`fault rule "${text}": ${why}; expected SERVICE:OPERATION[@RESOURCE]=ACTION[,rate=0..1][,count=N][,after=N][,for=DURATION][,function=NAME]`);
  };
  const eq = text.indexOf('=');
  if (eq < 0) return fail('no =ACTION');
  const target = text.slice(0, eq).trim();
  const [actionText = '', ...options] = text.slice(eq + 1).split(',').map((s) => s.trim());
  const m = /^([a-z*]+):([A-Za-z*]+)(?:@(.+))?$/.exec(target);
  if (!m) return fail('the target is not SERVICE:OPERATION[@RESOURCE]');
  const service = m[1] as string;
  if (!SERVICES.has(service)) return fail(`unknown service ${service} (dynamodb, sqs, sns or *)`);
  const action = parseAction(actionText, fail);
  let rate = 1;
  let count: number | undefined;
  let after = 0;
  let forMs: number | undefined;
  let fn: string | undefined;
  for (const option of options) {
    const [key = '', value = ''] = option.split('=').map((s) => s.trim());
    switch (key) {
      case 'rate':
        rate = Number(value);
        if (!(value !== '' && rate >= 0 && rate <= 1)) fail(`rate must be between 0 and 1, not ${value}`);
        break;
      case 'count':
        count = wholeNumber(value, 'count', fail);
        break;
      case 'after':
        after = wholeNumber(value, 'after', fail);
        break;
      case 'for':
        forMs = duration(value, fail);
        break;
      case 'function':
        if (!value) fail('function needs a name');
        fn = value;
        break;
      default:
        fail(`unknown option ${key}`);
    }
  }
  if ((action.kind === 'kill-before' || action.kind === 'kill-after') && service === 'sqs' && /^Receive/.test(m[2] as string)) {
    fail('kill on ReceiveMessage would kill a poller, not a function');
  }
  const rule: FaultRule = {
    text: '',
    service: service as Service | '*',
    operation: m[2] as string,
    ...(m[3] ? { resource: m[3] } : {}),
    action,
    rate,
    ...(count !== undefined ? { count } : {}),
    after,
    ...(forMs !== undefined ? { forMs } : {}),
    ...(fn ? { function: fn } : {}),
  };
  return { ...rule, text: formatRule(rule) };
}

function parseAction(text: string, fail: (why: string) => never): FaultAction {
  switch (text) {
    case 'throttle': return { kind: 'throttle' };
    case '5xx': case 'error': return { kind: '5xx' };
    case 'unavailable': case 'reset': return { kind: 'unavailable' };
    case 'unprocessed': return { kind: 'unprocessed' };
    case 'kill-before': return { kind: 'kill-before' };
    case 'kill-after': return { kind: 'kill-after' };
    default: {
      const latency = /^latency[:=](.+)$/.exec(text);
      if (latency) return { kind: 'latency', ms: duration(latency[1] as string, fail) };
      return fail(`unknown action "${text}" (throttle, 5xx, unavailable, unprocessed, latency:MS, kill-before, kill-after)`);
    }
  }
}

function wholeNumber(value: string, name: string, fail: (why: string) => never): number {
  const n = Number(value);
  if (value === '' || !Number.isInteger(n) || n < 0) fail(`${name} must be a whole number, not ${value}`);
  return n;
}

/** `250`, `250ms`, `2s`, `1.5s`, `1m`; a bare number is milliseconds. */
function duration(value: string, fail: (why: string) => never): number {
  const m = DURATION.exec(value);
  if (!m) return fail(`bad duration ${value} (e.g. 250ms, 2s, 1m)`);
  const n = Number(m[1]);
  return Math.round(m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n);
}

export function formatRule(rule: FaultRule): string {
  const action = rule.action.kind === 'latency' ? `latency:${rule.action.ms}ms` : rule.action.kind;
  const options = [
    rule.rate !== 1 ? `rate=${rule.rate}` : '',
    rule.count !== undefined ? `count=${rule.count}` : '',
    rule.after > 0 ? `after=${rule.after}` : '',
    rule.forMs !== undefined ? `for=${rule.forMs}ms` : '',
    rule.function ? `function=${rule.function}` : '',
  ].filter(Boolean);
  return `${rule.service}:${rule.operation}${rule.resource ? `@${rule.resource}` : ''}=${[action, ...options].join(',')}`;
}

/** `*` matches any run of characters; everything else is literal. */
export function globMatches(pattern: string, value: string): boolean {
  if (pattern === '*') return true;
  if (!pattern.includes('*')) return pattern === value;
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(value);
}
