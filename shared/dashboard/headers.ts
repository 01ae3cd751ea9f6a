// Response headers of the dashboard pages and their assets. The page runs only its own scripts
// (no inline script, no CDN) and talks only to its own app; styles allow inline because ECharts
// positions its tooltips with style attributes. No referrer: a page opened with ?code=<function
// key> must not send its address (with the key) anywhere.
export const DASHBOARD_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
};
