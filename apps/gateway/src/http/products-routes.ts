import { Router } from 'express';
import { GetProduct, ListProducts, ListProductsQuery, ProductIdParam } from '@orderline/contracts';
import type { Requester } from '@orderline/messaging';
import { HttpProblem, parseRequest } from './problem-response';

/** /api/v1/products: the catalog, read from inventory-service by request/reply. */
export function productsRouter({ requester }: { requester: Requester }): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    const query = parseRequest(ListProductsQuery, req.query, 'query');
    const page = await requester.request(ListProducts, query, {
      key: query.cursor ?? 'first-page',
      correlationId: String(res.locals['correlationId']),
    });
    res.json(page);
  });

  router.get('/:id', async (req, res) => {
    const { id } = parseRequest(ProductIdParam, req.params, 'params');
    const { product } = await requester.request(
      GetProduct,
      { productId: id },
      { key: id, correlationId: String(res.locals['correlationId']) },
    );
    if (!product) throw new HttpProblem('notFound', `no product ${id}`);
    res.json(product);
  });

  return router;
}
