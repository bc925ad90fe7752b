// The ONE place an error becomes a response: GatewayError → its status, headers and OpenAI
// body; fastify's own errors (validation, body limit, media type, bad JSON) → the matching
// GatewayError; anything else → 500 internal_error, logged with the trace id, never a crash.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError, isGatewayError } from '../../shared/errors.js';

interface ValidationIssue {
  readonly instancePath?: string;
  readonly keyword?: string;
  readonly message?: string;
  readonly params?: { missingProperty?: string; additionalProperty?: string };
}

/** "/messages/0/role" → "messages[0].role" (OpenAI's param notation). */
export function toParam(instancePath: string, child?: string): string {
  let param = '';
  for (const segment of instancePath.split('/')) {
    if (segment === '') continue;
    if (/^\d+$/.test(segment)) param += `[${segment}]`;
    else param += param === '' ? segment : `.${segment}`;
  }
  if (child !== undefined) param += param === '' ? child : `.${child}`;
  return param;
}

function fromValidation(issues: readonly ValidationIssue[]): GatewayError {
  const issue = issues[0] ?? {};
  const missing = issue.params?.missingProperty;
  const param = toParam(issue.instancePath ?? '', missing);
  if (missing !== undefined) return new GatewayError('invalid_request', `Missing required parameter: '${param}'.`, { param });
  if (param === '') return new GatewayError('invalid_request', `Invalid request body: ${issue.message ?? 'invalid'}.`);
  return new GatewayError('invalid_request', `Invalid value for '${param}': ${issue.message ?? 'invalid'}.`, { param });
}

/** fastify's FST_ERR_* codes the client caused, and what they mean to a client. */
function fromFastify(error: FastifyError): GatewayError | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new GatewayError('body_too_large', 'The request body is larger than this gateway accepts (limits.body_bytes).');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new GatewayError('unsupported_media_type', 'Request bodies must be JSON (content-type: application/json).');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new GatewayError('invalid_json', 'The request body is empty; send a JSON object.');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new GatewayError('invalid_json', 'We could not parse the JSON body of your request.');
    default:
      if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
        return new GatewayError('invalid_request', error.message);
      }
      return undefined;
  }
}

export function sendError(reply: FastifyReply, error: GatewayError): void {
  // A client-gone error has nobody to answer; the socket is closed already.
  if (error.code === 'client_disconnected') return;
  reply.code(error.status);
  for (const name in error.headers) reply.header(name, error.headers[name]);
  void reply.send(error.toOpenAiBody());
}

export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (isGatewayError(error)) {
      if (error.code === 'internal_error') request.log.error({ err: error.cause ?? error, traceId: request.traceId }, 'internal error');
      sendError(reply, error);
      return;
    }
    if (error.validation !== undefined) {
      sendError(reply, fromValidation(error.validation as ValidationIssue[]));
      return;
    }
    const mapped = fromFastify(error);
    if (mapped !== undefined) {
      sendError(reply, mapped);
      return;
    }
    request.log.error({ err: error, traceId: request.traceId }, 'unexpected error');
    sendError(reply, new GatewayError('internal_error', `The gateway had an internal error (trace ${request.traceId}).`));
  });

  app.setNotFoundHandler((request, reply) => {
    sendError(reply, new GatewayError('route_not_found', `Unknown request URL: ${request.method} ${request.url.split('?')[0] ?? ''}.`));
  });
}
