/**
 * `npm run test:quick`: the inner loop. The typecheck and the lint run beside the unit tests
 * rather than before them, so that the 2 cores of a small machine are both busy: each would
 * otherwise wait on one single-threaded tool. Their output is shown when they end; the exit code
 * is non-zero if any of the three failed. The build before them (skipped when current) stays
 * first, since the unit tests and the typecheck read its generated code.
 */
import { spawn } from 'node:child_process';

/** Runs an npm script; `live` streams its output, otherwise it is kept for the end. */
function npmRun(script, live) {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', script], { stdio: live ? 'inherit' : ['ignore', 'pipe', 'pipe'] });
    let output = '';
    if (!live) for (const stream of [child.stdout, child.stderr]) stream.on('data', (d) => { output += d; });
    child.on('close', (code) => resolve({ script, code: code ?? 1, output }));
  });
}

const build = await npmRun('build', true);
if (build.code !== 0) process.exit(build.code);
const results = await Promise.all([npmRun('typecheck', false), npmRun('lint', false), npmRun('test:unit', true)]);
for (const r of results) {
  if (r.output.trim()) process.stdout.write(`\n── npm run ${r.script} ──\n${r.output}`);
  console.log(`${r.code === 0 ? 'ok  ' : 'FAIL'} npm run ${r.script}`);
}
process.exit(results.some((r) => r.code !== 0) ? 1 : 0);
