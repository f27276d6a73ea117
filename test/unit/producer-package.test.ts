/** The producer is what the package exports: `import { createProducer } from 'dts'`. */
import { describe, expect, it } from 'vitest';
import * as dts from 'dts';

describe('the package entry', () => {
  it('exports the producer library and the backend locator', () => {
    expect(typeof dts.createProducer).toBe('function');
    expect(typeof dts.locateBackend).toBe('function');
    expect(dts.parseLevel('warning')).toBe(30);
    const p = dts.createProducer({ logsQueueUrl: 'http://127.0.0.1:9/000000000000/q', flushOnExit: false, region: 'us-east-1', warn: () => {} });
    expect(p.stats()).toMatchObject({ accepted: 0, buffered: 0 });
  });
});
