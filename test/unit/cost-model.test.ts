import { describe, expect, it } from 'vitest';
import { estimate, recordsPerMessage, sqsBilled, type MeasuredInputs } from '../../tools/cost/model';
import { ROUND_COUNTS, ROUND_PRICES } from '../support/cost-inputs';
import { BATCH_HOST_CONCURRENCY } from '../../lib/app/ingest/heartbeats';

const prices = ROUND_PRICES;

const measured: MeasuredInputs = {
  ...ROUND_COUNTS,
  // 819.2 B / 4 KiB / 2 (an eventually consistent Scan) = 0.1 read unit per host by AWS's rule,
  // above the 0.05 the engine reported; under 1 KB, one write unit.
  hostItemBytes: 819.2,
  diagnoseReadUnitsPerHost: 0.05,
};

describe('cost model', () => {
  it('prices 1,000 hosts beating every 60 s, no logs, on demand, as computed by hand', () => {
    const e = estimate({
      hosts: 1_000, interval: 60, logRecordsPerHostPerDay: 0, mirrorLogs: false, notificationsPerHostMonth: 0,
      lambdaCpuShare: 0.25, lambdaIoMsPerInvocation: 20,
    }, measured, prices);
    const line = (item: string) => e.lines.find((l) => l.item.startsWith(item));

    // 730 h × 3600 s / 60 s × 1,000 hosts = 43,800,000 beats a month.
    expect(e.derived.beats).toBe(43_800_000);
    // One send each at $0.40 per million: $17.52.
    expect(line('heartbeats: SendMessageBatch')?.dollars).toBeCloseTo(17.52, 6);
    // Receives and deletes, 10 beats a call: 8,760,000 requests, $3.504.
    expect(line('heartbeats: ReceiveMessage')?.quantity).toBeCloseTo(8_760_000, 3);
    // One write unit each at $0.625 per million: $27.375.
    expect(line('hosts: 1 UpdateItem')?.dollars).toBeCloseTo(27.375, 6);
    // 43,800 passes × (1,000 × 0.1 + 1 for the monitor item) = 4,423,800 read units: $0.552975.
    expect(line('diagnose: parallel Scan')?.dollars).toBeCloseTo(0.552975, 6);
    // 1,000 / 60 beats/s fill batches of 16.67 in the 1 s window: 2,628,000 + 43,800 invocations.
    expect(line('requests')?.quantity).toBeCloseTo(2_671_800, 3);
    // Ingest GB-s: 0.25 GB × (2,628,000 × 0.02 s + 43.8 M × 100 µs / 0.25) = 17,520.
    expect(line('duration, ingest')?.quantity).toBeCloseTo(17_520, 6);
    // Diagnose at 1,769 MB (one vCPU): 1.7275 GB × 43,800 × (0.02 + 1,000 × 5 µs) = 1,891.655.
    expect(line('duration, diagnose')?.quantity).toBeCloseTo(1_891.6552734375, 6);
    // Watching the watcher: 9 custom metrics × $0.30, 19 alarms × $0.10, 43,800 EMF lines of 1,200 B.
    expect(line('custom metrics')?.dollars).toBeCloseTo(2.7, 6);
    expect(line('alarms')?.dollars).toBeCloseTo(1.9, 6);
    expect(line('EMF lines')?.dollars).toBeCloseTo(0.02628, 6);

    // The daily report, 730/24 a month: a Scan of 1,000 × 0.1 read units ($0.125 per million), and
    // ⌈1,000 × 210 B / 1 KiB⌉ = 206 write units of detail + 300 for the head ($0.625 per million).
    const report = (730 / 24) * 100 * 0.125e-6 + (730 / 24) * 506 * 0.625e-6;
    expect(line('report (daily)')?.dollars).toBeCloseTo(report, 9);
    // Storage: 1,000 × 819.2 B = 0.0008192 GB-month at $0.25.
    // Diagnose's ingest watermark: a GetQueueAttributes and a canary per pass (2 × 43,800 at $0.40
    // per million: $0.03504), and the monitor item written twice a pass (run, canary): $0.05475.
    expect(line('diagnose: GetQueueAttributes and a canary')?.dollars).toBeCloseTo(0.03504, 6);
    expect(line('diagnose: monitor bookkeeping')?.dollars).toBeCloseTo(0.05475, 6);
    // 17.52 + 3.504 + 0.03504 + 0.5256 + 27.375 + 0.552975 + 0.05475 + 0.0002048 + 0.53436
    // + 0.2336012 + 0.0252222 (Lambda) + 2.7 + 1.9 + 0.02628 (CloudWatch) (+ SNS 0) + report
    expect(e.total).toBeCloseTo(54.9870332 + report, 5);
    expect(e.perHost).toBeCloseTo(0.0549970, 6);
    expect(e.byService.DynamoDB).toBeCloseTo(27.375 + 0.552975 + 0.05475 + 0.0002048 + report, 6);
  });

  it('sizes the write per beat and the scan by the host item, and prices relayed beats at their own CPU', () => {
    const fleet = { hosts: 1_000, interval: 60, mirrorLogs: false, notificationsPerHostMonth: 0, lambdaCpuShare: 0.25, lambdaIoMsPerInvocation: 20 };
    const line = (e: ReturnType<typeof estimate>, item: string) => e.lines.find((l) => l.item.startsWith(item));
    // 1,100 B: over 1 KB, two write units a beat, whatever the engine counted for a smaller item.
    const big = estimate({ ...fleet, hostItemBytes: 1_100 }, measured, prices);
    expect(big.derived.writeUnitsPerBeat).toBe(2);
    expect(line(big, 'hosts: 1 UpdateItem')?.quantity).toBe(87_600_000);
    // 1,024 B is still one unit; the scan reads 1,024 / 8,192 = 0.125 unit a host: 43,800 × 126.
    const kb = estimate({ ...fleet, hostItemBytes: 1_024 }, measured, prices);
    expect(kb.derived.writeUnitsPerBeat).toBe(1);
    expect(line(kb, 'diagnose: parallel Scan')?.quantity).toBe(43_800 * 126);
    // Behind a relay, a beat's CPU is the relayed share of a lone beat's (0.4 × 100 µs): 43,800,000
    // + 43,800 × 2 relays' beats, 0.25 GB × (beats / 32 × 0.02 s + beats × 40 µs / 0.25): a round
    // of 32 writes at once (BATCH_HOST_CONCURRENCY) waits once.
    const relayed = estimate({ ...fleet, relay: { hostsPerRelay: 500, flushSeconds: 10 } }, { ...measured, relayedBeatCpuShare: 0.4 }, prices);
    const beats = 43_800_000 + 87_600;
    expect(relayed.derived.beats).toBe(beats);
    expect(line(relayed, 'duration, ingest')?.quantity).toBeCloseTo(0.25 * (beats / 32 * 0.02 + beats * 40e-6 / 0.25), 3);
    expect(BATCH_HOST_CONCURRENCY).toBe(32);
    // A relay holds a beat within --flush and a third of its interval: 60 s beats with a 20 s flush
    // leave every 20 s (2 relays × 2,628,000 s / 20 = 262,800 sends), 30 s beats every 10 s.
    const sends = (interval: number) => line(estimate({ ...fleet, interval, relay: { hostsPerRelay: 500, flushSeconds: 20 } }, measured, prices), 'heartbeats: SendMessageBatch')?.quantity;
    expect(sends(60)).toBe(262_800);
    expect(sends(30)).toBe(525_600);
  });

  it('prices the logs function at its own memory, with its CPU share, apart from the heartbeats function', () => {
    // 1,000 hosts × 86,400 records a day: 1 a second each, 2 per message with the 1 s linger.
    const e = estimate({
      hosts: 1_000, interval: 60, logRecordsPerHostPerDay: 86_400, mirrorLogs: false, notificationsPerHostMonth: 0,
      lambdaCpuShare: 0.25, lambdaIoMsPerInvocation: 20, logsMemoryMb: 1769,
    }, { ...measured, cpuMicrosPerLogRecord: 50 }, prices);
    const logs = e.lines.find((l) => l.item.startsWith('duration, ingest logs'));
    expect(logs?.item).toContain('1769 MB');
    // 1769/1024 GB × (invocations × 0.02 s + records × 50 µs at one vCPU).
    const expected = (1769 / 1024) * (e.derived.logInvocations as number * 0.02 + (e.derived.records as number) * 50e-6);
    expect(logs?.quantity).toBeCloseTo(expected, 6);
    expect(e.derived.logsGbSeconds).toBeCloseTo(expected, 6);
  });

  it('bills SQS by 64 KiB chunk and batches log records by the linger', () => {
    expect(sqsBilled(10, 65_536, 65_536)).toBe(10);
    expect(sqsBilled(10, 65_537, 65_536)).toBe(20);
    expect(sqsBilled(10, 100, 65_536)).toBe(10);
    // 86,400 records a day = 1 a second: a 1 s linger gathers 2; a full message caps it.
    expect(recordsPerMessage(86_400, 1, 500)).toBe(2);
    expect(recordsPerMessage(86_400_000, 1, 500)).toBe(500);
  });
});
