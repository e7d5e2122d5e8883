import { routeLabel } from './http-metrics';

describe('routeLabel', () => {
  it('is the matched route pattern, never the raw path', () => {
    expect(routeLabel({ route: { path: '/api/v1/orders/:id' }, baseUrl: '' })).toBe('/api/v1/orders/:id');
  });

  it('keeps the mount point of a sub-app (the API docs)', () => {
    expect(routeLabel({ route: undefined, baseUrl: '/api/docs' })).toBe('/api/docs');
  });

  it('puts every request no route matched under one label', () => {
    expect(routeLabel({ route: undefined, baseUrl: '' })).toBe('unmatched');
  });
});
