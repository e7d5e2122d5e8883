import type { Customer } from '@orderline/contracts';
import { poolOf, type PrismaClient } from '@orderline/db';

export class CustomerRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** The customers that exist among `ids` (unknown ids are simply absent). Once per batch of orders: plain SQL (libs/db sql.ts). */
  async findMany(ids: string[]): Promise<Customer[]> {
    const { rows } = await poolOf(this.prisma).query<Customer>('SELECT id, name, blocked FROM customers WHERE id = ANY($1::text[])', [ids]);
    return rows;
  }
}
