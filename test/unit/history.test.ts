/** The 24-hour history: which slot a beat writes, how a slot is packed, and what readers make of the ring. */
import { describe, expect, it } from 'vitest';
import { runAgent } from '../../lib/agent/agent';
import { HourPeakMeter } from '../../lib/agent/hour-peaks';
import type { Beat, HourPeaks } from '../../lib/domain/model';
import { heartbeatMessage, type HeartbeatSample } from '../../lib/producer/heartbeat';
import type { Producer } from '../../lib/producer/producer';
import { packBeats } from '../../lib/relay/forwarder';
import { beatOf } from '../../lib/relay/server';
import { historyAt, HOUR_MS, slotOf } from '../../lib/domain/host/history';
import { decodeSlot, encodeSlot, slotAttribute, slotsOf } from '../../lib/domain/host/hour-ring';
import { decodeBody, encodeBody } from '../../lib/wire/codec';
import { dts } from '../../lib/wire/generated/dts.js';
import { validateHeartbeat } from '../../lib/wire/validate';

const H = Math.floor(Date.UTC(2026, 11, 1, 10, 0, 0) / HOUR_MS); // 10:00 UTC, in epoch hours
const AT = H * HOUR_MS + 20 * 60_000; // 10:20
const beat = (over: Partial<Beat> = {}): Beat => ({
  hostname: 'web-1', receivedAt: AT, sentAt: AT, interval: 60, labels: {}, goodbye: false,
  cpu: { percent: 30 }, mem: { percent: 40 }, disk: { percent: 50 }, ...over,
});

describe('the slot a beat writes', () => {
  it('takes the sender\'s peaks of the hour, never below the beat\'s own readings', () => {
    expect(slotOf(beat({ hourPeaks: { hour: H, cpu: 91, mem: 20 } }))).toEqual({ hour: H, cpu: 91, mem: 40, disk: 50 });
  });

  it('without peaks, holds the beat\'s readings in the hour it was received', () => {
    expect(slotOf(beat({ disk: undefined }))).toEqual({ hour: H, cpu: 30, mem: 40 });
  });

  it('ignores peaks of another hour than the beat\'s own timestamp', () => {
    expect(slotOf(beat({ hourPeaks: { hour: H - 1, cpu: 99 } }))).toEqual({ hour: H, cpu: 30, mem: 40, disk: 50 });
  });

  it('keeps a clock a few minutes ahead in its own hour, and moves one hours off by whole hours', () => {
    // At 10:58 on the monitor, an agent 3 minutes ahead is in its 11:00 hour: slot 11, so hour 10 keeps its peak.
    const late = H * HOUR_MS + 58 * 60_000;
    expect(slotOf(beat({ receivedAt: late, sentAt: late + 180_000, hourPeaks: { hour: H + 1, cpu: 5 } }))?.hour).toBe(H + 1);
    expect(slotOf(beat({ sentAt: AT + 3 * HOUR_MS, hourPeaks: { hour: H + 3, cpu: 5 } }))?.hour).toBe(H);
  });

  it('writes nothing for a beat with no reading', () => {
    expect(slotOf(beat({ cpu: undefined, mem: undefined, disk: undefined, hourPeaks: { hour: H, cpu: 50 } }))).toBeUndefined();
  });
});

describe('a slot in the item', () => {
  it('packs hour and whole percents into one number and back; 999 marks a missing reading', () => {
    const n = encodeSlot({ hour: H, cpu: 99.6, mem: 0, disk: undefined });
    expect(n).toBe(H * 1e9 + 100 * 1e6 + 0 * 1e3 + 999);
    expect(decodeSlot(n)).toEqual({ hour: H, cpu: 100, mem: 0 });
    expect(Number.isSafeInteger(encodeSlot({ hour: H + 24 * 365 * 900, cpu: 100, mem: 100, disk: 100 }))).toBe(true);
  });

  it('is read only from the attribute its hour maps to, sorted by hour', () => {
    const a = encodeSlot({ hour: H, cpu: 1 });
    const b = encodeSlot({ hour: H - 1, cpu: 2 });
    const item = { hostname: 'x', [slotAttribute(H)]: a, [slotAttribute(H - 1)]: b, h99: a, [slotAttribute(H + 5)]: a };
    expect(slotsOf(item)).toEqual([{ hour: H - 1, cpu: 2 }, { hour: H, cpu: 1 }]);
  });
});

describe('the history readers get', () => {
  it('has 24 hours ending with now\'s, null where nothing is known, and ignores stale and future slots', () => {
    const now = H * HOUR_MS + 5 * 60_000;
    const h = historyAt([
      { hour: H - 24, cpu: 77 }, // the slot this hour reuses, from yesterday: stale
      { hour: H - 23, cpu: 10, mem: 20, disk: 30 },
      { hour: H - 1, cpu: 60 },
      { hour: H, cpu: 5, disk: 31 },
      { hour: H + 1, cpu: 99 }, // from a clock ahead: shown when its hour comes
    ], now);
    expect(h.from).toBe((H - 23) * HOUR_MS);
    expect(h.cpu).toHaveLength(24);
    expect(h.cpu[0]).toBe(10);
    expect(h.cpu[22]).toBe(60);
    expect(h.cpu[23]).toBe(5);
    expect(h.cpu.filter((v) => v !== null)).toEqual([10, 60, 5]);
    expect(h.mem.filter((v) => v !== null)).toEqual([20]);
    expect(h.disk[23]).toBe(31);
  });
});

