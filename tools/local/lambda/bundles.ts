/**
 * The functions as Lambda runs them: one esbuild bundle per handler, built with the deploy's own
 * options (serverless.yml, custom.esbuild), and the worker that hosts them, bundled too. An
 * environment then starts without a TypeScript loader: loading a handler through tsx cost about
 * 1 s of CPU per environment, its bundle about 0.15 s (docs/LOCAL.md, "Start-up time"), and every
 * local cloud starts seven environments.
 *
 * The bundles are cached under a key of the entries, the options and esbuild's and Node's
 * versions; the cache's manifest lists every input esbuild read (from its metafile) with its
 * size and modification time, so an edited source, or a changed dependency, is a rebuild and a
 * stale bundle is never run. A build lands in a directory of its own, which the manifest then
 * names (written by rename), so clouds that start at once never read a half-written bundle.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, version as esbuildVersion, type BuildOptions, type Plugin } from 'esbuild';
import { withLock } from '../template/packaged';

/** serverless.yml's custom.esbuild, but the target: the functions run on this machine's Node. */
export function deployBuildOptions(serviceDir: string): BuildOptions {
  const require = createRequire(path.join(serviceDir, 'package.json'));
  return {
    bundle: true,
    minify: true,
    sourcemap: 'linked',
    sourcesContent: false,
    platform: 'node',
    format: 'cjs',
    mainFields: ['module', 'main'],
    plugins: require(path.join(serviceDir, 'scripts', 'esbuild-plugins.cjs')) as Plugin[],
    keepNames: false,
    logLevel: 'silent',
  };
}

/** serverless.yml's target for the deployed functions; the local bundles target this Node instead. */
export const DEPLOY_TARGET = 'node22';

/** The TypeScript source of a handler setting such as `functions/ingest-logs.handler`. */
export function handlerSource(serviceDir: string, handler: string): string {
  return path.resolve(serviceDir, `${handler.slice(0, handler.lastIndexOf('.'))}.ts`);
}

const WORKER_SOURCE = fileURLToPath(new URL('./worker.ts', import.meta.url));

export interface FunctionBundles {
  /** The worker thread's own bundle (an ES module: it awaits the handler's init at top level). */
  readonly worker: string;
  /** The bundle of each handler module, by the absolute path of its TypeScript source. */
  readonly modules: ReadonlyMap<string, string>;
  readonly fromCache: boolean;
}

interface Manifest {
  readonly dir: string;
  readonly worker: string;
  readonly modules: Record<string, string>;
  /** Every input of the build, relative to the service directory: [size, mtimeMs]. */
  readonly inputs: Record<string, [number, number]>;
}

/** The bundles of `entries` (absolute paths of handler sources), from the cache when current. */
export async function functionBundles(options: { serviceDir: string; cacheDir: string; entries: readonly string[] }): Promise<FunctionBundles> {
  const entries = [...new Set(options.entries)].sort();
  const target = `node${process.versions.node.split('.')[0]}`;
  const key = createHash('sha256')
    .update(JSON.stringify({ esbuildVersion, node: process.version, target, entries: entries.map((e) => path.relative(options.serviceDir, e)), worker: WORKER_SOURCE }))
    .digest('hex')
    .slice(0, 16);
  const root = path.join(options.cacheDir, 'functions');
  const manifestFile = path.join(root, `${key}.json`);
  const fromCache = (m: Manifest): FunctionBundles => ({ worker: m.worker, modules: new Map(Object.entries(m.modules)), fromCache: true });
  const cached = await current(manifestFile, options.serviceDir);
  if (cached) return fromCache(cached);
  await mkdir(root, { recursive: true });
  // Clouds that start at once (the end-to-end files) build once: the others wait and read it.
  return withLock(path.join(root, `${key}.lock`), async () => {
    const built = await current(manifestFile, options.serviceDir);
    return built ? fromCache(built) : buildAll(options.serviceDir, entries, target, root, key, manifestFile);
  });
}

