// Entra (AAD) authenticated ingestion for Application Insights. With the component's local
// authentication disabled, only telemetry sent with a token of an identity holding "Monitoring
// Metrics Publisher" is accepted. The platform's convention is APPLICATIONINSIGHTS_AUTHENTICATION_STRING
// = 'Authorization=AAD;ClientId=<user-assigned identity>' ('Authorization=AAD' alone: the system-assigned
// identity). The host's own telemetry reads it; the applicationinsights 3.x TelemetryClient does not,
// so the sink hands it this credential itself.
import type { TokenCredential } from '@azure/identity';
import { GUID, keyValue } from '../db/connection-string.js';

export class AuthenticationStringError extends Error {
  constructor(message: string) {
    super(`APPLICATIONINSIGHTS_AUTHENTICATION_STRING: ${message}`);
    this.name = 'AuthenticationStringError';
  }
}

/** The managed identity an authentication string names; null when the setting is empty (key-based ingestion). */
export function parseAuthenticationString(value: string | undefined): { clientId?: string } | null {
  if (value === undefined || value.trim() === '') return null;
  if (keyValue(value, ['authorization'])?.toUpperCase() !== 'AAD') throw new AuthenticationStringError("expected 'Authorization=AAD;ClientId=<client id>'");
  const clientId = keyValue(value, ['clientid']);
  if (clientId === undefined || clientId === '') return {};
  if (!GUID.test(clientId)) throw new AuthenticationStringError('ClientId is not a GUID');
  return { clientId };
}

/** The credential the telemetry client sends with, or undefined for key-based ingestion. */
export async function ingestionCredential(value: string | undefined): Promise<TokenCredential | undefined> {
  const identity = parseAuthenticationString(value);
  if (identity === null) return undefined;
  const { ManagedIdentityCredential } = await import('@azure/identity');
  return new ManagedIdentityCredential(identity.clientId !== undefined ? { clientId: identity.clientId } : {});
}
