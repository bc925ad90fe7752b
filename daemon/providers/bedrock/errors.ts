// Bedrock errors → GatewayError. HTTP errors carry {"message"} and the type in the
// x-amzn-errortype header; errors inside a ConverseStream arrive as event-stream messages of
// type "exception" (:exception-type throttlingException, validationException, …).
import type { GatewayError } from '../../../shared/errors.js';
import { excerpt, parseErrorJson, upstreamHttpError } from '../upstream-error.js';

const EXCEPTION_STATUS: Record<string, number> = {
  throttlingException: 429,
  validationException: 400,
  accessDeniedException: 403,
  resourceNotFoundException: 404,
  serviceQuotaExceededException: 429,
  modelNotReadyException: 503,
  serviceUnavailableException: 503,
  modelTimeoutException: 504,
  internalServerException: 500,
  modelStreamErrorException: 502,
};

function messageOf(raw: string): string {
  const body = parseErrorJson(raw);
  const message = body?.['message'] ?? body?.['Message'];
  return typeof message === 'string' ? message : excerpt(raw);
}

export function mapBedrockError(status: number, raw: string, headers: Readonly<Record<string, string>>): GatewayError {
  const type = headers['x-amzn-errortype']?.split(':')[0];
  return upstreamHttpError('bedrock', status, `${type === undefined || type === '' ? '' : `${type}: `}${messageOf(raw)}`, headers);
}

export function streamException(type: string, raw: string): GatewayError {
  return upstreamHttpError('bedrock', EXCEPTION_STATUS[type] ?? 502, `${type}: ${messageOf(raw)}`);
}
