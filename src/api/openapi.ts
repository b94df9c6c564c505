/** The OpenAPI 3.1 document, generated from the declared routes and their zod schemas. */
import {
  createDocument,
  type ZodOpenApiOperationObject,
  type ZodOpenApiPathsObject,
  type ZodOpenApiResponseObject,
} from 'zod-openapi';
import type { z } from 'zod';
import { ENGINE_VERSION } from '../version';
import type { RouteSpec } from './route';
import { errorSchema } from './schemas';

const ERROR_TEXT: Record<number, string> = {
  400: 'Invalid input: `details` lists each field and reason',
  401: 'Missing or invalid API key',
  403: 'This API key may not use this route',
  404: 'Not found (or belongs to another tenant)',
  409: 'Conflicts with the current state',
  413: 'Body too large',
  415: 'Body is not application/json, or its Content-Encoding or charset is not supported',
  429: 'Too many requests for this API key, or too many failed authentications from this address: see Retry-After',
};

export function toOpenApiPath(expressPath: string): string {
  return expressPath.replace(/:(\w+)/g, '{$1}');
}

function operation(spec: RouteSpec): ZodOpenApiOperationObject {
  const errors = new Set<number>(spec.errors ?? []);
  if (spec.params || spec.query || spec.body) errors.add(400);
  if (spec.body) [413, 415].forEach((s) => errors.add(s));
  if (spec.roles.length > 0) [401, 403, 429].forEach((s) => errors.add(s));
  const content = spec.success.schema ? { content: { 'application/json': { schema: spec.success.schema } } } : {};
  const headers = spec.success.headers ? { headers: spec.success.headers } : {};
  const responses: Record<string, ZodOpenApiResponseObject> = {
    [String(spec.success.status)]: { description: spec.success.description, ...content, ...headers },
    ...(spec.success.accepted ? { '202': { description: spec.success.accepted, ...content } } : {}),
  };
  for (const status of [...errors].sort()) {
    const codes = spec.errorCodes?.[status];
    responses[String(status)] = {
      description: `${ERROR_TEXT[status] ?? 'Error'}${codes ? `. ${codes}` : ''}`,
      content: { 'application/json': { schema: errorSchema } },
    };
  }
  return {
    operationId: `${spec.method}${toOpenApiPath(spec.path)
      .replace(/[{}]/g, '')
      .replace(/[/-](\w)/g, (_m, c: string) => c.toUpperCase())}`,
    summary: spec.summary,
    tags: [spec.tag],
    ...(spec.roles.length > 0 ? { security: [{ apiKey: [] }] } : {}),
    ...(spec.params || spec.query
      ? {
          requestParams: {
            ...(spec.params ? { path: spec.params as z.ZodObject } : {}),
            ...(spec.query ? { query: spec.query as z.ZodObject } : {}),
          },
        }
      : {}),
    ...(spec.body ? { requestBody: { content: { 'application/json': { schema: spec.body } } } } : {}),
    responses: responses,
  };
}

export function buildOpenApiDocument(routes: RouteSpec[]) {
  const paths: ZodOpenApiPathsObject = {};
  for (const spec of routes) {
    const path = toOpenApiPath(spec.path);
    paths[path] = { ...paths[path], [spec.method]: operation(spec) };
  }
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Docflo Webhooks admin API',
      version: ENGINE_VERSION,
      description:
        'Manage webhooks, publish platform events, inspect and redeliver deliveries. Authenticate with `Authorization: Bearer <api key>`.',
    },
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'A tenant, platform or operator API key' },
      },
    },
    paths,
  });
}
