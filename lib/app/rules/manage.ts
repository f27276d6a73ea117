import { parseRule, RULE_LIMITS, type LogRule, type Parsed, type RuleInput } from '../../domain/rule/rule';
import type { Clock, LogRulesPort } from '../../ports';
import { checkPattern } from './pattern';

/** What managing rules needs: the CLI and the API both come through here. */
export interface RuleAdmin {
  readonly rules: Pick<LogRulesPort, 'add' | 'list' | 'get' | 'remove' | 'state'>;
  readonly now: Clock;
}

/** Check and store a rule; refused (with the reason) when bad, or when the name is taken. Nothing is written then. */
export async function addRule(d: RuleAdmin, input: RuleInput): Promise<Parsed<LogRule> & { readonly duplicate?: boolean }> {
  const parsed = parseRule(input, d.now(), checkPattern);
  if (!parsed.ok) return parsed;
  // All rules' counts for a minute share one item, which holds this many (RULE_LIMITS.rules).
  const rules = await d.rules.list();
  if (rules.length >= RULE_LIMITS.rules && !rules.some((r) => r.name === parsed.value.name)) {
    return { ok: false, error: `there are ${rules.length} rules already, the most dts counts; remove one first` };
  }
  if (!(await d.rules.add(parsed.value))) return { ok: false, error: `a rule named ${parsed.value.name} exists already; remove it first`, duplicate: true };
  return parsed;
}

/**
 * Remove a rule: undefined when there is none. A rule that was firing is closed by the next
 * diagnose pass, with a `log-ok` on its incident through the outbox (lib/app/diagnose/rules.ts).
 */
export async function removeRule(d: RuleAdmin, name: string): Promise<{ readonly firing: boolean } | undefined> {
  const { firing } = await d.rules.state(name);
  return (await d.rules.remove(name)) ? { firing } : undefined;
}

/** A rule with whether it is firing now, as `dts rules` and the API show it. */
export interface RuleView extends LogRule {
  readonly firing: boolean;
  readonly since?: number;
}

export async function listRules(d: RuleAdmin): Promise<RuleView[]> {
  const rules = await d.rules.list();
  return Promise.all(rules.map(async (r) => viewOf(r, await d.rules.state(r.name))));
}

export async function showRule(d: RuleAdmin, name: string): Promise<RuleView | undefined> {
  const rule = await d.rules.get(name);
  return rule && viewOf(rule, await d.rules.state(name));
}

function viewOf(rule: LogRule, state: { firing: boolean; since?: number }): RuleView {
  return { ...rule, firing: state.firing, ...(state.since !== undefined && state.firing ? { since: state.since } : {}) };
}
