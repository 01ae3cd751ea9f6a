// Entra-authenticated ingestion: APPLICATIONINSIGHTS_AUTHENTICATION_STRING makes the telemetry
// client send with the user-assigned identity's token (main.bicep sets it; with the component's
// local auth disabled, key-based telemetry, which the alerts read, would be refused).
import { ManagedIdentityCredential } from '@azure/identity';
import { AuthenticationStringError, ingestionCredential, parseAuthenticationString } from '../../shared/telemetry/aad-credential.js';
import { createClient } from '../../shared/telemetry/app-insights.js';

const CLIENT_ID = '0b5c7e4a-1d2f-4a3b-9c8d-7e6f5a4b3c2d';
const CONNECTION = 'InstrumentationKey=00000000-0000-0000-0000-000000000001;IngestionEndpoint=https://127.0.0.1:9/';

describe('APPLICATIONINSIGHTS_AUTHENTICATION_STRING', () => {
  test('names the user-assigned identity, in either order and any case', () => {
    expect(parseAuthenticationString(`ClientId=${CLIENT_ID};Authorization=AAD`)).toEqual({ clientId: CLIENT_ID });
    expect(parseAuthenticationString(`authorization=aad; clientid=${CLIENT_ID};`)).toEqual({ clientId: CLIENT_ID });
  });

  test('Authorization=AAD alone is the system-assigned identity; empty is key-based ingestion', () => {
    expect(parseAuthenticationString('Authorization=AAD')).toEqual({});
    expect(parseAuthenticationString(undefined)).toBeNull();
    expect(parseAuthenticationString('  ')).toBeNull();
  });

  test('a string that is not AAD or whose ClientId is not a GUID is refused by name', () => {
    expect(() => parseAuthenticationString(`ClientId=${CLIENT_ID}`)).toThrow(AuthenticationStringError);
    expect(() => parseAuthenticationString('Authorization=AAD;ClientId=app-identity')).toThrow(
      /APPLICATIONINSIGHTS_AUTHENTICATION_STRING: ClientId is not a GUID/,
    );
  });

  test('the credential is the managed identity, and none without the setting', async () => {
    expect(await ingestionCredential(`Authorization=AAD;ClientId=${CLIENT_ID}`)).toBeInstanceOf(ManagedIdentityCredential);
    expect(await ingestionCredential('')).toBeUndefined();
  });

  test("the SDK's exporter receives the credential; without the setting it sends with the key only", async () => {
    const withIdentity = await createClient(CONNECTION, `Authorization=AAD;ClientId=${CLIENT_ID}`);
    expect(withIdentity.config.parseConfig().azureMonitorExporterOptions?.credential).toBeInstanceOf(ManagedIdentityCredential);
    const keyOnly = await createClient(CONNECTION, undefined);
    expect(keyOnly.config.parseConfig().azureMonitorExporterOptions?.credential).toBeUndefined();
  });
});
