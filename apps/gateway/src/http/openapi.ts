import { z } from 'zod';
import { OrderEventTypes, WebhookHeaders, apiRoutes, webhookEvents, type ApiRoute } from '@orderline/contracts';

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output') =>
  z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' });

/** OpenAPI 3.1, generated from the same zod schemas the gateway validates with. */
export function buildOpenApiDocument(routes: Record<string, ApiRoute> = apiRoutes) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [operationId, route] of Object.entries(routes)) {
    const parameters = [
      ...objectParameters(route.params, 'path'),
      ...objectParameters(route.query, 'query'),
      ...(route.headers ?? []).map((header) => ({
        name: header.name,
        in: 'header',
        required: header.required ?? false,
        description: header.description,
        schema: jsonSchema(header.schema, 'input'),
      })),
    ];
    paths[route.path] ??= {};
    paths[route.path][route.method] = {
      operationId,
      summary: route.summary,
      ...(route.role ? { description: `Only for tokens with role \`${route.role}\` (others: 403).` } : {}),
      tags: [route.tag],
      ...(route.auth ? { security: [{ bearer: [] }] } : { security: [] }),
      ...(parameters.length ? { parameters } : {}),
      ...(route.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body, 'input') } } } }
        : {}),
      responses: Object.fromEntries(
        Object.entries(route.responses).map(([status, response]) => [
          status,
          {
            description: response.description,
            ...(response.headers
              ? {
                  headers: Object.fromEntries(
                    Object.entries(response.headers).map(([name, header]) => [
                      name,
                      { description: header.description, schema: jsonSchema(header.schema, 'output') },
                    ]),
                  ),
                }
              : {}),
            ...(response.events
              ? {
                  content: {
                    'text/event-stream': {
                      // OpenAPI 3.1 has no schema for an event stream: the stream is text, its events described by an extension
                      schema: {
                        type: 'string',
                        description: 'text/event-stream (https://html.spec.whatwg.org/multipage/server-sent-events.html)',
                      },
                      'x-sse-events': { types: response.events.types, data: jsonSchema(response.events.data, 'output') },
                    },
                  },
                }
              : {}),
            ...(response.schema
              ? {
                  content: {
                    [Number(status) >= 400 ? 'application/problem+json' : 'application/json']: {
                      schema: jsonSchema(response.schema, 'output'),
                    },
                  },
                }
              : {}),
          },
        ]),
      ),
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'orderline',
      version: '1.0.0',
      description: 'Order-processing API. Errors are RFC 9457 application/problem+json; every response carries x-correlation-id.',
    },
    servers: [{ url: '/' }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    paths,
    webhooks: webhookOperations(),
  };
}

/** OpenAPI 3.1 `webhooks`: the requests notification-service sends to registered URLs, one per order event type. */
function webhookOperations() {
  const header = (name: string, description: string) => ({ name, in: 'header', required: true, description, schema: { type: 'string' } });
  return Object.fromEntries(
    OrderEventTypes.map((type) => [
      type,
      {
        post: {
          operationId: `webhook${type}`,
          summary: `${type}: an order event, POSTed to each webhook registered for it`,
          description: webhookEvents.description,
          tags: ['webhooks'],
          parameters: [
            header(WebhookHeaders.eventId, "the event id (the body's `id`), the same on every retry"),
            header(WebhookHeaders.eventType, `\`${type}\``),
            header(WebhookHeaders.signature, 't=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>'),
          ],
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: jsonSchema(webhookEvents.schema.extend({ type: z.literal(type) }), 'output') },
            },
          },
          responses: {
            '2XX': { description: 'received: not sent again' },
            default: { description: 'anything else (or no answer within the timeout): sent again later' },
          },
        },
      },
    ]),
  );
}

function objectParameters(schema: z.ZodObject | undefined, location: 'path' | 'query') {
  if (!schema) return [];
  return Object.entries(schema.shape).map(([name, field]) => ({
    name,
    in: location,
    required: location === 'path' || !(field as z.ZodType).safeParse(undefined).success,
    schema: jsonSchema(field as z.ZodType, 'input'),
  }));
}
