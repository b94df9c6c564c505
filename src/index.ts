/** The package's public surface for receivers: verify Docflo deliveries. */
export { verifyWebhook, type VerifyOptions, type VerifyResult, type HeaderBag } from './receiver/verify';
export { docfloWebhookMiddleware, type MiddlewareOptions } from './receiver/express';
