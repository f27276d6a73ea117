import { readFileSync } from 'node:fs';
import type { ScheduledEvent, SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { encodeBody } from '../../lib/wire/codec';
import { TYPE_ATTRIBUTE } from '../../lib/wire/attributes';
import { decodeRecord, receivedAtOf, typeOf } from '../../lib/wire/sqs-record';
import { validateHeartbeat, validateLogBatch, validateLogRecord, type Limits } from '../../lib/wire/validate';

const LIMITS: Limits = { maxFutureSeconds: 86_400, textMaxBytes: 32 * 1024 };
const NOW = Date.UTC(2025, 10, 25, 12, 0, 0);
const data = <T>(name: string): T => JSON.parse(readFileSync(new URL(`../data/${name}`, import.meta.url), 'utf8')) as T;

const typed = (type: string | undefined, body: string) => ({
  body,
  messageAttributes: type === undefined ? {} : { [TYPE_ATTRIBUTE]: { stringValue: type, dataType: 'String' } },
  attributes: { SentTimestamp: String(NOW) },
});

const oneRecord = encodeBody('dts.LogMessage', { app: 'a', hostname: 'h', timestamp: NOW / 1000, level: 20, text: 'one' });
const aBatch = encodeBody('dts.LogBatch', { records: [
  { app: 'a', hostname: 'h', timestamp: NOW / 1000, level: 20, text: 'one' },
  { app: 'a', hostname: 'h', timestamp: NOW / 1000, level: 40, text: 'two' },
] });
const LOGS = ['dts.LogMessage', 'dts.LogBatch'] as const;

describe('SQS record decoding', () => {
  describe('the dts-type attribute picks the message', () => {
    it('without it, the queue’s own message applies (LogMessage on the logs queue)', () => {
      expect(typeOf(typed(undefined, oneRecord), 'dts.LogMessage')).toEqual({ ok: true, value: 'dts.LogMessage' });
      const r = decodeRecord(typed(undefined, oneRecord), 'dts.LogMessage', LOGS);
      expect(r.ok && r.value.type).toBe('dts.LogMessage');
    });

    it('an empty attribute counts as absent', () => {
      expect(typeOf(typed('', oneRecord), 'dts.HeartbeatMessage')).toEqual({ ok: true, value: 'dts.HeartbeatMessage' });
    });

    it('with dts.LogBatch, the body decodes as a batch, not as one record', () => {
      const r = decodeRecord(typed('dts.LogBatch', aBatch), 'dts.LogMessage', LOGS);
      expect(r.ok).toBe(true);
      if (r.ok && r.value.type === 'dts.LogBatch') expect(r.value.message.records.map((m) => m.text)).toEqual(['one', 'two']);
      else expect.fail('expected a LogBatch');
    });

    it('the same batch body without the attribute does not pass as a good LogMessage', () => {
      const r = decodeRecord(typed(undefined, aBatch), 'dts.LogMessage', LOGS);
      if (r.ok && r.value.type === 'dts.LogMessage') expect(validateLogRecord(r.value.message, NOW, LIMITS).ok).toBe(false);
      else expect(r.ok).toBe(false);
    });

    it('also selects the message of a JSON body', () => {
      const r = decodeRecord(typed('dts.LogBatch', '{"records":[{"app":"a","hostname":"h","timestamp":1764072000}]}'), 'dts.LogMessage', LOGS);
      expect(r.ok && r.value.type).toBe('dts.LogBatch');
    });

    it.each(['dts.Bogus', 'LogBatch', 'dts.logbatch', 'toString', '__proto__'])('an unknown type %j is an error naming the attribute', (type) => {
      const r = decodeRecord(typed(type, oneRecord), 'dts.LogMessage', LOGS);
      expect(r).toMatchObject({ ok: false, error: { field: 'dts-type' } });
      if (!r.ok) expect(r.error.reason).toContain(JSON.stringify(type));
    });

    it('a known type this queue does not accept is an error naming the attribute', () => {
      const onHeartbeats = decodeRecord(typed('dts.LogBatch', aBatch), 'dts.HeartbeatMessage', ['dts.HeartbeatMessage']);
      expect(onHeartbeats).toMatchObject({ ok: false, error: { field: 'dts-type' } });
      if (!onHeartbeats.ok) expect(onHeartbeats.error.reason).toMatch(/dts\.LogBatch is not accepted.*dts\.HeartbeatMessage/);
      const notificationOnLogs = decodeRecord(typed('dts.Notification', oneRecord), 'dts.LogMessage', LOGS);
      expect(notificationOnLogs).toMatchObject({ ok: false, error: { field: 'dts-type' } });
    });

    it('a body that cannot decode is an error on the body, whatever the type', () => {
      expect(decodeRecord(typed('dts.LogBatch', 'garbage!'), 'dts.LogMessage', LOGS)).toMatchObject({ ok: false, error: { field: 'body' } });
      expect(decodeRecord(typed(undefined, ''), 'dts.LogMessage', LOGS)).toMatchObject({ ok: false, error: { field: 'body' } });
    });
  });

  describe('receive time is SQS SentTimestamp', () => {
    it('reads SentTimestamp in milliseconds', () => {
      expect(receivedAtOf({ body: '', attributes: { SentTimestamp: '1764072000123' } }, 1)).toBe(1_764_072_000_123);
    });

    it.each([undefined, '', 'abc', '0', '-5'])('falls back when SentTimestamp is %j', (sent) => {
      const record = sent === undefined ? { body: '' } : { body: '', attributes: { SentTimestamp: sent } };
      expect(receivedAtOf(record, 42)).toBe(42);
    });
  });

  describe('recorded events in test/data', () => {
    it('every heartbeat in sqs-event-heartbeats.json decodes and validates at its own SentTimestamp', () => {
      const event = data<SQSEvent>('sqs-event-heartbeats.json');
      expect(event.Records).toHaveLength(4);
      const beats = event.Records.map((record: SQSRecord) => {
        const d = decodeRecord(record, 'dts.HeartbeatMessage', ['dts.HeartbeatMessage']);
        if (!d.ok) throw new Error(`${record.messageId}: ${d.error.field}: ${d.error.reason}`);
        const v = validateHeartbeat(d.value.message, receivedAtOf(record, 0), LIMITS);
        if (!v.ok) throw new Error(`${record.messageId}: ${v.error.field}: ${v.error.reason}`);
        return v.value;
      });
      expect(beats.map((b) => [b.hostname, b.goodbye])).toEqual([['web-1', false], ['db-1', false], ['batch-7', true], ['laptop-ops', false]]);
      expect(beats[0]?.receivedAt).toBe(NOW);
      expect(beats[0]?.sentAt).toBeLessThan(NOW);
      expect(beats[1]?.labels).toEqual({ 'dts.disk.warning': '92', 'dts.disk.critical': '97' });
      expect(beats[2]?.interval).toBe(0);
    });

    it('sqs-event-logs.json holds 1 + 3 + 1 valid records', () => {
      const event = data<SQSEvent>('sqs-event-logs.json');
      const counts = event.Records.map((record) => {
        const d = decodeRecord(record, 'dts.LogMessage', LOGS);
        if (!d.ok) throw new Error(`${record.messageId}: ${d.error.field}: ${d.error.reason}`);
        const at = receivedAtOf(record, 0);
        if (d.value.type === 'dts.LogBatch') {
          const v = validateLogBatch(d.value.message, at, LIMITS);
          return v.ok && v.value.rejected.length === 0 ? v.value.records.length : -1;
        }
        return validateLogRecord(d.value.message, at, LIMITS).ok ? 1 : -1;
      });
      expect(counts).toEqual([1, 3, 1]);
    });

    it('sqs-event-logs-poison.json holds 1 good record and 3 that fail on body, hostname and dts-type', () => {
      const event = data<SQSEvent>('sqs-event-logs-poison.json');
      const outcomes = event.Records.map((record) => {
        const d = decodeRecord(record, 'dts.LogMessage', LOGS);
        if (!d.ok) return d.error.field;
        return d.value.type === 'dts.LogMessage' && validateLogRecord(d.value.message, receivedAtOf(record, 0), LIMITS).ok ? 'ok' : 'invalid';
      });
      expect(outcomes).toEqual(['ok', 'body', 'hostname', 'dts-type']);
    });

    it('scheduled-event.json is an EventBridge scheduled event', () => {
      const event = data<ScheduledEvent>('scheduled-event.json');
      expect(event['detail-type']).toBe('Scheduled Event');
      expect(event.source).toBe('aws.events');
    });
  });
});