async function buildAll(serviceDir: string, entries: string[], target: string, root: string, key: string, manifestFile: string): Promise<FunctionBundles> {
  const dir = path.join(root, `${key}-${randomBytes(4).toString('hex')}`);
  await mkdir(dir, { recursive: true });
  const deploy = deployBuildOptions(serviceDir);
  const started = Date.now();
  const [handlers, worker] = await Promise.all([
    build({ ...deploy, target, entryPoints: entries, outdir: dir, outbase: serviceDir, outExtension: { '.js': '.cjs' }, metafile: true, absWorkingDir: serviceDir }),
    // The worker is an ES module (it awaits the handler's init at top level) and imports nothing
    // but Node's own modules; it is not minified, so that its frames read as written.
    build({ bundle: true, platform: 'node', format: 'esm', target, sourcemap: 'inline', logLevel: 'silent', entryPoints: [WORKER_SOURCE], outfile: path.join(dir, 'worker.mjs'), metafile: true, absWorkingDir: serviceDir }),
  ]);
  const modules: Record<string, string> = {};
  for (const [out, meta] of Object.entries(handlers.metafile.outputs)) {
    if (meta.entryPoint) modules[path.resolve(serviceDir, meta.entryPoint)] = path.resolve(serviceDir, out);
  }
  const missing = entries.filter((e) => !modules[e]);
  if (missing.length > 0) throw new Error(`esbuild made no bundle for ${missing.join(', ')}`);
  const inputs: Manifest['inputs'] = {};
  const read = [...Object.keys(handlers.metafile.inputs), ...Object.keys(worker.metafile.inputs)].filter((i) => !i.includes(':'));
  await Promise.all(read.map(async (input) => {
    const s = await stat(path.resolve(serviceDir, input));
    inputs[input] = [s.size, s.mtimeMs];
  }));
  const manifest: Manifest = { dir, worker: path.join(dir, 'worker.mjs'), modules, inputs };
  // A file saved while esbuild ran may be in the bundle as it was before: this build serves this
  // cloud, but is not recorded as current, so the next start builds again.
  const finished = Date.now();
  if (Object.values(inputs).some(([, mtimeMs]) => mtimeMs > started && mtimeMs <= finished)) return { worker: manifest.worker, modules: new Map(Object.entries(modules)), fromCache: false };
  const tmp = `${manifestFile}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, JSON.stringify(manifest));
  await rename(tmp, manifestFile);
  await prune(root, key, dir);
  return { worker: manifest.worker, modules: new Map(Object.entries(modules)), fromCache: false };
}

/** The manifest, if every input it lists is as it was built from and its bundles exist. */
async function current(file: string, serviceDir: string): Promise<Manifest | undefined> {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await readFile(file, 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
  try {
    const checks = await Promise.all([
      ...Object.entries(manifest.inputs).map(async ([input, [size, mtimeMs]]) => {
        const s = await stat(path.resolve(serviceDir, input));
        return s.size === size && s.mtimeMs === mtimeMs;
      }),
      ...[manifest.worker, ...Object.values(manifest.modules)].map((f) => stat(f).then(() => true)),
    ]);
    return checks.every(Boolean) ? manifest : undefined;
  } catch {
    return undefined; // An input or a bundle is gone.
  }
}

/**
 * Removes this key's older builds, but those younger than an hour: a cloud that is still running
 * starts new environments from the build it started with.
 */
async function prune(root: string, key: string, keep: string): Promise<void> {
  const hourAgo = Date.now() - 3_600_000;
  for (const name of await readdir(root).catch(() => [] as string[])) {
    const dir = path.join(root, name);
    if (!name.startsWith(`${key}-`) || dir === keep || name.endsWith('.tmp')) continue;
    const s = await stat(dir).catch(() => undefined);
    if (s?.isDirectory() && s.mtimeMs < hourAgo) await rm(dir, { recursive: true, force: true });
  }
}
