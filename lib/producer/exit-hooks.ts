/**
 * Flush every live producer when the program ends, without taking the end away from it.
 *
 * - `beforeExit` (the event loop ran dry): flush; a flush that failed is not retried there, or
 *   a dead queue would keep the program alive forever.
 * - SIGTERM / SIGINT: flush. If the program listens for the signal itself, its handler decides
 *   what happens next; if ours is the only listener, the signal is raised again once the flush
 *   is over, so the program dies of it exactly as it would have without us.
 * - `exit`: too late to send; say how many records were lost.
 */
export interface Flushable {
  /** Resolves true when nothing is left to send. */
  flushForExit(timeoutMs: number): Promise<boolean>;
  /** Records still buffered at exit. */
  unsent(): number;
  warn(message: string): void;
}

const live = new Set<Flushable>();
const SIGNALS = ['SIGTERM', 'SIGINT'] as const;
let beforeExitFailed = false;
let signalled = false;
let timeoutMs = 5000;

async function flushAll(): Promise<boolean> {
  const results = await Promise.all([...live].map((p) => p.flushForExit(timeoutMs).catch(() => false)));
  return results.every(Boolean);
}

function onBeforeExit(): void {
  if (beforeExitFailed || ![...live].some((p) => p.unsent() > 0)) return;
  void flushAll().then((ok) => {
    if (!ok) beforeExitFailed = true;
  });
}

function onSignal(signal: NodeJS.Signals): void {
  const alone = process.listenerCount(signal) === 1;
  if (signalled) {
    // A second signal while flushing: stop waiting.
    if (alone) reraise(signal);
    return;
  }
  signalled = true;
  void flushAll().finally(() => {
    signalled = false;
    if (alone) reraise(signal);
  });
}

function onExit(): void {
  for (const p of live) {
    const n = p.unsent();
    if (n > 0) p.warn(`${n} log record(s) were not sent before exit`);
  }
}

function reraise(signal: NodeJS.Signals): void {
  uninstall();
  process.kill(process.pid, signal);
}

function install(): void {
  process.on('beforeExit', onBeforeExit);
  process.on('exit', onExit);
  for (const s of SIGNALS) process.on(s, onSignal);
}

function uninstall(): void {
  process.off('beforeExit', onBeforeExit);
  process.off('exit', onExit);
  for (const s of SIGNALS) process.off(s, onSignal);
}

/** Flush `p` when the program ends; returns the function that stops doing so. */
export function flushOnExit(p: Flushable, flushTimeoutMs: number): () => void {
  timeoutMs = flushTimeoutMs;
  if (live.size === 0) install();
  live.add(p);
  return () => {
    if (!live.delete(p)) return;
    if (live.size === 0) uninstall();
  };
}
