// The protobuf JSON mapping at its edges, and the truncation marker's arithmetic.
import { describe, expect, it } from 'vitest';
import { decodeBody } from '../../lib/wire/codec';
import { truncateText } from '../../lib/wire/validate';

describe('JSON bodies and truncation at their edges', () => {
  it.each([
    ['{"hostname":"h","cpu":5}', 'cpu'],
    ['{"hostname":"h","agent":"dts-agent"}', 'agent'],
    ['{"hostname":"h","mem":[1]}', 'mem'],
  ])('codec: %s names the field ', (body, field) => {
    expect(decodeBody('dts.HeartbeatMessage', body)).toMatchObject({ ok: false, error: { field } });
  });

  it('codec: records:[5] in a LogBatch names the record', () => {
    expect(decodeBody('dts.LogBatch', '{"records":[5]}')).toMatchObject({ ok: false, error: { field: 'records[0]' } });
  });

  it.each([
    ['{"hostname":"h","timestamp":"1764072000.5"}', 'timestamp', 1764072000.5],
    ['{"hostname":"h","timestamp":1764072000,"interval":"60"}', 'interval', 60],
    ['{"hostname":"h","timestamp":1764072000,"cpu":{"percent":"12.5"}}', 'cpu', 12.5],
  ])('codec: the proto3 JSON mapping accepts numbers as strings: %s', (body, key, value) => {
    const r = decodeBody('dts.HeartbeatMessage', body);
    expect(r.ok).toBe(true);
    if (r.ok) {
      const got = key === 'cpu' ? r.value.cpu?.percent : (r.value as unknown as Record<string, unknown>)[key];
      expect(got).toBe(value);
    }
  });

  it('codec: a uint32 out of range in JSON is an error, not wrapped into a plausible value', () => {
    expect(decodeBody('dts.HeartbeatMessage', '{"hostname":"h","timestamp":1764072000,"interval":-4294967236}').ok).toBe(false);
  });

  it.each([
    ['a' + '€'.repeat(10), 30, 3],
    ['😀😀', 5, 4],
    ['é'.repeat(10), 5, 16],
  ])('truncateText(%j, %d): the marker counts the bytes actually dropped (%d)', (text, cap, dropped) => {
    const out = truncateText(text, cap);
    const kept = out.slice(0, out.indexOf(' …['));
    expect(Buffer.byteLength(text) - Buffer.byteLength(kept)).toBe(dropped);
    expect(out).toContain(`[truncated ${dropped} bytes]`);
  });
});

describe('the JSON mapping of special numbers', () => {
  it('reads "NaN" as NaN, which validation then rejects by name', () => {
    const r = decodeBody('dts.HeartbeatMessage', '{"hostname":"h","timestamp":"NaN"}');
    expect(r.ok && Number.isNaN(r.value.timestamp)).toBe(true);
  });

  it('rejects a non-numeric string for a number, naming the field', () => {
    expect(decodeBody('dts.HeartbeatMessage', '{"hostname":"h","cpu":{"percent":"lots"}}'))
      .toMatchObject({ ok: false, error: { field: 'cpu.percent' } });
  });

  it('rejects a fractional integer', () => {
    expect(decodeBody('dts.LogMessage', '{"app":"a","level":20.5}')).toMatchObject({ ok: false, error: { field: 'level' } });
  });

  it('names the index of a bad record in a JSON batch', () => {
    expect(decodeBody('dts.LogBatch', '{"records":[{"app":"a"},{"app":"b","timestamp":"soon"}]}'))
      .toMatchObject({ ok: false, error: { field: 'records[1].timestamp' } });
  });
});
