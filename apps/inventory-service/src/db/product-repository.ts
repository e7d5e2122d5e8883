import type { Product } from '@orderline/contracts';
import type { PrismaClient } from '@orderline/db';

const columns = { id: true, name: true, description: true, unitPrice: true, availableQuantity: true } as const;

type ProductRow = { id: string; name: string; description: string; unitPrice: { toFixed(digits: number): string }; availableQuantity: number };

const toProduct = (row: ProductRow): Product => ({ ...row, unitPrice: row.unitPrice.toFixed(2) });

export class ProductRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async findById(id: string): Promise<Product | null> {
    const row = await this.prisma.product.findUnique({ where: { id }, select: columns });
    return row ? toProduct(row) : null;
  }

  /** One page ordered by id; the cursor is the last id of the previous page. */
  async list(limit: number, cursor?: string): Promise<{ items: Product[]; nextCursor: string | null }> {
    const rows = await this.prisma.product.findMany({
      select: columns,
      where: cursor ? { id: { gt: cursor } } : {},
      orderBy: { id: 'asc' },
      take: limit + 1,
    });
    const items = rows.slice(0, limit).map(toProduct);
    return { items, nextCursor: rows.length > limit ? items[items.length - 1].id : null };
  }
}
