/**
 * Every Kafka topic of the system, with its partition count and what keys it.
 * One order's messages share a key (the order id) so they stay in order on one partition.
 */
export const Topics = {
  /** Gateway → order-management: CreateOrder (fire-and-forget) and per-order requests (GetOrder, …). Key: order id. */
  orderCommands: 'orders.commands',
  /** Gateway → order-management's query consumer: reads (LookupOrder: key order id; ListOrders: key customer id). */
  orderQueries: 'orders.queries',
  /** order-management → anyone: OrderConfirmed, OrderRejected, … Key: order id. */
  orderEvents: 'orders.events',
  /** order-management → customer-service: GetCustomers. Key: the batch's first customer id. */
  customerRequests: 'customers.requests',
  /**
   * order-management → inventory-service: ReserveStock, ReleaseStock, ReleaseReservations (key: order id);
   * gateway → inventory-service: CreateProduct, UpdateProduct, AdjustStock (key: product id).
   */
  inventoryRequests: 'inventory.requests',
  /** gateway → inventory-service's query consumer: ListProducts, GetProduct, ListStockMovements. Key: product id or cursor. */
  inventoryQueries: 'inventory.queries',
  /** inventory-service → anyone (its outbox): ProductCreated, ProductUpdated, StockAdjusted, LowStock. Key: product id. */
  inventoryEvents: 'inventory.events',
  /** Replies to requests made by gateway instances. Every gateway instance reads all of it. */
  gatewayReplies: 'gateway.replies',
  /** Replies to requests made by order-management instances. */
  orderManagementReplies: 'order-management.replies',
  /**
   * Nothing is sent on it: every gateway instance joins one consumer group on it, and the group's
   * member count is how many instances share the per-customer limits.
   */
  gatewayPeers: 'gateway.peers',
  /** gateway → notification-service: the webhook admin API (CreateWebhook, …). Key: webhook id. */
  notificationRequests: 'notifications.requests',
} as const;

/** The topics requests may name as `replyTo`: a responder answers on these and nowhere else. */
export const ReplyTopics: readonly string[] = [Topics.gatewayReplies, Topics.orderManagementReplies];

export function isSystemReplyTopic(topic: string): boolean {
  return ReplyTopics.includes(topic);
}

/** Where a message that cannot be processed goes, with the reason in its headers. */
export function deadLetterTopic(topic: string): string {
  return `${topic}.dlq`;
}

export interface TopicSpec {
  topic: string;
  numPartitions: number;
}

/** Partition counts: enough for several consumer instances per group on a real cluster. */
export const topicSpecs: TopicSpec[] = [
  { topic: Topics.orderCommands, numPartitions: 12 },
  { topic: Topics.orderQueries, numPartitions: 6 },
  { topic: Topics.orderEvents, numPartitions: 12 },
  { topic: Topics.customerRequests, numPartitions: 6 },
  { topic: Topics.inventoryRequests, numPartitions: 12 },
  { topic: Topics.inventoryQueries, numPartitions: 6 },
  { topic: Topics.inventoryEvents, numPartitions: 6 },
  { topic: Topics.gatewayReplies, numPartitions: 6 },
  { topic: Topics.orderManagementReplies, numPartitions: 6 },
  { topic: Topics.notificationRequests, numPartitions: 3 },
]
  .flatMap((spec) => [spec, { topic: deadLetterTopic(spec.topic), numPartitions: 1 }])
  // carries no messages, so no dead letters; a few partitions are plenty (members need none to count)
  .concat({ topic: Topics.gatewayPeers, numPartitions: 3 });

/** Kafka header names used by every service. */
export const Headers = {
  correlationId: 'correlation-id',
  messageType: 'message-type',
  /** the envelope's `version` (for tools: consumers read it from the envelope) */
  messageVersion: 'message-version',
  /** W3C Trace Context of the message (its producer's span), on every message sent inside a trace */
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  /** on dead letters */
  error: 'dlq-error',
  sourceTopic: 'dlq-source-topic',
  sourcePartition: 'dlq-source-partition',
  sourceOffset: 'dlq-source-offset',
  /** on a dead letter whose value was cut to fit the size limit: the original value's length in bytes */
  truncatedFrom: 'dlq-truncated-from',
  /** on dead letters from an outbox relay (dlq-source-topic: the outbox table): the row's id, and the topic it was for */
  outboxId: 'dlq-outbox-id',
  outboxTopic: 'dlq-outbox-topic',
} as const;

/** Consumer group ids. Instances of one service share a group and so share the partitions. */
export const ConsumerGroups = {
  orderManagement: 'order-management',
  /** reads only (orders.queries): a group of its own, so reads never wait behind decisions */
  orderManagementQueries: 'order-management-queries',
  customerService: 'customer-service',
  inventoryService: 'inventory-service',
  inventoryServiceQueries: 'inventory-service-queries',
  /** notification-service on orders.events: turns each event into webhook deliveries */
  notificationService: 'notification-service',
  /** notification-service's admin requests (notifications.requests): a group of their own, never behind the events */
  notificationServiceRequests: 'notification-service-requests',
  /** every gateway instance, on gateway.peers: its member count is the number of live gateways */
  gatewayPeers: 'gateway-peers',
} as const;
