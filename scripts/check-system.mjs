/**
 * What `npm test` needs from the machine besides Node, checked before anything runs, so that a
 * fresh machine fails in one line that says what is missing and how to install it, not in the
 * middle of the console or Python tests:
 *
 * - Java 17 or later: DynamoDB Local, the second DynamoDB engine;
 * - /usr/bin/chromium: the console's browser tests (playwright-core drives Debian's chromium);
 * - protoc: the Python codec (clients/python/dts_client/dts_pb2.py);
 * - /usr/bin/python3 with boto3 and protobuf: the Python client's tests.
 *
 * As root (CI, a container), it installs what is missing with apt-get, as .ci/run does; set
 * DTS_NO_INSTALL=1 to only check.
 *
 *   node scripts/check-system.mjs
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The Debian package that provides each need. */
export const NEEDS = [
  { name: 'Java 17+', pkg: 'openjdk-17-jre-headless', ok: (p) => p.javaMajor() >= 17 },
  { name: 'chromium', pkg: 'chromium', ok: (p) => p.exists('/usr/bin/chromium') },
  { name: 'protoc', pkg: 'protobuf-compiler', ok: (p) => p.onPath('protoc') },
  { name: 'python3-boto3', pkg: 'python3-boto3', ok: (p) => p.pythonImports('boto3') },
  { name: 'python3-protobuf', pkg: 'python3-protobuf', ok: (p) => p.pythonImports('google.protobuf') },
];

/** How this machine answers each question. */
export const machine = {
  exists: (file) => existsSync(file),
  onPath: (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0,
  javaMajor: () => {
    const r = spawnSync('java', ['-version'], { encoding: 'utf8' });
    const m = /version "(\d+)(?:\.(\d+))?/.exec(`${r.stderr ?? ''}${r.stdout ?? ''}`);
    if (!m) return 0;
    // Java 8 and before called themselves 1.x.
    return m[1] === '1' ? Number(m[2]) : Number(m[1]);
  },
  pythonImports: (module) => existsSync('/usr/bin/python3') && spawnSync('/usr/bin/python3', ['-c', `import ${module}`], { stdio: 'ignore' }).status === 0,
  isRoot: () => process.getuid?.() === 0,
  hasAptGet: () => existsSync('/usr/bin/apt-get'),
};

export function missing(probe) {
  return NEEDS.filter((n) => !n.ok(probe));
}

export function installCommand(needs) {
  return `apt-get install -y ${[...new Set(needs.map((n) => n.pkg))].join(' ')}`;
}

/** One line for what is missing, naming the command that installs it. */
export function missingLine(needs) {
  return `dts: npm test needs ${needs.map((n) => n.name).join(', ')}, which this machine lacks: sudo apt-get update && sudo ${installCommand(needs)}`;
}

/**
 * Checks, installs as root what is missing, checks again. Resolves to the exit code; `say` gets
 * one line, and nothing when all is there.
 */
export function checkSystem(probe = machine, { say = (l) => console.error(l), install = aptInstall, env = process.env } = {}) {
  let lacking = missing(probe);
  if (lacking.length === 0) return 0;
  if (probe.isRoot() && probe.hasAptGet() && !env.DTS_NO_INSTALL) {
    say(`dts: installing what npm test needs (${lacking.map((n) => n.pkg).join(' ')}) with apt-get, as root, as .ci/run does`);
    try {
      install(lacking.map((n) => n.pkg));
    } catch (e) {
      say(`dts: apt-get failed: ${String(e.message).split('\n')[0]}`);
    }
    lacking = missing(probe);
    if (lacking.length === 0) return 0;
  }
  say(missingLine(lacking));
  return 1;
}

function aptInstall(pkgs) {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  execFileSync('apt-get', ['install', '-y', '-qq', ...pkgs], { env, stdio: ['ignore', 'ignore', 'pipe'] });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = checkSystem();
