import type { Customer } from '@orderline/contracts';
import type { PrismaClient } from '@orderline/db';

export class CustomerRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** The customers that exist among `ids` (unknown ids are simply absent). */
  findMany(ids: string[]): Promise<Customer[]> {
    return this.prisma.customer.findMany({ where: { id: { in: ids } }, select: { id: true, name: true, blocked: true } });
  }
}
