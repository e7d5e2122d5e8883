import type { RequestHandler, Response } from 'express';
import {
  CancelOrder,
  CreateOrder,
  CreateOrderRequest,
  GetOrder,
  ListOrders,
  LookupOrder,
  UpdateOrder,
  apiRoutes,
  customerOfNewOrder,
  isVisibleTo,
  mayChangeStatus,
  timeOrderedUuid,
  type CreateOrderPayload,
  type Order,
  type OrderStatus,
} from '@orderline/contracts';
import { ReplyFailedError, newEnvelope, type Publisher, type Requester } from '@orderline/messaging';
import { createRequestHash, orderIdForIdempotencyKey } from '../domain/idempotency';
import { callerOf } from './auth';
import { changeAtMatchingVersion, etagOf, parseIfMatch } from './if-match';
import { HttpProblem } from './problem-response';
import { correlationIdOf, inputOf } from './route-input';

/** The orders accepted and not yet decided, as this gateway follows them (messaging/accepted-orders.ts). */
export interface AcceptedOrdersView {
  accepted(command: CreateOrderPayload): void;
  /** the order as PENDING, if accepted and not known to be stored */
  find(orderId: string): Order | undefined;
  /** resolves once everything accepted before the call is in the view (false after `timeoutMs`) */
  caughtUp(timeoutMs: number): Promise<boolean>;
  /** how long an order accepted now would wait to be decided, ms (AcceptedOrders.expectedWaitMs) */
  expectedWaitMs(): number;
}

/** The orders changed recently, as this gateway follows them from orders.events (messaging/recent-orders.ts). */
export interface RecentOrdersView {
  /** the order's latest known state, if it changed recently */
  find(orderId: string): Order | undefined;
  /** an order as a change through this instance left it */
  changed(order: Order): void;
}

/** Customers' first pages of their order list, as this gateway keeps them (messaging/order-lists.ts). */
export interface OrderListsView {
  read(query: { customerId: string; status?: OrderStatus; limit: number }, fetch: () => Promise<OrderListPage>): Promise<OrderListPage>;
  /** an order as a change through this instance left it */
  changed(order: Order): void;
}
type OrderListPage = { items: Order[]; nextCursor: string | null };

/** How long a read of an order that is not stored waits for this instance to see every order accepted before it. */
const CATCH_UP_MS = 1_000;

/**
 * /api/v1/orders. Create is fire-and-forget (the command is durable in Kafka, acks=all, when the
 * 202 goes out); with an Idempotency-Key it waits until order-management has stored the order.
 * (Admission control comes before: admission.ts.) Reads never queue behind writes: an accepted, undecided order is
 * answered PENDING from this instance's view of the log, a recently changed one as its latest event
 * shows it, any other by order-management's query consumer; a customer's first page of their list
 * from the page this instance keeps current, a later page (and admins' lists) by order-management. Changes are request/reply on the command topic, keyed by order id so they queue behind
 * earlier commands for the same order. One order is sent with its version as ETag; changes honour
 * If-Match (see if-match.ts).
 */
