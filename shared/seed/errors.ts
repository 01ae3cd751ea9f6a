// Expected failures of the seed commands (bad options, a non-empty OLTP, an incremental day
// already applied or a clock behind the data). They carry a message meant for the person at the
// terminal; scripts/ print them as one line (see scripts/cli.ts UsageError).
export class SeedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SeedError';
  }
}
