import { testPrisma } from '@orderline/testing';
import { CustomerRepository } from './customer-repository';

/** Against the real, seeded Postgres (npm run infra:up). */
const prisma = testPrisma();
const customers = new CustomerRepository(prisma);
afterAll(() => prisma.$disconnect());

describe('CustomerRepository', () => {
  it('finds seeded customers, CUST50 blocked, and nobody else', async () => {
    expect(await customers.findById('CUST01')).toEqual({ id: 'CUST01', name: expect.any(String), blocked: false });
    expect(await customers.findById('CUST50')).toMatchObject({ id: 'CUST50', blocked: true });
    expect(await customers.findById('CUST51')).toBeNull();
  });
});
