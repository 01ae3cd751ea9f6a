// Whether this process runs inside the Azure Functions Node worker (the real host). The worker
// provides the built-in module '@azure/functions-core' by intercepting require(); @azure/functions
// registers functions through it, and without it prints a test-mode warning for every app.http /
// app.timer / app.storageQueue call. The function files register only when this is true, so the
// local host, the CLIs and the tests (which call the handlers directly) start quietly.
// This file lives in a subfolder so the host's "main" glob (dist/functions/*.js) does not load it
// as a function file.
import { createRequire } from 'node:module';

function hasFunctionsCore(): boolean {
  try {
    // the same lookup @azure/functions makes (utils/tryGetCoreApiLazy.ts)
    createRequire(import.meta.url)('@azure/functions-core');
    return true;
  } catch {
    return false;
  }
}

export const underFunctionsHost = hasFunctionsCore();
