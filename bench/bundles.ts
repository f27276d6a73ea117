/**
 * Part 5: each function's bundle, as `serverless package` makes it (serverless-esbuild, minified,
 * `@aws-sdk/*` left to the nodejs22.x runtime), and as it would be with the SDK bundled in:
 * minified and gzipped bytes, and cold initialisation (requiring the bundle in a fresh node
 * process, median of several).
 *
 *   npx tsx bench/bundles.ts [--quick]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { build, type Plugin } from 'esbuild';
import { BENCH_DIR, header, isQuick, saveResult, table } from './support/report';
import { sig, summarize } from './support/stats';

const quick = isQuick();
/** serverless.yml's custom.esbuild.plugins. */
const ESBUILD_PLUGINS = createRequire(import.meta.url)('../scripts/esbuild-plugins.cjs') as Plugin[];
const ROOT = path.resolve(BENCH_DIR, '..');
const RUNS = quick ? 3 : 7;
const TARGET_KB = 250;

interface Bundle {
  fn: string;
  variant: string;
  minifiedBytes: number;
  gzipBytes: number;
  zipBytes?: number;
  initMs: { p50: number; p99: number; max: number };
}

/** Milliseconds to require `file` in a fresh node process, `RUNS` times. */
/**
 * What the functions read at init (lib/config), from the packaged template: every function's
 * environment, with a placeholder where the value is a reference to a resource. Nothing is called
 * at init, but a function that builds its stores then (api) fails without them.
 */
const FUNCTION_ENV: Record<string, string> = {};
function readFunctionEnv(templateFile: string): void {
  const template = JSON.parse(readFileSync(templateFile, 'utf8')) as { Resources: Record<string, { Type: string; Properties?: { Environment?: { Variables?: Record<string, unknown> } } }> };
  for (const r of Object.values(template.Resources)) {
    if (r.Type !== 'AWS::Lambda::Function') continue;
    for (const [k, v] of Object.entries(r.Properties?.Environment?.Variables ?? {})) FUNCTION_ENV[k] = typeof v === 'string' ? v : `bench-${k.toLowerCase()}`;
  }
}

function coldInit(file: string, env: Record<string, string> = {}): Bundle['initMs'] {
  const samples: number[] = [];
  const probe = `const t=process.hrtime.bigint();require(${JSON.stringify(file)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
  for (let i = 0; i < RUNS; i++) {
    const out = execFileSync(process.execPath, ['--no-warnings', '-e', probe], { env: { ...process.env, AWS_REGION: 'us-east-1', ...FUNCTION_ENV, ...env }, encoding: 'utf8' });
    samples.push(Number(out));
  }
  const s = summarize(samples);
  return { p50: s.p50, p99: s.p99, max: s.max };
}

function measureFile(fn: string, variant: string, file: string, env: Record<string, string> = {}, zipBytes?: number): Bundle {
  const code = readFileSync(file);
  return {
    fn, variant, minifiedBytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length,
    ...(zipBytes !== undefined ? { zipBytes } : {}), initMs: coldInit(file, env),
  };
}

async function main(): Promise<void> {
  header('Part 5 — bundles: size and cold initialisation');
  const work = mkdtempSync(path.join(tmpdir(), 'dts-bundles-'));
  const bundles: Bundle[] = [];
  try {
    // A: exactly what deploys today.
    const pkg = path.join(work, 'package');
    execFileSync('npx', ['serverless', 'package', '--stage', 'bench', '--package', pkg], { cwd: ROOT, stdio: 'pipe' });
    readFunctionEnv(path.join(pkg, 'cloudformation-template-update-stack.json'));
    // Every function the template packages: one zip each, holding functions/<name>.js.
    const functions: string[] = [];
    for (const zip of readdirSync(pkg).filter((f) => f.endsWith('.zip'))) {
      const dir = path.join(work, zip.replace(/\.zip$/, ''));
      execFileSync('unzip', ['-q', '-o', path.join(pkg, zip), '-d', dir]);
      const js = readdirSync(path.join(dir, 'functions')).find((f) => f.endsWith('.js'));
      if (!js) continue;
      const fn = js.replace(/\.js$/, '');
      functions.push(fn);
      // The deployed bundle leaves @aws-sdk/* to the runtime; here it resolves from the project's.
      bundles.push(measureFile(fn, 'A: @aws-sdk/* from the runtime (serverless package, deployed)', path.join(dir, 'functions', js),
        { NODE_PATH: path.join(ROOT, 'node_modules') }, statSync(path.join(pkg, zip)).size));
    }
    // B: the same esbuild options with the SDK bundled in: what pinning the lockfile's SDK costs.
    for (const fn of functions) {
      const out = path.join(work, 'external', `${fn}.js`);
      await build({
        entryPoints: [path.join(ROOT, 'functions', `${fn}.ts`)], bundle: true, minify: true, platform: 'node', target: 'node22',
        format: 'cjs', outfile: out, logLevel: 'silent', plugins: ESBUILD_PLUGINS,
      });
      bundles.push(measureFile(fn, 'B: SDK bundled (the lockfile\'s SDK)', out));
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  bundles.sort((a, b) => a.fn.localeCompare(b.fn) || a.variant.localeCompare(b.variant));
  console.log(table([
    ['function', 'variant', 'minified KB', 'gzip KB', 'zip KB', 'init p50 ms', 'init max ms', `≤ ${TARGET_KB} KB`],
    ...bundles.map((b) => [
      b.fn, b.variant, sig(b.minifiedBytes / 1024), sig(b.gzipBytes / 1024), b.zipBytes ? sig(b.zipBytes / 1024) : '—',
      sig(b.initMs.p50), sig(b.initMs.max), b.minifiedBytes <= TARGET_KB * 1024 ? 'yes' : `NO (+${sig(b.minifiedBytes / 1024 - TARGET_KB)} KB)`,
    ]),
  ]));
  console.log('\nInit of A requires the SDK from node_modules here; on Lambda it comes from the runtime\'s own copy, so A\'s init includes that load too.');
  saveResult('bundles', `npx tsx bench/bundles.ts${quick ? ' --quick' : ''}`, quick, { runs: RUNS, targetKB: TARGET_KB, bundles });
}

await main();
