// Errors on /v1/messages in Anthropic's shape {"type":"error","error":{"type","message"}}, so
// the Anthropic SDK raises its own typed errors (AuthenticationError, RateLimitError, …).
// Registered as the error handler of the /v1/messages plugin only (fastify scopes it), so
// host-guard, auth, validation and upstream errors on this route all answer this way.
import type { FastifyError, FastifyInstance } from 'fastify';
import { GatewayError, isGatewayError } from '../../../shared/errors.js';
import type { AnthropicErrorBody } from '../../../shared/schemas/anthropic.js';

const TYPE_BY_STATUS: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  503: 'overloaded_error',
  504: 'timeout_error',
};

export function toAnthropicError(error: GatewayError): AnthropicErrorBody {
  const type = TYPE_BY_STATUS[error.status] ?? (error.status >= 500 ? 'api_error' : 'invalid_request_error');
  return { type: 'error', error: { type, message: error.param === null ? error.message : `${error.param}: ${error.message}` } };
}

/** fastify's own errors (validation, body size, bad JSON) as GatewayErrors. */
export function asGatewayError(error: FastifyError): GatewayError {
  if (isGatewayError(error)) return error;
  if (error.validation !== undefined) return new GatewayError('invalid_request', `Invalid request body: ${error.message}`);
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new GatewayError('body_too_large', 'The request body is larger than this gateway accepts (limits.body_bytes).');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new GatewayError('unsupported_media_type', 'Request bodies must be JSON (content-type: application/json).');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new GatewayError('invalid_json', 'We could not parse the JSON body of your request.');
    default:
      if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) return new GatewayError('invalid_request', error.message);
      return new GatewayError('internal_error', 'The gateway had an internal error.', { cause: error });
  }
}

export function registerAnthropicErrors(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const failure = asGatewayError(error);
    if (failure.code === 'client_disconnected') return;
    if (failure.code === 'internal_error') request.log.error({ err: failure.cause ?? failure, traceId: request.traceId }, 'internal error');
    void reply.code(failure.status).headers(failure.headers).send(toAnthropicError(failure));
  });
}
