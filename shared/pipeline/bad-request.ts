// A request the HTTP API refuses (status 400): the message names the field and what was expected.
export class BadRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadRequestError';
  }
}
