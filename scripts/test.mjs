/**
 * `npm test`: everything CI checks, in phases that keep a 2-core machine busy without
 * letting a timing assertion lose to a neighbour (docs/TESTING.md, "How npm test is
 * kept short"):
 *
 * 0. The machine's needs (scripts/check-system.mjs): one line naming what is missing, and how to
 *    install it (as root, it installs it).
 * 1. The build, then the typecheck and the lint beside the unit tests (`npm run test:quick`'s
 *    arrangement). The template's validation starts with them and runs on beside phase 2.
 * 2. The integration suite, both engines in one run, its files sharing their worker processes
 *    (docs/TESTING.md, item 8). Beside it the validation ends, and then the end-to-end files'
 *    templates are packaged ahead (test/e2e/support/prepackage.ts, docs/TESTING.md, item 11);
 *    both are awaited.
 * 3. The end-to-end files, six at a time (`DTS_E2E_WORKERS`), each on a local cloud of its own
 *    (docs/TESTING.md, item 12).
 * 4. The end-to-end files that need the machine to themselves (`E2E_ALONE_FILES`), one at a time.
 *
 * The integration suite and the end-to-end files do not run side by side: tried on this 2-core
 * machine, the load (20 and more) timed out end-to-end assertions that hold on real clocks.
 *
 * A phase runs only if the one before it passed. Each step's output is streamed or, when two run
 * at once, kept and shown when it ends; the exit code is non-zero if any step failed.
 */
import { spawn } from 'node:child_process';

/** Runs a command; `live` streams its output, otherwise it is kept for the end. */
function run(name, command, args, live) {
  const started = Date.now();
  const child = spawn(command, args, { stdio: live ? 'inherit' : ['ignore', 'pipe', 'pipe'] });
  const done = new Promise((resolve) => {
    let output = '';
    if (!live) for (const stream of [child.stdout, child.stderr]) stream.on('data', (d) => { output += d; });
    child.on('close', (code) => resolve({ name, code: code ?? 1, output, seconds: Math.round((Date.now() - started) / 1000) }));
  });
  return Object.assign(done, { child });
}

const npm = (script, live) => run(`npm run ${script}`, 'npm', ['run', '--silent', script], live);
const vitest = (name, args, live) => run(name, 'npx', ['vitest', 'run', ...args], live);

/** Runs steps side by side; prints each one's kept output and verdict; false if any failed. */
async function phase(steps) {
  const results = await Promise.all(steps);
  for (const r of results) {
    if (r.output.trim()) process.stdout.write(`\n── ${r.name} ──\n${r.output}`);
    console.log(`${r.code === 0 ? 'ok  ' : 'FAIL'} ${r.name} (${r.seconds} s)`);
  }
  return results.every((r) => r.code === 0);
}

const e2eWorkers = process.env.DTS_E2E_WORKERS ?? '6';

/**
 * Once the validation's packagings are done, the end-to-end files' own templates
 * (test/e2e/support/prepackage.ts): packaged beside the integration suite, which leaves a core
 * half idle, and not by the files themselves, one at a time under the cache's lock, in a fresh clone.
 * Its result is the validation's if that failed.
 */
async function packagedAhead(validating) {
  const validated = await validating;
  if (validated.code !== 0) return validated;
  const packaging = run('the end-to-end files\' templates', 'node', ['--no-warnings', '--import', 'tsx', 'test/e2e/support/prepackage.ts'], false);
  aheadChild = packaging.child;
  const ahead = await packaging;
  return { ...ahead, output: `${validated.output}${ahead.output}`, name: `${validated.name}, then ${ahead.name}`, seconds: validated.seconds + ahead.seconds };
}

let validation;
let prepared;
let aheadChild;
const ok = await phase([run('system needs', 'node', ['scripts/check-system.mjs'], true)])
  && await phase([npm('build', true)])
  // The validation's eight packagings mostly wait (about 5 s of CPU in 12 s each): they run beside
  // the checks, the unit tests and then the integration suite, and end before the end-to-end files,
  // whose clouds provision from the templates they leave in the cache.
  && (validation = npm('validate', false), prepared = packagedAhead(validation), await phase([npm('typecheck', false), npm('lint', false), npm('test:unit', true)]))
  && await phase([run('integration (dynalite, DynamoDB Local)', 'npm', ['run', '--silent', 'test:integration'], true)])
  && await phase([prepared])
  && await phase([vitest('end to end, side by side', ['--project', 'e2e', `--maxWorkers=${e2eWorkers}`], true)])
  && await phase([vitest('end to end, alone', ['--project', 'e2e-alone', '--maxWorkers=1'], true)]);
// A phase that failed before the validation was awaited leaves it (or the packaging after it)
// running: it is stopped, not left behind.
if (!ok) for (const child of [validation?.child, aheadChild]) if (child?.exitCode === null) child.kill();
process.exit(ok ? 0 : 1);
