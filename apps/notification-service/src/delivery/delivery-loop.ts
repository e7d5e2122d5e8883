import { withLogContext, type Logger } from '@orderline/logging';
import { nextAttempt, type RetryPolicy } from '../domain/backoff';
import type { ClaimedDelivery, WebhookRepository } from '../db/webhook-repository';
import type { AttemptResult, WebhookRequest } from './webhook-client';

export interface DeliveryLoopOptions {
  webhooks: Pick<WebhookRepository, 'claim' | 'release' | 'recordAttempt' | 'deleteFinished'>;
  /** sends one request (sendWebhook, bound to its timeout and URL policy) */
  send(request: WebhookRequest): Promise<AttemptResult>;
  retry: RetryPolicy;
  /** this instance's claims are taken in its name */
  holder: string;
  /** requests open at once, in all and to one webhook */
  maxInFlight: number;
  maxInFlightPerEndpoint: number;
  pollIntervalMs: number;
  /** how long a claim lasts: longer than a request may take, so no other instance sends it meanwhile */
  leaseMs: number;
  /** finished deliveries are kept this long (then deleted, a bounded batch per poll) */
  retentionMs: number;
  logger: Logger;
  random?: () => number;
}

/**
 * Sends the webhook deliveries that are due: claims them (a lease; several instances share the
 * work), POSTs each, and records the outcome (delivered; retried later with backoff; or, once the
 * retry window is over, given up and the webhook disabled). Never waits on a receiver: each request
 * runs on its own, bounded by the request timeout, and one webhook never has more than
 * `maxInFlightPerEndpoint` of this instance's requests, so a slow or dead endpoint holds only
 * those slots while the others go on. Woken by new deliveries (`wake`) and every `pollIntervalMs`.
 */
export class DeliveryLoop {
  private readonly inFlight = new Map<string, number>();
  private inFlightTotal = 0;
  private readonly running = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private pollAgain = false;
  private stopped = true;
  private lastCleanup = 0;

  constructor(private readonly options: DeliveryLoopOptions) {}

  start(): void {
    this.stopped = false;
    this.wake();
  }

  /** Looks for due deliveries now (new ones were added, or a request finished). */
  wake(): void {
    if (this.stopped) return;
    if (this.polling) {
      this.pollAgain = true;
      return;
    }
    clearTimeout(this.timer);
    // not in the context of whoever woke it (a consumed event): the sender's own lines carry its name
    this.polling = withLogContext({ correlationId: `webhook-sender-${this.options.holder}` }, () => this.poll())
      .catch((error: unknown) => {
        this.options.logger.warn('webhook deliveries could not be claimed', { error: String(error) });
      })
      .finally(() => {
        this.polling = undefined;
        if (this.stopped) return;
        if (this.pollAgain) {
          this.pollAgain = false;
          this.wake();
        } else {
          this.timer = setTimeout(() => this.wake(), this.options.pollIntervalMs);
        }
      });
  }

  /** Stops claiming and waits for the requests in flight (each ends within its timeout). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.polling;
    await Promise.all(this.running);
  }

  private async poll(): Promise<void> {
    const { webhooks, holder, maxInFlight, maxInFlightPerEndpoint, leaseMs } = this.options;
    await this.cleanUp();
    const free = maxInFlight - this.inFlightTotal;
    if (free <= 0) return;
    const busy = [...this.inFlight].filter(([, count]) => count >= maxInFlightPerEndpoint).map(([id]) => id);
    const claimed = await webhooks.claim({ holder, limit: free, leaseMs, skipWebhookIds: busy });
    const extra: string[] = [];
    for (const delivery of claimed) {
      if (this.stopped || (this.inFlight.get(delivery.webhookId) ?? 0) >= maxInFlightPerEndpoint) {
        extra.push(delivery.id);
        continue;
      }
      this.begin(delivery);
    }
    // claimed beyond one endpoint's share: back at once, for this instance's next poll or another's
    await webhooks.release(extra, holder);
  }

  private begin(delivery: ClaimedDelivery): void {
    this.inFlight.set(delivery.webhookId, (this.inFlight.get(delivery.webhookId) ?? 0) + 1);
    this.inFlightTotal++;
    const context = { correlationId: delivery.correlationId ?? `webhook-delivery-${delivery.id}`, orderId: delivery.orderId };
    const attempt = withLogContext(context, () => this.attempt(delivery))
      .catch((error: unknown) => {
        this.options.logger.warn('webhook attempt could not be recorded', { deliveryId: delivery.id, error: String(error) });
      })
      .finally(() => {
        const left = (this.inFlight.get(delivery.webhookId) ?? 1) - 1;
        if (left === 0) this.inFlight.delete(delivery.webhookId);
        else this.inFlight.set(delivery.webhookId, left);
        this.inFlightTotal--;
        this.running.delete(attempt);
        this.wake();
      });
    this.running.add(attempt);
  }

  private async attempt(delivery: ClaimedDelivery): Promise<void> {
    const { webhooks, send, retry, holder, logger, random } = this.options;
    const result = await send(delivery);
    const attempt = delivery.attempts + 1;
    if (result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300) {
      await webhooks.recordAttempt(delivery.id, holder, result, { status: 'DELIVERED' });
      return;
    }
    const next = nextAttempt(attempt, new Date(), delivery.giveUpAt, retry, random);
    if ('retryAt' in next) {
      logger.info('webhook delivery failed, will retry', {
        deliveryId: delivery.id,
        webhookId: delivery.webhookId,
        attempt,
        error: result.error,
      });
      await webhooks.recordAttempt(delivery.id, holder, result, { status: 'PENDING', retryAt: next.retryAt });
      return;
    }
    const reason = `delivery ${delivery.id} (${delivery.eventType}) given up after ${attempt} attempts; last: ${result.error ?? 'no answer'}`;
    logger.warn('webhook disabled', { webhookId: delivery.webhookId, reason });
    await webhooks.recordAttempt(delivery.id, holder, result, { status: 'FAILED', reason: reason.slice(0, 1_000) });
  }

  /** At most once a minute: deletes a bounded batch of deliveries finished longer ago than the retention. */
  private async cleanUp(): Promise<void> {
    if (Date.now() - this.lastCleanup < 60_000) return;
    this.lastCleanup = Date.now();
    const deleted = await this.options.webhooks.deleteFinished(this.options.retentionMs, 1_000);
    if (deleted > 0) this.options.logger.info('old webhook deliveries deleted', { deleted });
  }
}
