import type { AcceptedOrdersView } from './orders-handlers';

/** For component specs: a gateway that has seen no accepted orders and whose decisions are not behind. */
export const noAcceptedOrders: AcceptedOrdersView = {
  accepted: () => undefined,
  find: () => undefined,
  caughtUp: async () => true,
  decisionLagMs: () => 0,
};
