/**
 * `GET /openapi.json`: the gateway as an OpenAPI 3.1 document, generated from the same things
 * that serve it: the routes of `gatewayRoutes()` and, for each request kind, the zod schemas of
 * its parameters (as a client sends them) and of its answer (z.toJSONSchema, JSON Schema
 * 2020-12, which OpenAPI 3.1 uses as is). Built once per process.
 */
import { z } from 'zod';
import { ErrorResponseSchema, ProtocolInfoSchema, REQUESTS, isRequestKind, type RequestDefinition } from '../protocol/index.js';
import type { RouteEntry } from './routes/requests.js';
import { gatewayRoutes, isPublicRoute } from './routes/table.js';

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

const json = (schema: JsonSchema) => ({ 'application/json': { schema } });
const ERROR_RESPONSE = { description: 'a refusal: the status of its code (docs/http-gateway.md, "Status mapping")', content: json({ $ref: '#/components/schemas/Error' }) };

/** `/intents/:id/events` → `/intents/{id}/events`, and the names of its path parameters. */
function openApiPath(path: string): { path: string; names: string[] } {
  const names = [...path.matchAll(/:([A-Za-z_]+)/g)].map((m) => m[1]!);
  return { path: path.replace(/:([A-Za-z_]+)/g, '{$1}'), names };
}

function requestOperation(route: RouteEntry, definition: RequestDefinition, pathNames: string[]): JsonSchema {
  const params = jsonSchema(definition.params, 'input');
  const properties = (params.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((params.required ?? []) as string[]);
  const inPath = pathNames.map((name) => ({ name, in: 'path', required: true, schema: properties[name] ?? { type: 'string' } }));
  const operation: JsonSchema = {
    operationId: route.name,
    summary: route.summary,
    'x-request-kind': definition.kind,
    'x-mutates': definition.mutates,
  };
  if (route.method === 'GET') {
    const query = Object.entries(properties)
      .filter(([name]) => !pathNames.includes(name))
      .map(([name, schema]) => ({ name, in: 'query', required: required.has(name), schema }));
    operation.parameters = [...inPath, ...query];
  } else {
    if (inPath.length > 0) operation.parameters = inPath;
    operation.requestBody = { required: false, description: 'the parameters as one JSON object (empty body: {})', content: json(params) };
  }
  operation.responses = { '200': { description: `the ${definition.kind} answer`, content: json(jsonSchema(definition.response, 'output')) }, default: ERROR_RESPONSE };
  return operation;
}

function otherOperation(route: RouteEntry): JsonSchema {
  const isPublic = isPublicRoute(route);
  const body: Record<string, unknown> = {
    health: json({ type: 'object', properties: { status: { const: 'ok' } }, required: ['status'] }),
    version: json(jsonSchema(ProtocolInfoSchema, 'output')),
    openapi: json({ type: 'object', description: 'this document' }),
    console_page: { 'text/html': { schema: { type: 'string' } } },
    console_asset: { 'text/javascript': { schema: { type: 'string' } }, 'text/css': { schema: { type: 'string' } } },
    console_login: json({ type: 'object' }),
    console_whoami: json({ type: 'object' }),
  };
  return {
    operationId: route.name,
    summary: route.summary,
    ...(isPublic ? { security: [] } : {}),
    responses: {
      '200': { description: route.summary, content: body[route.name] ?? { 'text/event-stream': { schema: { type: 'string' } } } },
      default: ERROR_RESPONSE,
    },
  };
}

function buildDocument(version: string): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of gatewayRoutes()) {
    const { path, names } = openApiPath(route.path);
    const operation = isRequestKind(route.name)
      ? requestOperation(route, REQUESTS[route.name], names)
      : otherOperation(route);
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: operation };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'covenantd HTTP gateway', version, description: 'The requests of the covenantd socket over HTTP (docs/http-gateway.md).' },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'a peer token (the operator token is $COVENANT_HOME/peers/operator.token)' } },
      schemas: { Error: jsonSchema(ErrorResponseSchema, 'output') },
    },
    paths,
  };
}

let built: { version: string; document: JsonSchema } | null = null;

export function openApiDocument(version: string): JsonSchema {
  if (built?.version !== version) built = { version, document: buildDocument(version) };
  return built.document;
}
