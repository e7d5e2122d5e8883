/** One row of an outbox table, as the relay reads it (libs/db's OutboxRepository reads them, libs/messaging's relay publishes them). */
export interface OutboxRow {
  /** bigint, as text */
  id: string;
  aggregate_id: string;
  type: string;
  /** the whole envelope as JSON text, as written with the change */
  payload: string;
  /** the envelope's correlationId; null when the payload is not an envelope */
  correlation_id: string | null;
  /** the envelope's version (absent: 1), for the message-version header */
  version?: string | null;
  /** the topic the row is for (`headers.topic`); null when the row names none */
  topic: string | null;
  /** the W3C trace context the row was written in (`headers.traceparent`, `headers.tracestate`), which its publish continues; null outside a trace */
  traceparent?: string | null;
  tracestate?: string | null;
}
