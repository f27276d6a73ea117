/**
 * The packaged CloudFormation of serverless.yml, which is what the local cloud provisions from.
 * `serverless package` takes seconds (it bundles every function with esbuild; 10 to 40 s on a
 * busy 2-core machine), so the template is cached under a key that covers everything it is made
 * of: serverless.yml, the files and environment variables that it references, the region, the
 * parameters and the versions of osls and serverless-esbuild. A changed input is a different key,
 * so a stale template is never served. Function sources are not part of the key: the local
 * runtime bundles them apart (lambda/bundles.ts), and the template does not depend on their content.
 *
 * The stage is not part of the key either. serverless.yml uses the stage only as text (`${sls:stage}`
 * in names, variables and the CloudFormation conditions of serverless/conditions.yml, which compare
 * it when the template is provisioned), so a template is packaged once under a marker stage and
 * the marker is replaced by the stage asked for. Every stage of a test run (one per end-to-end
 * file) then shares one packaging per set of parameters, instead of one each, one at a time
 * under the lock. test/integration/template.test.ts holds the result to a real packaging.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { CloudFormationTemplate } from './plan';

const run = promisify(execFile);

/** The stage a template is packaged under, replaced by the stage asked for when it is read. */
export const STAGE_MARK = 'dtsstagemarkq7z';

/** The template for `stage`, from the text packaged under STAGE_MARK. */
function forStage(text: string, stage: string): CloudFormationTemplate {
  if (!/^[A-Za-z0-9-]+$/.test(stage)) throw new Error(`a stage is letters, digits and hyphens: ${JSON.stringify(stage)}`);
  return JSON.parse(text.split(STAGE_MARK).join(stage)) as CloudFormationTemplate;
}

/**
 * Where `npm start` and the scripts that prepare for it keep packaged templates: `DTS_LOCAL_CACHE_DIR`,
 * else `.dts/cache` in the checkout, so that what one packages ahead another finds.
 */
export function templateCacheDir(serviceDir: string): string {
  return process.env.DTS_LOCAL_CACHE_DIR ?? path.join(serviceDir, '.dts', 'cache');
}

export interface PackageOptions {
  /** The directory holding serverless.yml. */
  readonly serviceDir: string;
  readonly stage: string;
  readonly region: string;
  readonly cacheDir: string;
  readonly params?: Readonly<Record<string, string>>;
}

export interface PackagedTemplate {
  readonly template: CloudFormationTemplate;
  readonly key: string;
  readonly fromCache: boolean;
  readonly file: string;
}

export async function packagedTemplate(options: PackageOptions): Promise<PackagedTemplate> {
  const key = await cacheKey(options);
  const file = path.join(options.cacheDir, `cloudformation-${key.slice(0, 16)}.json`);
  const cached = await readText(file);
  if (cached) return { template: forStage(cached, options.stage), key, fromCache: true, file };
  await mkdir(options.cacheDir, { recursive: true });
  // serverless-esbuild builds into one .esbuild/ per service, so only one packaging may run at a time.
  return withLock(path.join(options.cacheDir, 'package.lock'), async () => {
    const again = await readText(file);
    if (again) return { template: forStage(again, options.stage), key, fromCache: true, file };
    const scratch = await mkdtemp(path.join(tmpdir(), 'dts-package-'));
    const out = path.join(scratch, 'package');
    // serverless-esbuild stages each function's zip in a directory of the temporary directory and
    // never removes it (its release is a non-recursive remove of a full directory, whose error it
    // swallows): one a function, 20-odd MB a packaging. Its temporary directory is under this one.
    const scratchTmp = path.join(scratch, 'tmp');
    await mkdir(scratchTmp);
    try {
      const bin = path.join(options.serviceDir, 'node_modules', '.bin', 'serverless');
      const params = Object.entries(options.params ?? {}).flatMap(([k, v]) => ['--param', `${k}=${v}`]);
      const packageOnce = (): Promise<unknown> => run(bin, ['package', '--stage', STAGE_MARK, '--region', options.region, '--package', out, ...params], {
        cwd: options.serviceDir,
        env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off', TMPDIR: scratchTmp },
        maxBuffer: 16 * 1024 * 1024,
      });
      // A `serverless package` run outside this lock (by hand, say) shares .esbuild/ and can make
      // one attempt fail; a second attempt tells that apart from a broken serverless.yml.
      await packageOnce().catch(() => new Promise((r) => setTimeout(r, 1000)).then(packageOnce)).catch((e: Error & { stdout?: string; stderr?: string }) => {
        throw new Error(`serverless package failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`.trim(), { cause: e });
      });
      const text = await readFile(path.join(out, 'cloudformation-template-update-stack.json'), 'utf8');
      const tmp = `${file}.${process.pid}.tmp`;
      await writeFile(tmp, text);
      await rename(tmp, file);
      await prune(options.cacheDir, 32);
      return { template: forStage(text, options.stage), key, fromCache: false, file };
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });
}

async function cacheKey(options: PackageOptions): Promise<string> {
  const hash = createHash('sha256');
  const config = await readFile(path.join(options.serviceDir, 'serverless.yml'), 'utf8');
  hash.update(config);
  hash.update(JSON.stringify({ region: options.region, params: options.params ?? {} }));
  const require = createRequire(path.join(options.serviceDir, 'package.json'));
  for (const pkg of ['osls', 'serverless-esbuild']) {
    try {
      hash.update(`${pkg}@${(require(`${pkg}/package.json`) as { version: string }).version}`);
    } catch {
      hash.update(`${pkg}@none`);
    }
  }
  for (const [, ref] of config.matchAll(/\$\{file\(([^)]+)\)/g)) {
    const file = path.resolve(options.serviceDir, ref as string);
    hash.update(`${file}:${await readFile(file, 'utf8').catch(() => '<missing>')}`);
  }
  for (const [, name] of config.matchAll(/\$\{env:([A-Za-z0-9_]+)/g)) {
    hash.update(`env:${name}=${process.env[name as string] ?? '<unset>'}`);
  }
  return hash.digest('hex');
}

/**
 * Keeps the newest `keep` templates (~100 kB each): serverless.yml changes often while it is being
 * written, and one test run alone uses a dozen sets of parameters (the validation's combinations,
 * the end-to-end files').
 */
async function prune(dir: string, keep: number): Promise<void> {
  const names = (await readdir(dir)).filter((n) => /^cloudformation-.*\.json$/.test(n));
  const aged = await Promise.all(names.map(async (n) => ({ n, t: (await stat(path.join(dir, n))).mtimeMs })));
  for (const { n } of aged.sort((a, b) => b.t - a.t).slice(keep)) await rm(path.join(dir, n), { force: true });
}

/** A cached template's text, if there is a whole one: it is written to a temporary name and renamed. */
async function readText(file: string): Promise<string | undefined> {
  try {
    const text = await readFile(file, 'utf8');
    JSON.parse(text);
    return text;
  } catch {
    return undefined;
  }
}

/** A cross-process lock: mkdir is atomic. A lock older than two minutes is from a dead process. */
export async function withLock<T>(dir: string, work: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      await mkdir(dir);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const age = await stat(dir).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > 120_000) await rm(dir, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await work();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
