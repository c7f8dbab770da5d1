export { type MeasurableCache, type MetricsOptions, type RegisteredMetrics, registerMetrics } from './cache-metrics.js';