export function orderHandlers({
  publisher,
  requester,
  acceptedOrders,
  recentOrders,
  orderLists,
  watchOrder,
}: {
  publisher: Pick<Publisher, 'publish'>;
  requester: Pick<Requester, 'request'>;
  acceptedOrders: AcceptedOrdersView;
  recentOrders: RecentOrdersView;
  /** none: every list is order-management's to answer */
  orderLists?: OrderListsView;
  /** long-polls: watches one order for GET with `Prefer: wait=N` (http/order-streams.ts); none: GET answers at once */
  watchOrder?: (
    orderId: string,
    prefer: string | undefined,
    res: Response,
  ) => { seconds: number; changed(): Promise<Order | undefined>; close(): void } | undefined;
}) {
  const createOrder: RequestHandler = async (_req, res) => {
    const { body, headers } = inputOf(res, apiRoutes.createOrder);
    // order-management never sees who placed an order: the one rule is applied here
    const orderFor = customerOfNewOrder(callerOf(res), body.customerId);
    if ('refused' in orderFor) throw new HttpProblem('forbidden', orderFor.refused);
    const customerId = orderFor.granted;
    const correlationId = correlationIdOf(res);
    const command = { customerId, items: body.items, shippingAddress: body.shippingAddress };

    const idempotencyKey = headers['idempotency-key'];
    if (idempotencyKey === undefined) {
      const orderId = timeOrderedUuid();
      const payload = CreateOrder.payload.parse({ orderId, ...command });
      await publisher.publish({ topic: CreateOrder.topic, key: orderId, envelope: newEnvelope(CreateOrder, payload, correlationId) });
      acceptedOrders.accepted(payload);
      return accepted(res, orderId);
    }

    const orderId = orderIdForIdempotencyKey(customerId, idempotencyKey);
    const requestHash = createRequestHash(customerId, body);
    try {
      await requester.request(CreateOrderRequest, { orderId, ...command, idempotencyKey, requestHash }, { key: orderId, correlationId });
    } catch (error) {
      if (error instanceof ReplyFailedError && error.code === 'CONFLICT') {
        throw new HttpProblem('idempotencyConflict', error.message);
      }
      throw error;
    }
    accepted(res, orderId);
  };

  const readOrder = async (orderId: string, res: Parameters<RequestHandler>[1]) =>
    (await requester.request(GetOrder, { orderId, caller: callerOf(res) }, { key: orderId, correlationId: correlationIdOf(res) })).order;

  const lookUpOrder = orderLookup({ requester, acceptedOrders, recentOrders });

  // with ETag set, Express answers a matching If-None-Match with 304
  const getOrder: RequestHandler = async (_req, res) => {
    const { params, headers } = inputOf(res, apiRoutes.getOrder);
    // long-poll (Prefer: wait=N): watched from before the read, so a decision in between is not missed
    const watch = watchOrder?.(params.id, headers['prefer'], res);
    if (!watch) return sendOrder(res, await lookUpOrder(params.id, res));
    try {
      let order = await lookUpOrder(params.id, res);
      if (order.status === 'PENDING') order = (await watch.changed()) ?? (await lookUpOrder(params.id, res));
      res.set({ 'Preference-Applied': `wait=${watch.seconds}`, Vary: 'Prefer' });
      sendOrder(res, order);
    } finally {
      watch.close();
    }
  };

  const listOrders: RequestHandler = async (_req, res) => {
    const { query } = inputOf(res, apiRoutes.listOrders);
    const caller = callerOf(res);
    const ask = () =>
      requester.request(
        ListOrders,
        { caller, ...query },
        { key: query.customerId ?? caller.customerId, correlationId: correlationIdOf(res) },
      );
    const ownFirstPage = caller.role === 'customer' && query.customerId === undefined && query.cursor === undefined;
    res.json(
      orderLists && ownFirstPage
        ? await orderLists.read({ customerId: caller.customerId, status: query.status, limit: query.limit }, ask)
        : await ask(),
    );
  };

  /** an order as a change through this instance left it: its reads and its customer's list show it at once */
  const changedHere = (order: Order) => {
    recentOrders.changed(order);
    orderLists?.changed(order);
  };

  /** Every UpdateOrder names the version it was made against: If-Match's, or the one just read. */
  const updateOrder: RequestHandler = async (req, res) => {
    const { params, body } = inputOf(res, apiRoutes.updateOrder);
    const caller = callerOf(res);
    // order-management refuses it too; checked first, with the same rule, it costs no read
    const statusChange = body.status ? mayChangeStatus(caller) : undefined;
    if (statusChange && 'refused' in statusChange) throw new HttpProblem('forbidden', statusChange.refused);
    const ifMatch = parseIfMatch(req.header('if-match'));
    const tracking =
      body.trackingCompany && body.trackingNumber
        ? { trackingCompany: body.trackingCompany, trackingNumber: body.trackingNumber }
        : undefined;
    const order = await changeAtMatchingVersion(ifMatch, {
      read: () => readOrder(params.id, res),
      change: async (expectedVersion) =>
        (
          await requester.request(
            UpdateOrder,
            { orderId: params.id, caller, expectedVersion, shippingAddress: body.shippingAddress, status: body.status, tracking },
            { key: params.id, correlationId: correlationIdOf(res) },
          )
        ).order,
    });
    changedHere(order);
    sendOrder(res, order);
  };

  /** Without If-Match (or with `*`) a cancel needs no version: it is monotonic, and repeating it is harmless. */
  const cancelOrder: RequestHandler = async (req, res) => {
    const { params } = inputOf(res, apiRoutes.cancelOrder);
    const ifMatch = parseIfMatch(req.header('if-match'));
    const cancel = async (expectedVersion?: number) =>
      (
        await requester.request(
          CancelOrder,
          { orderId: params.id, caller: callerOf(res), expectedVersion },
          { key: params.id, correlationId: correlationIdOf(res) },
        )
      ).order;
    const order =
      ifMatch?.kind === 'tags'
        ? await changeAtMatchingVersion(ifMatch, { read: () => readOrder(params.id, res), change: cancel })
        : await cancel();
    changedHere(order);
    sendOrder(res, order);
  };

  return { createOrder, getOrder, listOrders, updateOrder, replaceOrder: updateOrder, cancelOrder };
}

