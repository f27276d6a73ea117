import { describe, expect, it } from 'vitest';
import type { MetricLevel } from '../../lib/domain/model';
import { cpuLevel, extendsCpuStreak, isWorse, rawLevel, metricLevel, thresholdsFor, type Thresholds } from '../../lib/domain/host/metrics';

const CPU: Thresholds = { warning: 85, critical: 95 };
const DISK: Thresholds = { warning: 80, critical: 90 };
const MARGIN = 5;

describe('resource levels', () => {
  describe('raw level of a reading with no history', () => {
    it.each<[number, MetricLevel]>([
      [0, 'ok'],
      [84.99, 'ok'],
      [85, 'warning'],
      [94.99, 'warning'],
      [95, 'critical'],
      [100, 'critical'],
    ])('cpu %d%% (85/95) is %s', (percent, level) => {
      expect(rawLevel(percent, CPU)).toBe(level);
    });

    it.each<[number, MetricLevel]>([
      [79.99, 'ok'],
      [80, 'warning'],
      [89.99, 'warning'],
      [90, 'critical'],
    ])('disk %d%% (80/90) is %s', (percent, level) => {
      expect(rawLevel(percent, DISK)).toBe(level);
    });
  });

  describe('escalation is immediate', () => {
    it.each<[MetricLevel, number, MetricLevel]>([
      ['ok', 85, 'warning'],
      ['ok', 95, 'critical'],
      ['ok', 100, 'critical'],
      ['warning', 95, 'critical'],
    ])('from %s, a reading of %d%% gives %s', (prev, percent, next) => {
      expect(metricLevel(prev, percent, CPU, MARGIN)).toBe(next);
    });

    it('stays ok below the warning threshold', () => {
      expect(metricLevel('ok', 84.99, CPU, MARGIN)).toBe('ok');
    });
  });

  describe('hysteresis: a level clears only below its threshold minus the margin', () => {
    describe('from critical (95, margin 5: holds down to 90)', () => {
      it.each<[number, MetricLevel]>([
        [94.99, 'critical'],
        [90.01, 'critical'],
        [90, 'critical'],
        [89.99, 'warning'],
        [85, 'warning'],
        [80, 'warning'],
        [79.99, 'ok'],
        [0, 'ok'],
      ])('a reading of %d%% gives %s', (percent, next) => {
        expect(metricLevel('critical', percent, CPU, MARGIN)).toBe(next);
      });
    });

    describe('from warning (85, margin 5: holds down to 80)', () => {
      it.each<[number, MetricLevel]>([
        [84.99, 'warning'],
        [80.01, 'warning'],
        [80, 'warning'],
        [79.99, 'ok'],
        [10, 'ok'],
        [94.99, 'warning'],
      ])('a reading of %d%% gives %s', (percent, next) => {
        expect(metricLevel('warning', percent, CPU, MARGIN)).toBe(next);
      });
    });

    it('with a margin of 0 clears as soon as the reading is below the threshold', () => {
      expect(metricLevel('critical', 95, CPU, 0)).toBe('critical');
      expect(metricLevel('critical', 94.99, CPU, 0)).toBe('warning');
      expect(metricLevel('warning', 85, CPU, 0)).toBe('warning');
      expect(metricLevel('warning', 84.99, CPU, 0)).toBe('ok');
    });

    it('a reading hovering around the threshold does not flap', () => {
      let level: MetricLevel = 'ok';
      const seen: MetricLevel[] = [];
      for (const p of [86, 84, 86, 83, 85.5, 81, 86]) {
        level = metricLevel(level, p, CPU, MARGIN);
        seen.push(level);
      }
      expect(seen).toEqual(['warning', 'warning', 'warning', 'warning', 'warning', 'warning', 'warning']);
      expect(metricLevel(level, 79, CPU, MARGIN)).toBe('ok');
    });
  });

  describe('cpu sustain: escalates only after N consecutive high beats', () => {
    const SUSTAIN = 3;

    it('counts a reading at or above the warning threshold as high', () => {
      expect(extendsCpuStreak(85, CPU)).toBe(true);
      expect(extendsCpuStreak(99, CPU)).toBe(true);
      expect(extendsCpuStreak(84.99, CPU)).toBe(false);
    });

    it.each([
      [1, 'ok'],
      [2, 'ok'],
      [3, 'critical'],
      [4, 'critical'],
    ] as const)('from ok, a 99%% reading with a streak of %d gives %s', (streak, next) => {
      expect(cpuLevel('ok', 99, streak, CPU, MARGIN, SUSTAIN)).toBe(next);
    });

    it('holds a warning (not critical) until the streak is long enough', () => {
      expect(cpuLevel('warning', 99, 2, CPU, MARGIN, SUSTAIN)).toBe('warning');
      expect(cpuLevel('warning', 99, 3, CPU, MARGIN, SUSTAIN)).toBe('critical');
    });

    it('clears without waiting for any streak', () => {
      expect(cpuLevel('critical', 10, 0, CPU, MARGIN, SUSTAIN)).toBe('ok');
      expect(cpuLevel('critical', 89, 0, CPU, MARGIN, SUSTAIN)).toBe('warning');
    });

    it('keeps hysteresis when clearing', () => {
      expect(cpuLevel('critical', 90, 0, CPU, MARGIN, SUSTAIN)).toBe('critical');
      expect(cpuLevel('warning', 80, 0, CPU, MARGIN, SUSTAIN)).toBe('warning');
    });

    it('with sustain 1 behaves like any other resource', () => {
      expect(cpuLevel('ok', 95, 1, CPU, MARGIN, 1)).toBe('critical');
      expect(cpuLevel('ok', 85, 1, CPU, MARGIN, 1)).toBe('warning');
    });
  });

  describe('severity order', () => {
    it('ranks critical over warning over ok, strictly', () => {
      expect(isWorse('critical', 'warning')).toBe(true);
      expect(isWorse('warning', 'ok')).toBe(true);
      expect(isWorse('critical', 'ok')).toBe(true);
      expect(isWorse('ok', 'warning')).toBe(false);
      expect(isWorse('warning', 'warning')).toBe(false);
    });
  });
});

