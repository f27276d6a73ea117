/**
 * `npm start` as an operator runs it, in a child process: the tests signal it, restart it on the
 * same data directory, and read what it prints.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const MAIN = path.join(ROOT, 'tools', 'local', 'main.ts');

export interface CloudProcessOptions {
  readonly dataDir: string;
  readonly inMemory?: boolean;
  readonly tick?: number;
  readonly stage?: string;
  readonly port?: number;
  readonly extraArgs?: readonly string[];
  /** Added to the environment it runs in. */
  readonly env?: Readonly<Record<string, string>>;
  /** Default true: the full start-up listing (queue URLs, exports) and every function line, which the tests read. */
  readonly verbose?: boolean;
  /**
   * Default true (`--lazy`): each function's first environment starts at its first invocation, as
   * in Lambda, not at start-up. A file uses a few of the seven functions, and starting the others
   * cost each cloud about a second of CPU, and more while they sat idle (docs/TESTING.md, item 9).
   * `false` starts them as `npm start` does by default (test/e2e/readiness.test.ts).
   */
  readonly lazy?: boolean;
}

export interface CloudProcess {
  readonly endpoint: string;
  readonly child: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
  /** Sends the signal and resolves with the exit code once it has exited. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startCloudProcess(options: CloudProcessOptions): Promise<CloudProcess> {
  const args = [
    '--import', 'tsx', MAIN,
    '--port', String(options.port ?? 0),
    '--data-dir', options.dataDir,
    '--stage', options.stage ?? 'local',
    ...(options.inMemory ? ['--in-memory'] : []),
    ...(options.tick ? ['--tick', String(options.tick)] : []),
    ...(options.verbose === false ? [] : ['--verbose']),
    ...(options.lazy === false ? [] : ['--lazy']),
    ...(options.extraArgs ?? []),
  ];
  // Not through npm or npx: signals must reach the cloud itself, as Ctrl-C reaches it in a terminal.
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const endpoint = await new Promise<string>((resolve, reject) => {
    const seen = (d: Buffer): void => {
      text += d.toString();
      const found = /endpoint\s+(http:\/\/[\d.]+:\d+)/.exec(text)?.[1];
      if (found && /ready in [\d.]+ s/.test(text)) resolve(found);
    };
    child.stdout.on('data', seen);
    child.stderr.on('data', seen);
    void exited.then((code) => reject(new Error(`the local cloud exited (${code}) before it was ready:\n${text}`)));
  });
  return {
    endpoint,
    child,
    output: () => text,
    async stop(signal = 'SIGINT') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
