import type { RequestHandler } from 'express';
import { GetProduct, ListProducts, apiRoutes } from '@orderline/contracts';
import type { Requester } from '@orderline/messaging';
import { HttpProblem } from './problem-response';
import { correlationIdOf, inputOf } from './route-input';

/** /api/v1/products: the catalog, read from inventory-service by request/reply. */
export function productHandlers({ requester }: { requester: Pick<Requester, 'request'> }) {
  const listProducts: RequestHandler = async (_req, res) => {
    const { query } = inputOf(res, apiRoutes.listProducts);
    const page = await requester.request(ListProducts, query, {
      key: query.cursor ?? 'first-page',
      correlationId: correlationIdOf(res),
    });
    res.json(page);
  };

  const getProduct: RequestHandler = async (_req, res) => {
    const { params } = inputOf(res, apiRoutes.getProduct);
    const { product } = await requester.request(
      GetProduct,
      { productId: params.id },
      { key: params.id, correlationId: correlationIdOf(res) },
    );
    if (!product) throw new HttpProblem('notFound', `no product ${params.id}`);
    res.json(product);
  };

  return { listProducts, getProduct };
}