describe('per-host thresholds from labels dts.<resource>.warning / .critical', () => {
  it('uses the defaults and reports nothing when no label is set', () => {
    expect(thresholdsFor('disk', { env: 'prod' }, DISK)).toEqual({ thresholds: DISK, problems: [] });
  });

  it('overrides both thresholds of the named resource', () => {
    const labels = { 'dts.disk.warning': '92', 'dts.disk.critical': '97' };
    expect(thresholdsFor('disk', labels, DISK)).toEqual({ thresholds: { warning: 92, critical: 97 }, problems: [] });
  });

  it('overrides one threshold and keeps the other default', () => {
    expect(thresholdsFor('cpu', { 'dts.cpu.critical': '99' }, CPU).thresholds).toEqual({ warning: 85, critical: 99 });
    expect(thresholdsFor('cpu', { 'dts.cpu.warning': '50' }, CPU).thresholds).toEqual({ warning: 50, critical: 95 });
  });

  it('does not apply one resource’s labels to another', () => {
    const labels = { 'dts.disk.warning': '92', 'dts.disk.critical': '97' };
    expect(thresholdsFor('mem', labels, CPU)).toEqual({ thresholds: CPU, problems: [] });
    expect(thresholdsFor('cpu', labels, CPU)).toEqual({ thresholds: CPU, problems: [] });
  });

  it('accepts the bounds 0 and 100 and decimals', () => {
    expect(thresholdsFor('mem', { 'dts.mem.warning': '0', 'dts.mem.critical': '100' }, CPU).thresholds).toEqual({ warning: 0, critical: 100 });
    expect(thresholdsFor('mem', { 'dts.mem.warning': '87.5' }, CPU).thresholds).toEqual({ warning: 87.5, critical: 95 });
  });

  it.each(['abc', '', '   ', '101', '-1', 'NaN', 'Infinity', '90%'])(
    'ignores the invalid label value %j, keeps the default and names the label in a problem',
    (value) => {
      const { thresholds, problems } = thresholdsFor('disk', { 'dts.disk.warning': value }, DISK);
      expect(thresholds).toEqual(DISK);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toContain('dts.disk.warning');
      expect(problems[0]).toContain(JSON.stringify(value));
    },
  );

  it('keeps a valid label when its sibling is invalid', () => {
    const { thresholds, problems } = thresholdsFor('disk', { 'dts.disk.warning': 'x', 'dts.disk.critical': '99' }, DISK);
    expect(thresholds).toEqual({ warning: 80, critical: 99 });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('dts.disk.warning');
  });

  it('falls back to the defaults, with a problem, when labels put critical below warning', () => {
    const { thresholds, problems } = thresholdsFor('cpu', { 'dts.cpu.warning': '90', 'dts.cpu.critical': '70' }, CPU);
    expect(thresholds).toEqual(CPU);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/cpu critical 70 below warning 90/);
  });

  it('falls back when a single label crosses the other default (warning 97 over default critical 95)', () => {
    const { thresholds, problems } = thresholdsFor('cpu', { 'dts.cpu.warning': '97' }, CPU);
    expect(thresholds).toEqual(CPU);
    expect(problems).toHaveLength(1);
  });
});
