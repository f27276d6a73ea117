import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

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

export interface PackagedService {
  readonly stage: string;
  /** Where the zips, the templates and serverless-state.json are. The caller removes it. */
  readonly dir: string;
  /** cloudformation-template-update-stack.json, parsed. */
  readonly template: CfnTemplate;
}

const run = promisify(execFile);
/** Left out of the private copy: VCS and build output that another packaging may be writing. */
const NOT_COPIED = new Set(['.git', '.serverless', '.esbuild', '.dts', 'coverage', 'dist']);

/**
 * Run `serverless package --stage <stage> --package <dir>` (osls + serverless-esbuild, offline,
 * about 3 s). It runs in a private copy of the service (serverless.yml copied, everything else
 * symlinked), because serverless-esbuild builds in `.esbuild/` under the service directory and
 * two packagings sharing one checkout would overwrite each other's build.
 */
export async function packageService({ stage = 'test', outDir }: { stage?: string; outDir?: string } = {}): Promise<PackagedService> {
  const work = await mkdtemp(join(tmpdir(), 'dts-service-'));
  const dir = outDir ?? (await mkdtemp(join(tmpdir(), 'dts-package-')));
  try {
    for (const entry of await readdir(SERVICE_ROOT)) {
      if (NOT_COPIED.has(entry)) continue;
      // The framework does not accept a symlinked serverless.yml as its service file.
      if (entry === 'serverless.yml') await copyFile(join(SERVICE_ROOT, entry), join(work, entry));
      else await symlink(join(SERVICE_ROOT, entry), join(work, entry));
    }
    try {
      await run(join(SERVICE_ROOT, 'node_modules', '.bin', 'serverless'), ['package', '--stage', stage, '--package', dir], {
        cwd: work,
        env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off', SLS_DEPRECATION_DISABLE: '*' },
        timeout: 180_000,
        maxBuffer: 16 * 1024 * 1024,
      });
    } catch (e) {
      const err = e as Error & { stdout?: string; stderr?: string };
      throw new Error(`serverless package --stage ${stage} failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`, { cause: e });
    }
    const template = JSON.parse(await readFile(join(dir, 'cloudformation-template-update-stack.json'), 'utf8')) as CfnTemplate;
    return { stage, dir, template };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

const templates = new Map<string, Promise<CfnTemplate>>();

/** The packaged template of `stage`, packaged once per test process; the package itself is removed. */
export function packagedTemplate(stage = 'test'): Promise<CfnTemplate> {
  let t = templates.get(stage);
  if (!t) {
    t = packageService({ stage }).then(async ({ dir, template }) => {
      await rm(dir, { recursive: true, force: true });
      return template;
    });
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
