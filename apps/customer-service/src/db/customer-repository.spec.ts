import { testPrisma } from '@orderline/testing';
import { CustomerRepository } from './customer-repository';

/** Against the real, seeded Postgres (npm run infra:up). */
const prisma = testPrisma();
const customers = new CustomerRepository(prisma);
afterAll(() => prisma.$disconnect());

describe('CustomerRepository', () => {
  it('finds seeded customers, CUST50 blocked, and nobody else', async () => {
    const found = await customers.findMany(['CUST01', 'CUST50', 'CUST51']);
    expect(found.sort((a, b) => (a.id < b.id ? -1 : 1))).toEqual([
      { id: 'CUST01', name: expect.any(String), blocked: false },
      { id: 'CUST50', name: expect.any(String), blocked: true },
    ]);
  });
});
