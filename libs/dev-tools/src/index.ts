export * from './system';
export * from './tokens';
export * from './wait-for';
export * from './restock';
