// Structured logs: one line of JSON per event with the run's context, so a log search can
// follow a run across functions. Inside Azure Functions the handler passes context.log.
export interface Logger {
  info(message: string, props?: Record<string, unknown>): void;
  warn(message: string, props?: Record<string, unknown>): void;
  error(message: string, props?: Record<string, unknown>): void;
  /** a final failure's alert summary: one plain line (not JSON) at error level, what ops would receive */
  alert(line: string): void;
}

type Sink = (level: 'info' | 'warn' | 'error', line: string) => void;

export function structuredLogger(sink: Sink, base: Record<string, unknown> = {}): Logger {
  const emit = (level: 'info' | 'warn' | 'error') => (message: string, props?: Record<string, unknown>) =>
    sink(level, JSON.stringify({ level, message, ...base, ...props }));
  return { info: emit('info'), warn: emit('warn'), error: emit('error'), alert: (line) => sink('error', line) };
}

export const consoleLogger = (base?: Record<string, unknown>): Logger =>
  structuredLogger((level, line) => (level === 'error' ? console.error(line) : level === 'warn' ? console.warn(line) : console.log(line)), base);

export const silentLogger: Logger = { info() {}, warn() {}, error() {}, alert() {} };
