import { addRule, listRules, removeRule, showRule, type RuleView } from '../../app/rules/manage';
import { ruleAdmin } from '../../compose';
import { checkPattern } from '../../app/rules/pattern';
import { describeCondition, describeScope, parseRule } from '../../domain/rule/rule';
import type { Context } from '../context';
import { notFound, usage } from '../errors';
import { age, styleFor, table } from '../format';

export interface RuleAddOptions {
  app?: string;
  host?: string;
  field?: string[];
  level?: string;
  count?: string;
  within?: string;
  silent?: string;
  match?: string;
  severity?: string;
  json?: boolean;
}

const admin = async (ctx: Context) => ruleAdmin(await ctx.root(['statsTable']));

/** `dts rules add web-errors --app web --level error --count 5 --within 1m`: refused with the reason, and nothing stored, when bad. */
export async function rulesAddCommand(ctx: Context, name: string, o: RuleAddOptions): Promise<number> {
  const input = { name, app: o.app, host: o.host, fields: o.field, level: o.level, count: o.count, within: o.within, silent: o.silent, match: o.match, severity: o.severity };
  // A bad rule is refused before any backend is looked for: the reason, not "no backend".
  const checked = parseRule(input, Date.now(), checkPattern);
  if (!checked.ok) throw usage(checked.error);
  const added = await addRule(await admin(ctx), input);
  if (!added.ok) throw usage(added.error);
  const r = added.value;
  if (o.json) ctx.io.out(JSON.stringify({ ...r, firing: false }, null, 2) + '\n');
  else ctx.io.out(`added rule ${r.name}: ${describeCondition(r.condition)} from ${describeScope(r.scope)} (${r.severity}); ingest counts for it within a minute\n`);
  return 0;
}

export async function rulesListCommand(ctx: Context, o: { json?: boolean }): Promise<number> {
  const rules = await listRules(await admin(ctx));
  if (o.json) {
    ctx.io.out(JSON.stringify(rules, null, 2) + '\n');
    return 0;
  }
  if (rules.length === 0) {
    ctx.io.err('no log rules; add one with `dts rules add NAME --app APP --count 5 --within 5m`\n');
    return 0;
  }
  const s = styleFor(ctx.io.isTTY, ctx.io.env);
  const now = Date.now();
  ctx.io.out(table(['NAME', 'SCOPE', 'CONDITION', 'SEVERITY', 'STATE'], rules.map((r) => [
    r.name, describeScope(r.scope), describeCondition(r.condition), r.severity, state(r, now, s.red),
  ]), s));
  return 0;
}

const state = (r: RuleView, now: number, red: (t: string) => string): string => (r.firing ? red(`firing ${r.since === undefined ? '' : age(r.since, now)}`.trim()) : 'ok');

export async function rulesShowCommand(ctx: Context, name: string, o: { json?: boolean }): Promise<number> {
  const rule = await showRule(await admin(ctx), name);
  if (!rule) throw notFound(`no rule ${JSON.stringify(name)} (\`dts rules list\` shows them)`);
  if (o.json) {
    ctx.io.out(JSON.stringify(rule, null, 2) + '\n');
    return 0;
  }
  const now = Date.now();
  ctx.io.out([
    `rule:      ${rule.name}`,
    `scope:     ${describeScope(rule.scope)}`,
    `condition: ${describeCondition(rule.condition)}`,
    `severity:  ${rule.severity}`,
    `added:     ${new Date(rule.createdAt).toISOString()}`,
    `state:     ${state(rule, now, (t) => t)}`,
  ].join('\n') + '\n');
  return 0;
}

export async function rulesRemoveCommand(ctx: Context, name: string, o: { json?: boolean }): Promise<number> {
  const a = await admin(ctx);
  const removed = await removeRule(a, name);
  if (!removed) throw notFound(`no rule ${JSON.stringify(name)} (\`dts rules list\` shows them)`);
  if (o.json) ctx.io.out(JSON.stringify({ name, removed: true }) + '\n');
  else ctx.io.out(`removed rule ${name}; ingest stops counting for it within a minute${removed.firing ? ', and the next diagnose pass closes its alert (log-ok)' : ''}\n`);
  return 0;
}
