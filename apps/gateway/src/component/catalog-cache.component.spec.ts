import request from 'supertest';
import type { Product } from '@orderline/contracts';
import { SharedReadCache } from '../domain/shared-read-cache';
import { bearer, gatewayUnderTest } from './fake-backend';

/**
 * The catalog as customers read it: answered by the gateway from what it read a moment ago, so a
 * catalog read does not wait for inventory-service; admins read it from inventory-service, and a
 * change through this instance shows at once.
 */
let now = 0;
const setUp = () => {
  const catalog = new SharedReadCache<unknown>('catalog', { freshMs: 1_000, maxStaleMs: 30_000, maxBytes: 1_048_576, now: () => now });
  return gatewayUnderTest({ catalog });
};
let { app, backend } = setUp();
beforeEach(() => {
  now = 0;
  ({ app, backend } = setUp());
  backend.products.set('PROD-K1', {
    id: 'PROD-K1',
    name: 'Kettle',
    description: '',
    unitPrice: '12.50',
    availableQuantity: 4,
    active: true,
  });
});

const customer = bearer('CUST01');
const admin = bearer('ADMIN01', 'admin');

describe('catalog reads', () => {
  it("customers' repeated reads of a page or a product are answered without asking inventory-service, with their Age", async () => {
    for (const auth of [customer, bearer('CUST02')]) {
      const page = await request(app).get('/api/v1/products?limit=5').set(auth);
      expect(page.status).toBe(200);
      expect(page.body.items).toHaveLength(1);
      expect((await request(app).get('/api/v1/products/PROD-K1').set(auth)).body).toMatchObject({ availableQuantity: 4 });
    }
    expect(backend.sent()).toEqual(['ListProducts', 'GetProduct']);
    now = 2_500; // stale: served, refreshed behind it
    const stale = await request(app).get('/api/v1/products?limit=5').set(customer);
    expect(stale.headers['age']).toBe('2');
    expect(backend.sent()).toEqual(['ListProducts', 'GetProduct', 'ListProducts']);
  });

  it('admins read from inventory-service every time; their change clears what customers are shown', async () => {
    await request(app).get('/api/v1/products/PROD-K1').set(customer).expect(200);
    await request(app).get('/api/v1/products/PROD-K1').set(admin).expect(200);
    await request(app).get('/api/v1/products/PROD-K1').set(admin).expect(200);
    expect(backend.sent()).toEqual(['GetProduct', 'GetProduct', 'GetProduct']);

    await request(app).patch('/api/v1/products/PROD-K1').set(admin).send({ active: false }).expect(200);
    // inactive: customers no longer see it, at once
    expect((await request(app).get('/api/v1/products/PROD-K1').set(customer)).status).toBe(404);
    expect((await request(app).get('/api/v1/products?limit=5').set(customer)).body.items).toEqual([]);
  });

  it('a stock change made elsewhere shows once the answer is older than CATALOG_FRESH_MS', async () => {
    await request(app).get('/api/v1/products/PROD-K1').set(customer).expect(200);
    backend.products.set('PROD-K1', { ...(backend.products.get('PROD-K1') as Product), availableQuantity: 1 });
    expect((await request(app).get('/api/v1/products/PROD-K1').set(customer)).body.availableQuantity).toBe(4);
    now = 1_001;
    await request(app).get('/api/v1/products/PROD-K1').set(customer); // stale, refreshed behind it
    expect((await request(app).get('/api/v1/products/PROD-K1').set(customer)).body.availableQuantity).toBe(1);
  });
});