/**
 * GET's read of one order, authorized for the caller (another customer's is 404): PENDING from the
 * view when accepted and undecided; its latest event when it changed recently; else as stored, or,
 * accepted elsewhere a moment ago, from the log read up to now (whichever answers first).
 */
export function orderLookup({
  requester,
  acceptedOrders,
  recentOrders,
}: {
  requester: Pick<Requester, 'request'>;
  acceptedOrders: AcceptedOrdersView;
  recentOrders: RecentOrdersView;
}): (orderId: string, res: Response) => Promise<Order> {
  return async (orderId, res) => {
    const caller = callerOf(res);
    const visible = (order: Order | undefined) => {
      if (order && !isVisibleTo(order, caller)) throw new HttpProblem('notFound', `no order ${orderId}`);
      return order;
    };
    const inViews = () => visible(acceptedOrders.find(orderId)) ?? visible(recentOrders.find(orderId));
    const known = inViews();
    if (known) return known;
    // not in this instance's views: ask order-management and, side by side, read the log up to now.
    // An order another instance accepted a moment ago is then answered from the log at once, without
    // waiting for order-management (which may be far behind, or stopped).
    const stored = requester
      .request(LookupOrder, { orderId, caller }, { key: orderId, correlationId: correlationIdOf(res) })
      .then((reply) => reply.order);
    const fromLog = acceptedOrders.caughtUp(CATCH_UP_MS).then(
      (caughtUp) => (caughtUp ? inViews() : undefined),
      () => undefined,
    );
    // whichever is not awaited to the end must not become an unhandled rejection
    stored.catch(() => undefined);
    fromLog.catch(() => undefined);
    const foundInLog = fromLog.then((order) => order ?? new Promise<never>(() => undefined));
    try {
      return await Promise.race([stored, foundInLog]);
    } catch (error) {
      if (!(error instanceof ReplyFailedError && error.code === 'NOT_FOUND')) throw error;
      const latest = await fromLog;
      if (latest) return latest;
      throw error;
    }
  };
}

function sendOrder(res: Parameters<RequestHandler>[1], order: Order): void {
  res.set('ETag', etagOf(order.version)).json(order);
}

function accepted(res: Parameters<RequestHandler>[1], orderId: string): void {
  res.status(202).location(`/api/v1/orders/${orderId}`).json({ id: orderId, status: 'PENDING' });
}
