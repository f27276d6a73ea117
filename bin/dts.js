#!/usr/bin/env node
// The `dts` command. A built package (npm pack, npm install from git, or `npm run build` in a
// checkout) runs the one-file bundle dist/dts.cjs. A checkout runs the source through tsx
// instead when there is no bundle or when the source changed after it was built, so development
// needs no build step and never runs stale code. DTS_FROM_SOURCE=1 forces the source.
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, URL } from 'node:url';
import vm from 'node:vm';

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  // Answered before anything else loads: the version is all this needs.
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
} else {
  const bundle = fileURLToPath(new URL('../dist/dts.cjs', import.meta.url));
  const source = fileURLToPath(new URL('../lib/', import.meta.url));
  if (existsSync(bundle) && !process.env.DTS_FROM_SOURCE && !(existsSync(source) && changedSince(source, statSync(bundle).mtimeMs))) {
    runBundle(bundle);
  } else {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const { register } = await import('tsx/esm/api');
    register();
    await import(new URL('../lib/cli/bin.ts', import.meta.url).href);
  }
}

/**
 * Run the CommonJS bundle with a V8 code cache, as Node 22's module.enableCompileCache() does:
 * compiling the bundle's 800 KB is most of a command's start-up, and the cache skips it after
 * the first run. The cache sits in a directory of this user's own under the temp directory, is
 * keyed by Node's version and the bundle's size and time, and V8 itself refuses a cache that
 * does not match the source. DTS_NO_COMPILE_CACHE=1 turns it off.
 */
function runBundle(file) {
  const require = createRequire(file);
  if (process.env.DTS_NO_COMPILE_CACHE) return require(file);
  if (typeof Module.enableCompileCache === 'function') {
    Module.enableCompileCache();
    return require(file);
  }
  // The shebang is only for `node dist/dts.cjs`; inside a function wrapper it is a syntax error.
  const code = readFileSync(file, 'utf8').replace(/^#!/, '//');
  const cacheFile = cachePath(file);
  let cached;
  try {
    if (cacheFile) cached = readFileSync(cacheFile);
  } catch {
    // No cache yet.
  }
  const script = new vm.Script(Module.wrap(code), {
    filename: file,
    ...(cached ? { cachedData: cached } : {}),
  });
  if (cacheFile && (!cached || script.cachedDataRejected)) {
    // After the run, so that the functions this command compiled lazily are in the cache too.
    process.once('exit', () => {
      try {
        const tmp = `${cacheFile}.${process.pid}`;
        writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
        renameSync(tmp, cacheFile);
      } catch {
        // A cache is an optimisation: never a reason to fail.
      }
    });
  }
  const module = { exports: {}, filename: file, id: file, loaded: false };
  script.runInThisContext()(module.exports, require, module, file, path.dirname(file));
  return module.exports;
}

/** The cache file for `file`, or undefined when no private cache directory can be had. */
function cachePath(file) {
  try {
    const uid = typeof process.getuid === 'function' ? process.getuid() : 'user';
    const dir = path.join(tmpdir(), `dts-compile-cache-${uid}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const s = lstatSync(dir);
    // Someone else's directory, or a link to one, could hand us code: use no cache then.
    if (!s.isDirectory() || (typeof process.getuid === 'function' && s.uid !== process.getuid()) || (s.mode & 0o077) !== 0) return undefined;
    const { size, mtimeMs } = statSync(file);
    const key = createHash('sha256').update(`${process.version}\0${process.arch}\0${file}\0${size}\0${mtimeMs}`).digest('hex').slice(0, 32);
    return path.join(dir, `${key}.v8cache`);
  } catch {
    return undefined;
  }
}

/** Whether any file under `dir` was modified after `since` (a checkout edited after its build). */
function changedSince(dir, since) {
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && statSync(path.join(entry.parentPath ?? entry.path, entry.name)).mtimeMs > since) return true;
  }
  return false;
}
