/**
 * The producer's memory bound: a FIFO of encoded records limited by count and by bytes. Pushing
 * past either limit drops the oldest records, because during an outage the newest lines are the
 * ones an operator will want, and a logging library must never block or grow without bound.
 */
import { framedLength } from './limits';

export interface BufferLimits {
  readonly maxRecords: number;
  readonly maxBytes: number;
}

export class RecordBuffer {
  private items: Uint8Array[] = [];
  private head = 0;
  private byteCount = 0;
  private framedCount = 0;

  constructor(private readonly limits: BufferLimits) {}

  get length(): number {
    return this.items.length - this.head;
  }

  get bytes(): number {
    return this.byteCount;
  }

  /** The bytes these records would take in one LogBatch, framing included. */
  get framedBytes(): number {
    return this.framedCount;
  }

  /** The i-th oldest record. */
  at(i: number): Uint8Array | undefined {
    return this.items[this.head + i];
  }

  /** Append a record; returns how many of the oldest records were dropped to make room. */
  push(record: Uint8Array): number {
    this.items.push(record);
    this.count(record, 1);
    return this.enforce();
  }

  /**
   * Put records that could not be sent back at the front, in their order. They are the oldest,
   * so they are the first to go if that overflows the bound; returns how many were dropped.
   */
  unshift(records: readonly Uint8Array[]): number {
    this.compact();
    this.items = [...records, ...this.items];
    for (const r of records) this.count(r, 1);
    return this.enforce();
  }

  peek(): Uint8Array | undefined {
    return this.items[this.head];
  }

  shift(): Uint8Array | undefined {
    if (this.head >= this.items.length) return undefined;
    const r = this.items[this.head] as Uint8Array;
    this.items[this.head] = EMPTY;
    this.head++;
    this.count(r, -1);
    if (this.head > 1024 && this.head * 2 > this.items.length) this.compact();
    return r;
  }

  clear(): number {
    const n = this.length;
    this.items = [];
    this.head = 0;
    this.byteCount = 0;
    this.framedCount = 0;
    return n;
  }

  private count(r: Uint8Array, sign: 1 | -1): void {
    this.byteCount += sign * r.length;
    this.framedCount += sign * framedLength(r.length);
  }

  private enforce(): number {
    let dropped = 0;
    while (this.length > 0 && (this.length > this.limits.maxRecords || this.byteCount > this.limits.maxBytes)) {
      this.shift();
      dropped++;
    }
    return dropped;
  }

  private compact(): void {
    if (this.head === 0) return;
    this.items = this.items.slice(this.head);
    this.head = 0;
  }
}

const EMPTY = new Uint8Array(0);
