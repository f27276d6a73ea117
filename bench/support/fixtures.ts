/** The messages the benchmarks push through: shaped like the agent's, sized like a real fleet's. */
import { randomBytes } from 'node:crypto';
import type { dts } from '../../lib/wire/generated/dts.js';

export function hostnameOf(i: number): string {
  return `host-${String(i).padStart(7, '0')}.prod.example.com`;
}

/** A heartbeat as the agent sends it: every sample filled in, three labels. */
export function heartbeat(i: number, atSeconds: number): dts.HeartbeatMessage.$Properties {
  return {
    hostname: hostnameOf(i),
    timestamp: atSeconds,
    interval: 60,
    cpu: { percent: 23.5 + (i % 40), cores: 8, load1: 1.25, load5: 1.1, load15: 0.9 },
    mem: { percent: 41.2, total: 16_777_216_000, used: 6_912_212_992, available: 9_865_003_008 },
    disk: { percent: 55.1, total: 512_110_190_592, used: 282_172_715_008, mount: '/' },
    labels: { env: 'prod', role: i % 2 ? 'web' : 'worker', region: 'eu-west-1' },
    goodbye: false,
    agent: { name: 'dts-agent', version: '0.1.0' },
    uptime: 1_234_567 + i,
  };
}

const WORDS = 'request served user order payment cache miss retry upstream latency queue worker job done failed ok'.split(' ');

/** Text of about `bytes` UTF-8 bytes. */
export function text(bytes: number, seed: number): string {
  let s = `seq=${seed}`;
  let k = seed;
  while (s.length < bytes) s += ` ${WORDS[(k = (k * 31 + 7) % WORDS.length)]}`;
  return s.slice(0, bytes);
}

/** A log record as the producer sends it: its id set once, two structured fields. */
export function logRecord(i: number, atSeconds: number, textBytes = 200, app = 'api'): dts.LogMessage.$Properties {
  return {
    app,
    hostname: hostnameOf(i % 1000),
    timestamp: atSeconds + i / 1e6,
    level: [20, 20, 20, 30, 40][i % 5] as number,
    text: text(textBytes, i),
    fields: { request_id: randomBytes(8).toString('hex'), path: '/v1/orders' },
    id: randomBytes(16).toString('base64url'),
  };
}
