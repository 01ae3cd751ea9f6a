// A request the HTTP API refuses before doing anything: the message names the field and what was
// expected. The status is 400 unless the request is refused for its form rather than its content:
// 413 (body too large) or 415 (not application/json).
export type RefusalStatus = 400 | 413 | 415;

export class BadRequestError extends Error {
  constructor(
    message: string,
    readonly status: RefusalStatus = 400,
  ) {
    super(message);
    this.name = 'BadRequestError';
  }
}
