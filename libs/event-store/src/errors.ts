/** The stream moved on since it was read: re-read and decide again, never overwrite. */
export class ConcurrencyError extends Error {
  constructor(
    readonly streamId: string,
    readonly expectedVersion: number,
    readonly actualVersion: number | null,
  ) {
    super(
      `stream ${streamId} is at version ${actualVersion ?? 'unknown (concurrent append)'}, expected ${expectedVersion}`,
    );
    this.name = 'ConcurrencyError';
  }
}
