/**
 * Attribute names of OpenTelemetry's semantic conventions that the spans use (the messaging and
 * database ones are still "incubating" upstream, so they are named here rather than imported).
 */
export const SpanAttributes = {
  httpMethod: 'http.request.method',
  httpRoute: 'http.route',
  httpStatus: 'http.response.status_code',
  urlPath: 'url.path',
  messagingSystem: 'messaging.system',
  messagingDestination: 'messaging.destination.name',
  messagingOperationType: 'messaging.operation.type',
  messagingOperationName: 'messaging.operation.name',
  messagingMessageId: 'messaging.message.id',
  messagingConversationId: 'messaging.message.conversation_id',
  messagingBatchCount: 'messaging.batch.message_count',
  messagingConsumerGroup: 'messaging.consumer.group.name',
  messagingPartition: 'messaging.destination.partition.id',
  kafkaMessageKey: 'messaging.kafka.message.key',
  kafkaOffset: 'messaging.kafka.offset',
  dbSystem: 'db.system.name',
  dbOperation: 'db.operation.name',
  errorType: 'error.type',
} as const;

/**
 * The attributes every Kafka span shares (system, operation, destination) plus the span's own:
 * one place for what produce, consume, receive and batch spans all say.
 */
export function kafkaSpanAttributes(
  operation: 'send' | 'process' | 'receive',
  topic: string,
  own: Record<string, string | number> = {},
): Record<string, string | number> {
  return {
    [SpanAttributes.messagingSystem]: 'kafka',
    [SpanAttributes.messagingOperationType]: operation,
    [SpanAttributes.messagingOperationName]: operation,
    [SpanAttributes.messagingDestination]: topic,
    ...own,
  };
}
