import { countThatFit, type Product } from '@orderline/contracts';
import type { PrismaClient } from '@orderline/db';

const columns = { id: true, name: true, description: true, unitPrice: true, availableQuantity: true } as const;

type ProductRow = {
  id: string;
  name: string;
  description: string;
  unitPrice: { toFixed(digits: number): string };
  availableQuantity: number;
};

const toProduct = (row: ProductRow): Product => ({ ...row, unitPrice: row.unitPrice.toFixed(2) });

export class ProductRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async findById(id: string): Promise<Product | null> {
    const row = await this.prisma.product.findUnique({ where: { id }, select: columns });
    return row ? toProduct(row) : null;
  }

  /**
   * One page ordered by id, of at most `limit` products and `maxBytes` of JSON (long names and
   * descriptions make shorter pages); the cursor is the last id of the previous page.
   */
  async list(
    limit: number,
    cursor?: string,
    maxBytes = Number.POSITIVE_INFINITY,
  ): Promise<{ items: Product[]; nextCursor: string | null }> {
    const rows = await this.prisma.product.findMany({
      select: columns,
      where: cursor ? { id: { gt: cursor } } : {},
      orderBy: { id: 'asc' },
      take: limit + 1,
    });
    const page = rows.slice(0, limit).map(toProduct);
    const items = page.slice(0, countThatFit(page, maxBytes - 256));
    const more = items.length < page.length || rows.length > limit;
    return { items, nextCursor: more ? items[items.length - 1].id : null };
  }
}
