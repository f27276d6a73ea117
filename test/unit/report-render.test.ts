import { describe, expect, it } from 'vitest';
import { buildReport } from '../../lib/rules/report';
import { notification } from '../../lib/rules/notifications';
import { renderHtml, renderMarkdown, reportSubject } from '../../lib/service/render-report';

const H = 3_600_000;
const UNTIL = Date.UTC(2026, 10, 25, 8, 0, 0);
const report = buildReport({
  since: UNTIL - 24 * H, until: UNTIL, generatedAt: UNTIL,
  hosts: [{
    hostname: 'web-<1>', state: 'alive', stateSince: 0, lastBeat: UNTIL, sentAt: UNTIL, skewMs: 0, interval: 60, labels: {},
    levels: { cpu: 'ok', mem: 'ok', disk: 'ok' }, cpuStreak: 0, firstSeen: 0, dailyPeaks: { '2026-11-25': { cpu: 91 } },
  }],
  notifications: [
    notification('web-<1>', 'host-down', 'critical', UNTIL - 3 * H, '', { lastBeat: new Date(UNTIL - 3 * H - 180_000).toISOString() }),
    notification('web-<1>', 'host-recovered', 'info', UNTIL - 2 * H, '', { outageStart: new Date(UNTIL - 3 * H - 180_000).toISOString() }),
  ],
  appCounts: [{ app: 'a|b', day: '2026-11-25', error: 3, critical: 1 }],
});

describe('report renderings', () => {
  it('Markdown: a title with the period, and a table per section', () => {
    const md = renderMarkdown(report);
    expect(md).toMatch(/^# dts fleet report 2026-11-25T08:00Z\n\nPeriod: 2026-11-24T08:00:00Z to 2026-11-25T08:00:00Z \(1d\)/);
    expect(md).toContain('| web-<1> | 2026-11-25T04:57:00Z | 2026-11-25T06:00:00Z | 1h 3m |');
    expect(md).toContain('| a\\|b | 3 | 1 |');
    expect(md).toContain('| web-<1> | 91% | – | – |');
  });

  it('HTML: self-contained (inline style, no script, no external resource) and escaped', () => {
    const html = renderHtml(report);
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<style>');
    expect(html).not.toMatch(/<script|<link|src=|href=/i);
    expect(html).toContain('web-&lt;1&gt;');
    expect(html).not.toContain('web-<1>');
  });

  it('a subject with the figures that matter', () => {
    expect(reportSubject(report)).toBe('[dts report] 2026-11-25: 1 hosts, 0 down now, 1 outage(s), 4 error/critical logs');
  });
});
