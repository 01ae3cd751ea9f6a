// The InvocationContext the local host hands to a handler: what the real host passes (function
// name, invocation id, trigger metadata), with the handler's context.log lines sent to the host's log.
import functions, { type InvocationContext } from '@azure/functions';

/** Where the local host writes its lines (stdout for `npm start`, an array in tests). */
export type HostLog = (line: string) => void;

// @azure/functions is CommonJS: in ESM its classes come from the default import
const { InvocationContext: Context } = functions;

export function invocationContext(functionName: string, log: HostLog, triggerMetadata: Record<string, unknown> = {}): InvocationContext {
  return new Context({
    functionName,
    invocationId: crypto.randomUUID(),
    triggerMetadata,
    logHandler: (level, ...args) => log(`[${functionName}] ${level}: ${args.map(String).join(' ')}`),
  });
}
