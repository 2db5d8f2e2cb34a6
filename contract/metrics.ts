/**
 * The functions' own metrics, defined once: the functions emit them (CloudWatch Embedded Metric Format
 * in their log output), the stack's alarms and dashboard read them, and the local runtime shows them.
 * Every metric is a count carrying the `service` dimension (the stack name, ENV.serviceName); `Errors`
 * carries the error code too. https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */
export const METRICS_NAMESPACE = 'ServerlessChat';

export const SERVICE_DIMENSION = 'service';
export const ERROR_CODE_DIMENSION = 'code';

export const METRICS = {
  Requests: 'Frames handled by a route function (every action route and $default)',
  MessagesStored: 'Messages stored by sendMessage (not counting duplicates)',
  DuplicatesAnswered: 'sendMessage retries answered with the message already stored under that messageId',
  SequenceConflicts:
    'Conditional puts that lost the race for a sequence number and were retried; BUSY (in Errors) when 32 in a row lose',
  PostsSent: '@connections posts that reached a connection',
  PostsGone: '@connections posts answered 410 Gone: the connection had closed',
  PresencePosts: 'presence events posted, per invocation: the fan-out of one presence change',
  SyncBatches: 'drains that delivered everything pending and posted `synced`',
  SyncMessages: 'messages delivered by those drains',
  SyncsAbandoned: 'drains stopped because the connection went away',
  RateLimited: 'frames refused by a rate limit',
  PushesSent: 'Web Push requests a push service accepted (201)',
  PushesSkipped:
    'push invocations that sent nothing: the message was seen, superseded, or its devices connected',
  PushesRejected: 'Web Push requests refused for good (4xx other than 404, 410, 429): a bug or a changed key',
  PushSubscriptionsRemoved: 'push subscriptions deleted because their push service answered 404 or 410',
  Errors: 'error frames sent, by code (dimension `code`); INTERNAL means a bug or an outage',
} as const;

export type MetricName = keyof typeof METRICS;
