export * from './prisma';
export * from './sql';
