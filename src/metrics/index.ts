export {
  type MeasurableCache,
  type MetricsOptions,
  type RegisteredMetrics,
  registerMetrics,
} from './cache-metrics.js';
export { type MeasurableFollower, registerFollowerMetrics } from './follower-metrics.js';
