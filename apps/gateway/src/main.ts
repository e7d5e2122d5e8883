import { ConsumerGroups, Topics } from '@orderline/contracts';
import { createLogger } from '@orderline/logging';
import { PeerGroup, Requester, TopicFollower } from '@orderline/messaging';
import { exitOnStartupError, startService } from '@orderline/runtime';
import { createApp } from './http/app';
import { listenHttp } from './http/server';
import { loadGatewayConfig } from './config';
import { AcceptedOrders, DECISIONS_READ_EVERY_MS, trackAcceptedOrders } from './messaging/accepted-orders';
import { RecentOrders, trackRecentOrders } from './messaging/recent-orders';
import { OrderChanges, trackOrderChanges } from './messaging/order-changes';
import { SharedReadCache } from './domain/shared-read-cache';
import { OrderLists, trackOrderLists } from './messaging/order-lists';

const logger = createLogger('gateway');

async function main() {
  const config = loadGatewayConfig();
  // no database and no consumer group of its own: readiness is Kafka's, served on the API's port
  await startService({
    name: 'gateway',
    config,
    logger,
    start: async ({ instanceId, kafka, publisher, separatePublisher, readiness }) => {
      // requests (the reads among them) have a producer of their own: never queued behind a batch of order commands
      const requester = new Requester({
        kafka,
        publisher: await separatePublisher(),
        replyTopic: Topics.gatewayReplies,
        instanceId,
        logger,
        timeoutMs: config.REQUEST_TIMEOUT_MS,
      });
      await requester.start();
      // how many gateways share the per-customer limits: each allows 1/N of them
      const peers = new PeerGroup({
        kafka,
        topic: Topics.gatewayPeers,
        groupId: config.GATEWAY_PEERS_GROUP,
        logger,
        refreshMs: config.GATEWAY_PEERS_REFRESH_MS,
      });
      await peers.start();

      // every instance follows the accepted orders (and their decisions) itself: reads of undecided
      // orders and the admission decision need no other service
      const acceptedOrders = new AcceptedOrders({ maxBytes: config.ACCEPTED_ORDERS_MAX_BYTES, maxAgeMs: 10 * 60_000 });
      trackAcceptedOrders(acceptedOrders);
      // and the latest state of the orders changed recently: reads of those need no other service either
      const recentOrders = new RecentOrders({ maxBytes: config.RECENT_ORDERS_MAX_BYTES, maxAgeMs: 10 * 60_000 });
      trackRecentOrders(recentOrders);
      // every change of every order, for SSE streams and long-polls; positions are orders.events' offsets
      const orderChanges: OrderChanges = new OrderChanges({
        maxEvents: config.SSE_REPLAY_MAX_EVENTS,
        maxBytes: config.SSE_REPLAY_MAX_BYTES,
        startOffsets: () => follower.startOffsets(Topics.orderEvents),
      });
      trackOrderChanges(orderChanges);
      const follower: TopicFollower = new TopicFollower({
        kafka,
        groupId: `gateway.accepted-orders.${instanceId}`,
        topics: [
          { topic: Topics.orderCommands, startAt: { at: 'committed', groupId: ConsumerGroups.orderManagement } },
          // from a minute back: orders decided just before this start whose commands are still to be read
          { topic: Topics.orderEvents, startAt: { at: 'recent', sinceMs: 60_000 } },
        ],
        onMessages: (messages) => {
          acceptedOrders.follow(messages);
          orderChanges.follow(messages);
        },
        logger,
      });
      await follower.start();
      // every change read (those held since the start replayed first) also updates the recent orders
      const starts = follower.startOffsets(Topics.orderEvents);
      const fromStart = Array.from({ length: Math.max(-1, ...starts.keys()) + 1 }, (_, partition) => starts.get(partition) ?? 0);
      // unchecked: an order is checked against the contract when it is first read (RecentOrders.find), not for every event
      const everyChange = orderChanges.subscribe(
        {},
        (change) => recentOrders.changed({ id: change.orderId, version: change.version, json: change.json, checked: false }),
        fromStart,
        { unchecked: true },
      );
      if (!everyChange || typeof everyChange === 'string') throw new Error(`could not follow the order changes (${String(everyChange)})`);
      // customers' first pages of their order list, kept current from the same changes
      const orderLists = new OrderLists({
        changes: orderChanges,
        maxBytes: config.ORDER_LISTS_MAX_BYTES,
        idleMs: config.ORDER_LISTS_IDLE_MS,
        refreshMs: config.ORDER_LISTS_REFRESH_MS,
      });
      trackOrderLists(orderLists);
      const readDecisions = async () => {
        const admittedBefore = acceptedOrders.admittedCount();
        const [committed, ends] = await Promise.all([
          follower.committedOffsets(ConsumerGroups.orderManagement, Topics.orderCommands),
          follower.endOffsets(Topics.orderCommands),
        ]);
        acceptedOrders.decisionsAt(committed, ends, admittedBefore);
      };
      await readDecisions().catch((error: unknown) =>
        logger.warn('could not read how far the decisions are yet', { error: String(error) }),
      );
      // one read at a time: a slow broker delays the figures, it does not pile up requests
      let readingDecisions = false;
      const decisionsTimer = setInterval(() => {
        if (readingDecisions) return;
        readingDecisions = true;
        readDecisions()
          .catch((error: unknown) => logger.warn('could not read how far the decisions are', { error: String(error) }))
          .finally(() => (readingDecisions = false));
      }, DECISIONS_READ_EVERY_MS);

      const app = createApp({
        publisher,
        requester,
        readiness,
        jwtSecrets: [config.JWT_SECRET, ...(config.JWT_PREVIOUS_SECRET ? [config.JWT_PREVIOUS_SECRET] : [])],
        acceptedOrders: {
          accepted: (command) => acceptedOrders.accepted(command),
          find: (orderId) => acceptedOrders.find(orderId),
          caughtUp: (timeoutMs) => follower.caughtUp(Topics.orderCommands, timeoutMs),
          expectedWaitMs: () => acceptedOrders.expectedWaitMs(),
        },
        recentOrders,
        orderLists: config.ORDER_LISTS_MAX_BYTES > 0 ? orderLists : undefined,
        catalog:
          config.CATALOG_FRESH_MS > 0
            ? new SharedReadCache('catalog', {
                freshMs: config.CATALOG_FRESH_MS,
                maxStaleMs: config.CATALOG_MAX_STALE_MS,
                maxBytes: config.CATALOG_MAX_BYTES,
              })
            : undefined,
        orderChanges,
        streamLimits: {
          heartbeatMs: config.SSE_HEARTBEAT_MS,
          maxBufferedBytes: config.SSE_MAX_BUFFERED_BYTES,
          maxStreams: config.SSE_MAX_STREAMS,
          maxStreamsPerCustomer: config.SSE_MAX_STREAMS_PER_CUSTOMER,
          maxWaitSeconds: config.LONG_POLL_MAX_WAIT_S,
        },
        maxDecisionLagMs: config.ADMISSION_MAX_DECISION_LAG_MS,
        logger,
        limits: {
          orderRequestsPerSecond: config.ORDER_RATE_LIMIT_PER_SECOND,
          orderRequestBurst: config.ORDER_RATE_LIMIT_BURST,
          maxQuantityPerProduct: config.ORDER_MAX_QUANTITY_PER_PRODUCT,
        },
        instances: () => peers.size,
      });
      const listeners = await listenHttp(
        app,
        {
          headersTimeoutMs: config.HTTP_HEADERS_TIMEOUT_MS,
          requestTimeoutMs: config.HTTP_REQUEST_TIMEOUT_MS,
          keepAliveTimeoutMs: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
          idleTimeoutMs: config.HTTP_IDLE_TIMEOUT_MS,
        },
        { port: config.PORT, host: config.HOST, backlog: config.HTTP_LISTEN_BACKLOG, listeners: config.HTTP_LISTENERS },
      );
      logger.info('gateway listening', { url: `http://${config.HOST}:${config.PORT}`, instanceId, sockets: listeners.servers.length });

      return [
        () => listeners.close(),
        () => requester.stop(),
        async () => clearInterval(decisionsTimer),
        () => follower.stop(),
        async () => everyChange.close(),
        () => peers.stop(),
      ];
    },
  });
}

main().catch(exitOnStartupError(logger));
