// Structured logs through the Functions invocation context (so the host ties them to the
// invocation and ships them to Application Insights).
import { structuredLogger, type Logger } from './logger.js';

interface InvocationLog {
  invocationId: string;
  functionName: string;
  log(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

export const invocationLogger = (context: InvocationLog): Logger =>
  structuredLogger((level, line) => (level === 'info' ? context.log(line) : context[level](line)), {
    function: context.functionName,
    invocationId: context.invocationId,
  });
