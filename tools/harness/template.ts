import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packagedTemplate as packaged } from '../local/template/packaged';

/**
 * The packaged CloudFormation of this service, as `serverless package` makes it, offline. Tests
 * assert on it, and the local cloud provisions from the same template, so nothing is described
 * twice.
 */

export const SERVICE_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DependsOn?: string | string[];
  readonly Condition?: string;
}

export interface CfnTemplate {
  readonly AWSTemplateFormatVersion?: string;
  readonly Conditions?: Record<string, unknown>;
  readonly Resources: Record<string, CfnResource>;
  readonly Outputs?: Record<string, { readonly Value: unknown; readonly Export?: unknown }>;
}

const templates = new Map<string, Promise<CfnTemplate>>();

/**
 * The packaged template of `stage`, through the local cloud's packager: `serverless package`
 * runs once per content of serverless.yml (a cross-process lock keeps concurrent test files from
 * sharing `.esbuild/`, and the result is cached in `.dts/cache`), then once per test process
 * it is read from there.
 */
export function packagedTemplate(stage = 'test'): Promise<CfnTemplate> {
  let t = templates.get(stage);
  if (!t) {
    t = packaged({ serviceDir: SERVICE_ROOT, stage, region: 'us-east-1', cacheDir: join(SERVICE_ROOT, '.dts', 'cache') })
      .then((p) => p.template as unknown as CfnTemplate);
    t.catch(() => templates.delete(stage));
    templates.set(stage, t);
  }
  return t;
}

/** The resources of one CloudFormation type, by logical id. */
export function resourcesOfType(template: CfnTemplate, type: string): [string, CfnResource][] {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

/** The logical id a `Ref` or `Fn::GetAtt` points at, or undefined for anything else. */
export function logicalIdOf(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.Ref === 'string') return v.Ref;
  const getAtt = v['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  if (typeof getAtt === 'string') return getAtt.split('.')[0];
  return undefined;
}

/** Every logical id referenced anywhere inside a value (Ref, Fn::GetAtt, and ${Name} in Fn::Sub). */
export function referencedIds(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const v of value) referencedIds(v, out);
  } else if (value !== null && typeof value === 'object') {
    const id = logicalIdOf(value);
    if (id !== undefined && !id.startsWith('AWS::')) out.add(id);
    const sub = (value as Record<string, unknown>)['Fn::Sub'];
    const text = typeof sub === 'string' ? sub : Array.isArray(sub) && typeof sub[0] === 'string' ? sub[0] : undefined;
    for (const [, id] of text?.matchAll(/\$\{([A-Za-z0-9]+)(?:\.[A-Za-z]+)?\}/g) ?? []) if (id) out.add(id);
    for (const v of Object.values(value)) referencedIds(v, out);
  }
  return out;
}
