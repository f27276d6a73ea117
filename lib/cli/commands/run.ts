import { spawn } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import { constants } from 'node:os';
import { OUTPUT_KEEP_BYTES, outputTail } from '../../domain/check/signal';
import { createProducer } from '../../producer/producer';
import type { Context } from '../context';
import { usage } from '../errors';

/** The longest `dts run` waits for a signal to go out before it gets on with the command. */
const SEND_WAIT_MS = 10_000;
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const;

interface Pinger {
  ping(status: string | number, output?: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * `dts run NAME -- command args…` (docs/CHECKS.md): start, the command with its output passed
 * through, then success or fail with its exit status and the last 10 KB of its output. It never
 * changes the command's exit status; when dts cannot be reached, the command runs all the same
 * and a warning goes to stderr. Signals sent to `dts run` are forwarded to the command.
 */
export async function runCommand(ctx: Context, name: string, argv: readonly string[]): Promise<number> {
  const [command, ...args] = argv;
  if (command === undefined) throw usage('dts run NAME -- command [args…]: give the command to run');
  const pinger = await connect(ctx, name);
  await pinger.ping('start');
  const { code, output } = await runChild(ctx, command, args);
  await pinger.ping(code, output);
  await pinger.close();
  return code;
}

async function connect(ctx: Context, name: string): Promise<Pinger> {
  const warn = (why: string) => ctx.io.err(`dts run: ${why}; the command runs anyway\n`);
  try {
    const backend = await ctx.backend(['heartbeatsQueueUrl']);
    const producer = createProducer({ ...backend.client, heartbeatsQueueUrl: backend.require('heartbeatsQueueUrl'), flushOnExit: false, onError: () => {} });
    let warned = false;
    return {
      async ping(status, output = '') {
        const sent = await Promise.race([
          producer.ping(name, status, output),
          new Promise<{ ok: false; error: Error }>((resolve) => setTimeout(() => resolve({ ok: false, error: new Error(`no answer in ${SEND_WAIT_MS / 1000}s`) }), SEND_WAIT_MS).unref()),
        ]);
        if (!sent.ok && !warned) {
          warned = true;
          warn(`could not signal check ${name}: ${sent.error.message}`);
        }
      },
      close: async () => { await producer.close({ timeoutMs: 1000 }); },
    };
  } catch (e) {
    warn(`cannot reach dts (${(e as Error).message})`);
    return { ping: async () => undefined, close: async () => undefined };
  }
}

/** Runs the command with its output passed through, and keeps the last 10 KB of it. */
function runChild(ctx: Context, command: string, args: readonly string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    let tail = '';
    const keep = (text: string) => {
      tail = outputTail(tail + text, OUTPUT_KEEP_BYTES);
    };
    const child = spawn(command, args, { stdio: ['inherit', 'pipe', 'pipe'] });
    const forward = FORWARDED.map((signal) => {
      const handler = () => { child.kill(signal); };
      process.on(signal, handler);
      return () => process.off(signal, handler);
    });
    for (const [stream, write] of [[child.stdout, ctx.io.out], [child.stderr, ctx.io.err]] as const) {
      const decoder = new StringDecoder('utf8');
      stream.on('data', (chunk: Buffer) => {
        const text = decoder.write(chunk);
        write(text);
        keep(text);
      });
    }
    let settled = false;
    const done = (code: number, extra = '') => {
      if (settled) return;
      settled = true;
      for (const off of forward) off();
      if (extra) {
        ctx.io.err(extra);
        keep(extra);
      }
      resolve({ code, output: tail });
    };
    // As a shell reports them: 127 for a command not found, 126 for one not runnable, 128+n for a signal.
    child.on('error', (e: NodeJS.ErrnoException) => done(e.code === 'ENOENT' ? 127 : 126, `dts run: ${command}: ${e.message}\n`));
    child.on('close', (code, signal) => done(code ?? 128 + (signal ? constants.signals[signal] : 0)));
  });
}
