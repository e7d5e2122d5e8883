import type { RequestHandler } from 'express';
import {
  AdjustStock,
  CreateProduct,
  GetProduct,
  ListProducts,
  ListStockMovements,
  MAX_STOCK_QUANTITY,
  UpdateProduct,
  apiRoutes,
} from '@orderline/contracts';
import type { Requester } from '@orderline/messaging';
import type { SharedReadCache } from '../domain/shared-read-cache';
import { callerOf } from './auth';
import { HttpProblem } from './problem-response';
import { correlationIdOf, inputOf } from './route-input';

/**
 * /api/v1/products: the catalog, read from inventory-service by request/reply (customers see
 * active products only), and its administration (admins only, checked before these run: app.ts):
 * changes go to inventory.requests keyed by product id, the stock log comes from inventory.queries.
 *
 * What customers read is the same for all of them, so it is answered from `catalog` (a second or
 * so old: stock is decided when an order reserves it, not when the catalog is read), without
 * waiting for inventory-service; `Age` says how old. Admins read it from inventory-service, and a
 * change through this instance clears the cache, so its next read shows the change.
 */
export function productHandlers({
  requester,
  catalog,
}: {
  requester: Pick<Requester, 'request'>;
  catalog?: Pick<SharedReadCache<unknown>, 'read' | 'clear'>;
}) {
  /** a customer's read through the catalog cache (if there is one); an admin's from inventory-service */
  const readCatalog = async <T>(res: Parameters<RequestHandler>[1], key: string, fetch: () => Promise<T>): Promise<T> => {
    if (!catalog || callerOf(res).role === 'admin') return fetch();
    const { value, ageMs } = await catalog.read(key, fetch);
    res.set('Age', String(Math.floor(ageMs / 1_000)));
    return value as T;
  };

  const listProducts: RequestHandler = async (_req, res) => {
    const { query } = inputOf(res, apiRoutes.listProducts);
    const page = await readCatalog(res, `list ${query.limit} ${query.cursor ?? ''}`, () =>
      requester.request(
        ListProducts,
        { ...query, includeInactive: callerOf(res).role === 'admin' },
        { key: query.cursor ?? 'first-page', correlationId: correlationIdOf(res) },
      ),
    );
    res.json(page);
  };

  const getProduct: RequestHandler = async (_req, res) => {
    const { params } = inputOf(res, apiRoutes.getProduct);
    const { product } = await readCatalog(res, `product ${params.id}`, () =>
      requester.request(
        GetProduct,
        { productId: params.id, includeInactive: callerOf(res).role === 'admin' },
        { key: params.id, correlationId: correlationIdOf(res) },
      ),
    );
    if (!product) throw new HttpProblem('notFound', `no product ${params.id}`);
    res.json(product);
  };

  const createProduct: RequestHandler = async (_req, res) => {
    const { body } = inputOf(res, apiRoutes.createProduct);
    const { product } = await requester.request(
      CreateProduct,
      { product: { ...body, description: body.description ?? '' }, actor: callerOf(res).customerId },
      { key: body.id, correlationId: correlationIdOf(res) },
    );
    catalog?.clear(); // after the change: a read begun before it stores nothing (SharedReadCache.clear)
    res
      .status(201)
      .location(`/api/v1/products/${encodeURIComponent(product.id)}`)
      .json(product);
  };

  const updateProduct: RequestHandler = async (_req, res) => {
    const { params, body } = inputOf(res, apiRoutes.updateProduct);
    const { product } = await requester.request(
      UpdateProduct,
      { productId: params.id, changes: body, actor: callerOf(res).customerId },
      { key: params.id, correlationId: correlationIdOf(res) },
    );
    catalog?.clear(); // after the change: a read begun before it stores nothing (SharedReadCache.clear)
    res.json(product);
  };

  const adjustStock: RequestHandler = async (_req, res) => {
    const { params, body, headers } = inputOf(res, apiRoutes.adjustStock);
    const result = await requester.request(
      AdjustStock,
      { productId: params.id, ...body, actor: callerOf(res).customerId, idempotencyKey: headers['idempotency-key'] as string },
      { key: params.id, correlationId: correlationIdOf(res) },
    );
    catalog?.clear(); // after the change: a read begun before it stores nothing (SharedReadCache.clear)
    switch (result.outcome) {
      case 'APPLIED':
        return res.status(201).json(result.movement);
      case 'INSUFFICIENT_STOCK':
        throw new HttpProblem('conflict', `only ${result.availableQuantity} available: the stock cannot go below zero; nothing changed`, [
          { path: 'body.delta', message: `at least -${result.availableQuantity} (available quantity ${result.availableQuantity})` },
        ]);
      case 'OVER_MAXIMUM':
        throw new HttpProblem(
          'conflict',
          `${result.availableQuantity} available: the stock cannot exceed ${MAX_STOCK_QUANTITY}; nothing changed`,
          [
            {
              path: 'body.delta',
              message: `at most ${MAX_STOCK_QUANTITY - result.availableQuantity} (available quantity ${result.availableQuantity})`,
            },
          ],
        );
      case 'KEY_REUSED':
        throw new HttpProblem('idempotencyConflict', 'this Idempotency-Key was used with a different adjustment of this product');
    }
  };

  const listStockMovements: RequestHandler = async (_req, res) => {
    const { params, query } = inputOf(res, apiRoutes.listStockMovements);
    const page = await requester.request(
      ListStockMovements,
      { productId: params.id, ...query },
      { key: params.id, correlationId: correlationIdOf(res) },
    );
    res.json(page);
  };

  return { listProducts, getProduct, createProduct, updateProduct, adjustStock, listStockMovements };
}
