import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { PassMetric } from '../../lib/app/diagnose/metrics';

/** CloudWatch metrics by embedded metric format: log lines, no PutMetricData call. */
export const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'dts' });

export function publishMetrics(list: readonly PassMetric[]): void {
  for (const m of list) metrics.addMetric(m.name, MetricUnit[m.unit], m.value);
  metrics.publishStoredMetrics();
}
