/**
 * The dts producer library: `import { Producer } from 'dts'` (or `createProducer`).
 *
 *   const producer = new Producer({ app: 'billing' });   // queues from DTS_*_QUEUE_URL
 *   producer.log({ level: 'error', text: 'card declined', fields: { order: '42' } });
 *   await producer.heartbeat({ cpu: { percent: 12 } });
 *   await producer.close();
 */
export { createProducer, Producer, PRODUCER_NAME, PRODUCER_VERSION } from './producer';
export type { DropEvent, FlushResult, HeartbeatResult, ProducerApi, ProducerOptions, ProducerStats } from './producer';
export type { HeartbeatSample } from './heartbeat';
export type { LevelInput, LogInput } from './record';
export { parseLevel } from './record';
export { locateBackend, BackendError } from './locate';
export type { Backend, LocateOptions } from './locate';
