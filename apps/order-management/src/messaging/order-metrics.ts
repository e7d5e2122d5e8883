import { Counter, Gauge, Histogram } from 'prom-client';
import type { OutboxRepository } from '@orderline/db';

/** Orders reaching a final decision: CONFIRMED, REJECTED (with the reason) or CANCELLED. */
export const ordersFinal = new Counter({
  name: 'orderline_orders_final_total',
  help: 'Orders that reached a final status, by status and (for REJECTED) reason',
  labelNames: ['status', 'reason'],
});

/** From the gateway accepting an order (the command's occurredAt) to its decision being stored. */
export const acceptToFinalSeconds = new Histogram({
  name: 'orderline_order_accept_to_final_seconds',
  help: 'Seconds from the gateway accepting an order to order-management storing CONFIRMED or REJECTED',
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
});

export function recordDecision(status: 'CONFIRMED' | 'REJECTED', reason: string | undefined, acceptedAt: string): void {
  ordersFinal.inc({ status, reason: reason ?? '' });
  acceptToFinalSeconds.observe(Math.max((Date.now() - Date.parse(acceptedAt)) / 1000, 0));
}

/** A cancellation is final too; it has no accept→final latency (the order was decided before). */
export function recordCancellation(): void {
  ordersFinal.inc({ status: 'CANCELLED', reason: '' });
}

/** Outbox events written but not yet published, counted at scrape time (partial index on unpublished rows). */
export function trackOutboxBacklog(outbox: Pick<OutboxRepository, 'backlog'>): void {
  new Gauge({
    name: 'orderline_outbox_backlog',
    help: 'Order events stored in the outbox and not yet published to Kafka',
    async collect() {
      try {
        this.set(await outbox.backlog());
      } catch {
        // database unreachable: no figure in this scrape (readiness says why)
      }
    },
  });
}
