export * from './prisma';
export { inTransaction, poolOf } from './sql';
