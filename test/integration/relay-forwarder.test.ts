/**
 * The relay's forwarder while SQS is down and when it comes back, through the local cloud's
 * fault injection: every beat is kept and sent once SQS answers, and the relay's log tells the
 * outage once a minute, not once per flush.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BeatBuffer, type BufferedBeat } from '../../lib/relay/beat-buffer';
import { FAILURE_REPORT_MS, Forwarder } from '../../lib/relay/forwarder';
import { decodeBody } from '../../lib/wire/codec';
import { startTestCloud, type TestCloud } from '../../tools/harness/cloud';
import { drain } from '../support/then';

let cloud: TestCloud;
beforeAll(async () => {
  cloud = await startTestCloud();
}, 120_000);
afterAll(async () => cloud?.stop());

const beat = (hostname: string, receivedAt: number): BufferedBeat => ({ hostname, receivedAt, beat: { hostname, interval: 60, labels: {} } });

describe('the relay while SQS is down', () => {
  it('keeps every beat, tells the outage once a minute with a count, and says when it sends again', async () => {
    const said: string[] = [];
    let clock = Date.now();
    const buffer = new BeatBuffer(1_000, 10 * 60_000);
    const forwarder = new Forwarder({
      sqs: cloud.clients.sqs, queueUrl: cloud.names.heartbeatsQueueUrl, buffer, relay: 'relay-under-test',
      retry: { maxAttempts: 1 }, say: (line) => said.push(line), now: () => clock,
    });
    cloud.faults.add('sqs:SendMessageBatch=5xx');
    // Two minutes of flushes every 2 s, SQS down throughout; a host beats before each.
    for (let i = 0; i < 60; i++) {
      buffer.push(beat(`h${i % 3}`, clock));
      await forwarder.flush();
      clock += 2_000;
    }
    expect(forwarder.stats.failedFlushes).toBe(60);
    // Told at once, then once per FAILURE_REPORT_MS with the count; not sixty lines.
    expect(said).toHaveLength(1 + Math.floor((60 * 2_000 - 2_000) / FAILURE_REPORT_MS));
    expect(said[0]).toMatch(/^could not send 1 beat\(s\), kept for the next flush: /);
    expect(said[1]).toMatch(/^could not send 31 beat\(s\), kept for the next flush: .*\(30 failed flushes in the last 60 s\)$/);

    cloud.faults.clear();
    await forwarder.flush();
    expect(said.at(-1)).toMatch(/^sending again: \d+ more failed flush\(es\) since the last report, 120 s without SQS$/);
    const sent = (await drain(cloud, cloud.names.heartbeatsQueueUrl)).flatMap((m) => {
      const body = decodeBody('dts.HeartbeatBatch', m.Body ?? '');
      return body.ok ? body.value.beats.map((b) => b.beat?.hostname) : [];
    });
    expect(sent).toHaveLength(60);
    expect(forwarder.stats.sent).toBe(60);
  });
});
