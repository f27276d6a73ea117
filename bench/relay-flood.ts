/**
 * The review's flood against the relay (issue 20, finding 3): 1,500 beats of about 61 KB, each
 * under a new name, while SQS is unreachable, so the relay can forward nothing and must hold or
 * refuse. `dts relay` runs as its own process (bin/dts.js, as shipped) and its resident memory
 * is read from /proc while the flood lasts. The bound it must keep: RSS within 2 × --max-bytes
 * plus its baseline (what it uses idle). Loopback only: the relay's SQS is 127.0.0.1:9.
 *
 *   npm run bench:relay-flood [-- --beats 1500 --kb 61 --max-bytes 64M]
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] as string) : fallback;
};
const BEATS = Number(arg('--beats', '1500'));
const KB = Number(arg('--kb', '61'));
const MAX_BYTES = arg('--max-bytes', '64M');
const TOKEN = 'bench-relay-flood-token-0123456789';

const rssMb = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const maxBytesMb = (text: string): number => {
  const m = /^(\d+)([KMG]?)/i.exec(text);
  return (Number(m?.[1]) * 1024 ** ' KMG'.indexOf((m?.[2] || ' ').toUpperCase())) / 1024 ** 2;
};

async function main(): Promise<void> {
  const relay = spawn(process.execPath, [path.join(ROOT, 'bin', 'dts.js'), 'relay', '--listen', '127.0.0.1:0', '--max-bytes', MAX_BYTES, '--flush', '1', '--interval', '60'], {
    env: {
      ...process.env, DTS_RELAY_TOKEN: TOKEN, AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench',
      DTS_HEARTBEATS_QUEUE_URL: 'http://127.0.0.1:9/000000000000/unreachable-heartbeats', DTS_LOGS_QUEUE_URL: 'http://127.0.0.1:9/000000000000/unreachable-logs',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let said = '';
  relay.stderr.on('data', (c: Buffer) => { said += c.toString(); });
  try {
    const started = Date.now();
    let base = '';
    while (!base) {
      if (Date.now() - started > 30_000 || relay.exitCode !== null) throw new Error(`the relay did not start:\n${said}`);
      base = /listening on (http:\/\/[\d.]+:\d+)/.exec(said)?.[1] ?? '';
      await new Promise((r) => setTimeout(r, 50));
    }
    // The baseline is the relay at work, not just started: a few beats taken and forwarded (or not).
    for (let i = 0; i < 50; i++) {
      await (await fetch(`${base}/beat?hostname=warm-${i}&interval=60`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } })).arrayBuffer();
    }
    await new Promise((r) => setTimeout(r, 2000));
    const baseline = rssMb(relay.pid as number);
    let peak = baseline;
    const sampler = setInterval(() => { peak = Math.max(peak, rssMb(relay.pid as number)); }, 20);
    const labels = Object.fromEntries(Array.from({ length: Math.min(64, KB) }, (_, i) => [`k${i}`, 'x'.repeat(Math.floor((KB * 1024) / Math.min(64, KB)) - 20)]));
    const statuses: Record<number, number> = {};
    const t0 = Date.now();
    // Eight senders at once, as a flood would be.
    let next = 0;
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (next < BEATS) {
        const i = next++;
        const body = JSON.stringify({ hostname: `flood-${i}`, interval: 60, labels });
        const res = await fetch(`${base}/beat`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body });
        await res.arrayBuffer();
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      }
    }));
    const floodMs = Date.now() - t0;
    await new Promise((r) => setTimeout(r, 2000));
    clearInterval(sampler);
    const stats = await (await fetch(`${base}/stats`, { headers: { authorization: `Bearer ${TOKEN}` } })).json() as { buffered: number; bufferedBytes: number; dropped: unknown };
    const bound = 2 * maxBytesMb(MAX_BYTES) + baseline;
    const result = {
      beats: BEATS, beatKb: KB, maxBytes: MAX_BYTES, floodMs, statuses, buffered: stats.buffered, bufferedMb: +(stats.bufferedBytes / 1024 ** 2).toFixed(1),
      rssBaselineMb: +baseline.toFixed(0), rssPeakMb: +peak.toFixed(0), boundMb: +bound.toFixed(0), withinBound: peak <= bound,
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    if (!result.withinBound) process.exitCode = 1;
  } finally {
    relay.kill('SIGTERM');
  }
}

await main();