describe('the agent\'s running peaks', () => {
  it('keep the highest of each resource within an hour and start over with the next', () => {
    const m = new HourPeakMeter();
    const t = H * HOUR_MS;
    m.observe({ cpu: { percent: 20 }, mem: { percent: 50 } }, t + 60_000);
    m.observe({ cpu: { percent: 85 }, mem: { percent: 40 } }, t + 120_000);
    expect(m.observe({ cpu: { percent: 10 }, mem: { percent: 45 }, disk: { percent: 7 } }, t + 180_000)).toEqual({ hour: H, cpu: 85, mem: 50, disk: 7 });
    expect(m.observe({ cpu: { percent: 3 } }, t + HOUR_MS)).toEqual({ hour: H + 1, cpu: 3 });
  });
});

describe('hourPeaks on the wire', () => {
  it('travels in a HeartbeatMessage, in protobuf and in the JSON mapping, and validates into the beat', () => {
    const message = heartbeatMessage(
      { cpu: { percent: 30 }, timestamp: AT / 1000, hourPeaks: { hour: H, cpu: 88.5, disk: 12 } },
      { hostname: 'web-1', interval: 60, labels: {}, agent: { name: 'dts-agent', version: '1' } },
    );
    for (const body of [encodeBody('dts.HeartbeatMessage', message), JSON.stringify({ hostname: 'web-1', timestamp: AT / 1000, hourPeaks: { hour: H, cpu: 88.5, disk: 12 } })]) {
      const decoded = decodeBody('dts.HeartbeatMessage', body) as { ok: boolean; value: dts.HeartbeatMessage };
      expect(decoded.ok).toBe(true);
      const valid = validateHeartbeat(decoded.value, AT + 1000, { maxFutureSeconds: 86_400, textMaxBytes: 1024 });
      expect(valid.ok && valid.value.hourPeaks).toEqual({ hour: H, cpu: 88.5, disk: 12 });
    }
  });

  it('passes through a relay: read from its JSON body, packed into a HeartbeatBatch, decoded intact', () => {
    const beat = beatOf(JSON.stringify({ hostname: 'web-1', timestamp: AT / 1000, cpu: { percent: 30 }, hourPeaks: { hour: H, cpu: 77 } }), new URLSearchParams());
    const [message] = packBeats([{ hostname: 'web-1', receivedAt: AT, beat }], 'relay-1');
    const decoded = decodeBody('dts.HeartbeatBatch', message?.body ?? '');
    expect(decoded.ok && decoded.value.beats[0]?.beat?.hourPeaks).toMatchObject({ hour: H, cpu: 77 });
  });

  it('refuses a peak that is not a percent, naming the field', () => {
    const m = dts.HeartbeatMessage.create({ hostname: 'web-1', timestamp: AT / 1000, hourPeaks: { hour: H, mem: 140 } });
    const r = validateHeartbeat(m, AT, { maxFutureSeconds: 86_400, textMaxBytes: 1024 });
    expect(r.ok ? 'ok' : r.error.field).toBe('hourPeaks.mem');
  });
});

describe('the agent', () => {
  it('sends its running peaks of the hour with every beat, the goodbye included', async () => {
    const sent: HeartbeatSample[] = [];
    let stop: (s: 'stop') => void = () => {};
    const producer = {
      heartbeat: async (s: HeartbeatSample) => {
        sent.push(s);
        if (sent.length === 3) stop('stop');
        return { ok: true as const };
      },
      log: () => {},
      close: async () => ({ ok: true, buffered: 0 }),
    };
    const code = await runAgent({
      producer: producer as unknown as Producer, interval: 0.02, mounts: ['/'], jitter: 0, tails: [], level: 'INFO', detectLevel: false,
      say: () => {}, stop: new Promise((resolve) => { stop = resolve; }),
    });
    expect(code).toBe(0);
    expect(sent.length).toBeGreaterThanOrEqual(4);
    expect(sent.at(-1)?.goodbye).toBe(true);
    let highest: Record<string, number> = {};
    let hour: number | undefined;
    for (const s of sent) {
      const peaks = s.hourPeaks as HourPeaks;
      expect(peaks.hour).toBe(Math.floor((s.timestamp as number) / 3600));
      if (peaks.hour !== hour) highest = {};
      hour = peaks.hour;
      for (const r of ['cpu', 'mem', 'disk'] as const) {
        const v = s[r]?.percent;
        if (v === undefined) continue;
        highest[r] = Math.max(highest[r] ?? 0, v);
        expect(peaks[r]).toBe(highest[r]);
      }
    }
  });
});
