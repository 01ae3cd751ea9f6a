// What leaves the process (telemetry, alert e-mails, chat) must never carry a secret. Error
// messages can: a driver may echo a connection string, a URL may carry a SAS signature. This
// removes the values of the secret settings themselves and anything shaped like a credential.
const SECRET_SETTINGS = [
  'OLTP_CONNECTION_STRING',
  'DW_CONNECTION_STRING',
  'AzureWebJobsStorage',
  'APPLICATIONINSIGHTS_CONNECTION_STRING',
  'ALERT_TEAMS_WEBHOOK_URL',
];

// key=value credentials in connection strings and query strings (Password=, AccountKey=, sig=, ...)
const KEY_VALUE = /\b(password|pwd|accountkey|sharedaccesskey|sharedaccesssignature|sig|secret|token|client_secret)=([^;&\s"']+)/gi;
// user:password@ in URLs (postgres://user:secret@host)
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]+):([^@/\s]+)@/gi;

export function redact(text: string, env: NodeJS.ProcessEnv = process.env): string {
  let out = text;
  for (const name of SECRET_SETTINGS) {
    const value = env[name]?.trim();
    // short values (e.g. 'UseDevelopmentStorage=true' is not a secret, but 'true' would match everywhere)
    if (value && value.length >= 12 && !value.startsWith('UseDevelopmentStorage')) out = out.split(value).join(`<${name}>`);
  }
  return out.replace(KEY_VALUE, '$1=***').replace(URL_PASSWORD, '$1:***@');
}
