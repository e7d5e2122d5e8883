import type { Customer } from '@orderline/contracts';
import type { PrismaClient } from '@orderline/db';

export class CustomerRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async findById(id: string): Promise<Customer | null> {
    const row = await this.prisma.customer.findUnique({ where: { id }, select: { id: true, name: true, blocked: true } });
    return row;
  }
}
