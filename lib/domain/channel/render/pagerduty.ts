import { jsonRequest, type Renderer } from './request';
import { clip, viewOf } from './view';

const PD_SEVERITY = { critical: 'critical', warning: 'warning', info: 'info' } as const;

/**
 * PagerDuty Events API v2 (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/):
 * `trigger` for what opens an incident, `resolve` for what closes it, both with the incident key
 * as `dedup_key` (at most 255 characters). Notices page no one and send nothing.
 */
export const renderPagerDuty: Renderer = (n, secret) => {
  const v = viewOf(n);
  if (v.action === 'none') return undefined;
  const dedup = clip(n.incident ?? n.id, 255);
  if (v.action === 'close') {
    return jsonRequest(secret.url, { routing_key: secret.key, event_action: 'resolve', dedup_key: dedup });
  }
  return jsonRequest(secret.url, {
    routing_key: secret.key,
    event_action: 'trigger',
    dedup_key: dedup,
    client: 'dts',
    payload: {
      summary: clip(n.message, 1024),
      source: n.hostname,
      severity: PD_SEVERITY[n.severity],
      timestamp: v.at,
      class: n.kind,
      ...(n.details.resource ? { component: n.details.resource } : {}),
      ...(n.labels?.role ? { group: n.labels.role } : {}),
      custom_details: Object.fromEntries([...v.facts, ...(v.next ? [['Next step', v.next] as const] : [])]),
    },
  });
};
