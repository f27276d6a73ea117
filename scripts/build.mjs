#!/usr/bin/env node
/**
 * The build: `npm run build` (also run by `prepare` and `prepack`).
 *
 *   node scripts/build.mjs            everything below
 *   node scripts/build.mjs proto      only the codec (npm run build:proto)
 *   node scripts/build.mjs console    only the console page (npm run build:console)
 *   node scripts/build.mjs --prepare  as `prepare` runs it: also packages serverless.yml for the
 *                                     first `npm start` (scripts/package-template.ts; not under
 *                                     npm pack or publish). Without the dev tools (npm ci
 *                                     --omit=dev) it says so and builds nothing, instead of failing
 *
 * What it makes:
 * - lib/wire/generated/dts.{js,d.ts,json}: the codec, generated from proto/dts.proto by pbjs;
 * - dist/dts.cjs: the CLI, one minified file with every dependency inside, for any Node >= 20;
 * - dist/dts-agent.mjs: the agent alone, one file with only the clients it uses;
 * - dist/index.js + dist/types/: the producer library, ESM with declarations; the SQS client
 *   and protobufjs stay dependencies, the other SDK clients optional peers;
 * - lib/console/generated/assets.ts: the console page, built from web/ by scripts/build-console.ts;
 * - clients/python/dts_client/dts_pb2.py: the Python codec, by protoc when it is installed
 *   (Debian: protobuf-compiler; its runtime is python3-protobuf, the same release).
 *
 * Plain JavaScript, so that it needs nothing but Node and the dev dependencies it calls.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const at = (...p) => path.join(ROOT, ...p);
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const started = performance.now();

const PROTO = at('proto', 'dts.proto');
const GENERATED = at('lib', 'wire', 'generated');
const PY_OUT = at('clients', 'python', 'dts_client');

/** A dev tool's entry, or undefined when dev dependencies are not installed. */
function tool(specifier) {
  try {
    return require.resolve(specifier);
  } catch {
    return undefined;
  }
}

function newer(output, ...inputs) {
  if (!existsSync(output)) return false;
  const t = statSync(output).mtimeMs;
  return inputs.every((i) => statSync(i).mtimeMs <= t);
}

async function node(script, argv) {
  await run(process.execPath, [script, ...argv], { cwd: ROOT });
}

/** The JavaScript codec; skipped when it is newer than the .proto (npm test runs this first). */
async function buildProto() {
  const js = path.join(GENERATED, 'dts.js');
  if (newer(js, PROTO) && newer(path.join(GENERATED, 'dts.d.ts'), js) && newer(path.join(GENERATED, 'dts.json'), PROTO)) return;
  const pbjs = tool('protobufjs-cli/bin/pbjs');
  const pbts = tool('protobufjs-cli/bin/pbts');
  mkdirSync(GENERATED, { recursive: true });
  await node(pbjs, ['-t', 'static-module', '-w', 'es6', '--dependency', 'protobufjs/minimal.js', '--no-delimited', '--no-service', '-o', js, PROTO]);
  await Promise.all([
    node(pbts, ['-o', path.join(GENERATED, 'dts.d.ts'), js]),
    node(pbjs, ['-t', 'json', '-o', path.join(GENERATED, 'dts.json'), PROTO]),
  ]);
}

/** The console page (web/src), as a module of strings that the API function serves. */
async function buildConsole() {
  const out = at('lib', 'console', 'generated', 'assets.ts');
  const script = at('scripts', 'build-console.ts');
  if (newer(out, script, ...walk(at('web', 'src')))) return;
  await run(process.execPath, ['--no-warnings', '--import', 'tsx', script], { cwd: ROOT });
}

/** The Python codec, from the same .proto, when protoc is there; its absence is said, not fatal. */
async function buildPython() {
  const out = path.join(PY_OUT, 'dts_pb2.py');
  if (newer(out, PROTO)) return 'up to date';
  try {
    await run('protoc', [`--proto_path=${at('proto')}`, `--python_out=${PY_OUT}`, PROTO], { cwd: ROOT });
    return 'built';
  } catch (e) {
    if (e.code === 'ENOENT') return 'skipped: no protoc (apt-get install protobuf-compiler)';
    throw e;
  }
}

/** esbuild resolves these to a module that throws if it is ever imported: the agent never needs them. */
function omit(names) {
  const filter = new RegExp(`^(${names.map((n) => n.replace(/[/\\^$*+?.()|[\]{}-]/g, '\\$&')).join('|')})$`);
  return {
    name: 'omit',
    setup(b) {
      b.onResolve({ filter }, (a) => ({ path: a.path, namespace: 'omit' }));
      b.onLoad({ filter: /.*/, namespace: 'omit' }, (a) => ({
        contents: `throw Object.assign(new Error(${JSON.stringify(`${a.path} is not part of this bundle`)}), { code: 'ERR_MODULE_NOT_FOUND' });`,
        loader: 'js',
      }));
    },
  };
}

/**
 * The CLI bundle is CommonJS, compiled by bin/dts.js through vm.Script for its code cache, where
 * a dynamic import() has no loader on Node 20. The SDK imports two of Node's own modules that
 * way; they are required instead (the SDK reads `m.default ?? m` and named exports alike).
 */
function requireNodeBuiltins(file) {
  const text = readFileSync(file, 'utf8').replace(/(?<![\w$.])import\("(node:[a-z_/]+)"\)/g, 'Promise.resolve().then(()=>require("$1"))');
  const left = /(?<![\w$.])import\([^)]*\)/.exec(text);
  if (left) throw new Error(`${path.relative(ROOT, file)} still has a dynamic ${left[0]}, which vm.Script cannot run`);
  writeFileSync(file, text);
}

async function buildBundles() {
  const esbuild = await import('esbuild');
  const common = {
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    legalComments: 'none',
    // The SDK's ES modules, which esbuild can tree-shake, rather than its CommonJS.
    mainFields: ['module', 'main'],
    logLevel: 'warning',
    // Bundled CommonJS (the AWS SDK) still calls require() for Node's own modules.
    banner: { js: "import { createRequire as __dtsRequire } from 'node:module'; const require = __dtsRequire(import.meta.url);" },
  };
  const bin = { ...common, banner: { js: `#!/usr/bin/env node\n${common.banner.js}` } };
  await Promise.all([
    // CommonJS, so that bin/dts.js can compile it with a V8 code cache (vm.Script) on Node 20.
    esbuild.build({ ...common, format: 'cjs', banner: { js: '#!/usr/bin/env node' }, entryPoints: [at('lib', 'cli', 'bin.ts')], outfile: at('dist', 'dts.cjs') })
      .then(() => requireNodeBuiltins(at('dist', 'dts.cjs'))),
    esbuild.build({
      ...bin, entryPoints: [at('lib', 'cli', 'agent-bin.ts')], outfile: at('dist', 'dts-agent.mjs'),
      plugins: [omit(['@aws-sdk/client-dynamodb', '@aws-sdk/client-sns'])],
    }),
    esbuild.build({
      ...common, banner: {}, minify: false, entryPoints: [at('lib', 'producer', 'index.ts')], outfile: at('dist', 'index.js'),
      external: ['@aws-sdk/*', 'protobufjs', 'protobufjs/*'],
    }),
  ]);
}

/**
 * The producer's declarations, emitted by tsc, with relative imports given the `.js`/`/index.js`
 * that Node's ESM resolution (and TypeScript's node16/nodenext) require.
 */
async function buildTypes() {
  const out = at('dist', 'types');
  rmSync(out, { recursive: true, force: true });
  await node(tool('typescript/bin/tsc'), ['-p', at('tsconfig.build.json')]);
  mkdirSync(path.join(out, 'wire', 'generated'), { recursive: true });
  copyFileSync(path.join(GENERATED, 'dts.d.ts'), path.join(out, 'wire', 'generated', 'dts.d.ts'));
  for (const file of walk(out)) {
    const dir = path.dirname(file);
    const text = readFileSync(file, 'utf8').replace(/(from\s+|import\()(['"])(\.{1,2}\/[^'"]+)\2/g, (whole, lead, q, spec) => {
      if (spec.endsWith('.js')) return whole;
      const target = existsSync(path.join(dir, `${spec}.d.ts`)) ? `${spec}.js` : `${spec}/index.js`;
      return `${lead}${q}${target}${q}`;
    });
    writeFileSync(file, text);
  }
}

/** The latest modification time of these files, or of any file under these directories. */
function newest(paths) {
  let t = 0;
  for (const p of paths) {
    const files = statSync(p).isDirectory() ? walk(p) : [p];
    for (const f of files) t = Math.max(t, statSync(f).mtimeMs);
  }
  return t;
}

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

/**
 * At install: the template the first `npm start` needs, packaged now (docs/LOCAL.md, "Start-up
 * time"). It is a cache: a failure costs that start the packaging, and never fails the install.
 */
async function packageTemplate() {
  try {
    const { stderr } = await run(process.execPath, ['--no-warnings', '--import', 'tsx', at('scripts', 'package-template.ts')], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
    process.stderr.write(stderr);
  } catch (e) {
    console.error(`dts: could not package npm start's template now; the first npm start will (${String(e.stderr || e.message).trim().split('\n')[0]})`);
  }
}

async function main() {
  const prepare = args.includes('--prepare');
  const onlyProto = args.includes('proto');
  const onlyConsole = args.includes('console');
  const missing = ['protobufjs-cli/bin/pbjs', ...(onlyProto ? [] : ['esbuild', 'typescript/bin/tsc', 'tsx'])].filter((t) => !tool(t));
  if (missing.length > 0) {
    const why = `the build needs the dev dependencies (${missing.join(', ')} not found)`;
    if (!prepare) throw new Error(`${why}: run npm ci (without --omit=dev)`);
    // npm ci --omit=dev in a checkout: nothing can be built, and failing would fail the install.
    console.error(`dts: ${why}; nothing built. Run the built package (npm pack) or npm ci with dev dependencies.`);
    return;
  }
  await buildProto();
  const python = await buildPython();
  if (onlyProto) return;
  await buildConsole();
  if (onlyConsole) return;
  if (prepare && !['pack', 'publish'].includes(process.env.npm_command ?? '')) await packageTemplate();
  // `npm pack` runs prepack and prepare, and CI's `npm ci` built already: skip what is current.
  const stamp = at('dist', '.built');
  const inputs = [at('lib'), at('proto'), at('web'), at('package.json'), at('tsconfig.json'), at('tsconfig.build.json'), fileURLToPath(import.meta.url)];
  if (!args.includes('--force') && existsSync(stamp) && newest(inputs) <= statSync(stamp).mtimeMs) {
    console.error(`dts: dist/ is up to date (--force to rebuild); python codec ${python}`);
    return;
  }
  rmSync(stamp, { force: true });
  mkdirSync(at('dist'), { recursive: true });
  await Promise.all([buildBundles(), buildTypes()]);
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
  const sizes = ['dts.cjs', 'dts-agent.mjs', 'index.js'].map((f) => `${f} ${Math.round(statSync(at('dist', f)).size / 1024)} KB`).join(', ');
  console.error(`dts: built dist/ (${sizes}); python codec ${python}; ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((e) => {
  console.error(`dts build failed: ${e.stderr || e.message}`);
  process.exit(1);
});
