import { ApiError, OperationFailed } from '../cli-errors.js';
import type { Session } from '../command-kit.js';
import { instanceState, instanceUpdated, type InstanceState } from './instances.operations.js';

/** How often the instance is read as well: its updates may begin before the subscription does, and a proxy may not pass WebSockets. */
const POLL_MS = 3000;
const RETRIED = new Set(['UNAVAILABLE', 'RATE_LIMITED']);
const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * Waits until the instance is where `reached` says, following its status changes (the API's
 * instanceUpdated subscription, and a read every few seconds). Shows its progress on stderr: a
 * spinner with the status on a terminal, a line per status otherwise. An instance that ends in
 * ERROR, or is still on its way after `timeoutSeconds`, is an OperationFailed.
 */
export async function waitForInstance(session: Session, id: string, goal: string, reached: (state: InstanceState) => boolean, timeoutSeconds: number): Promise<InstanceState> {
  const client = session.client();
  const stderr = session.io.stderr;
  const startedAt = Date.now();
  let last: InstanceState | null = null;
  let frame = 0;
  const show = () => {
    if (!last) return;
    const seconds = Math.floor((Date.now() - startedAt) / 1000);
    stderr.write(`\r\x1b[K${SPINNER[frame++ % SPINNER.length]} ${last.name}: ${last.status}, waiting for ${goal} (${seconds}s)`);
  };
  const spinner = stderr.isTTY ? setInterval(show, 100) : null;

  let cleanup = () => undefined as void;
  try {
    return await new Promise<InstanceState>((resolve, reject) => {
      const seen = (state: InstanceState | null) => {
        if (!state) return reject(new ApiError('NOT_FOUND', `instance ${id}`));
        if (state.id !== id) return;
        if (!stderr.isTTY && state.status !== last?.status) stderr.write(`${state.name}: ${state.status}\n`);
        last = state;
        if (reached(state)) resolve(state);
        else if (state.status === 'ERROR' || state.status === 'DELETED') reject(new OperationFailed(`instance ${state.name} (${id}) is ${state.status}, not ${goal}`));
      };
      // A busy API (UNAVAILABLE, RATE_LIMITED) is asked again at the next read; any other refusal ends the wait.
      const poll = () =>
        client.request(instanceState, { id }).then(
          (data) => seen(data.instance),
          (error) => (error instanceof ApiError && RETRIED.has(error.code) ? undefined : reject(error)),
        );
      // A subscription that fails leaves the reads to carry on.
      const unsubscribe = client.subscribe(instanceUpdated, { id }, { next: (data) => seen(data.instanceUpdated), error: () => undefined });
      const timer = setInterval(poll, POLL_MS);
      const deadline = setTimeout(
        () => reject(new OperationFailed(`instance ${last?.name ?? id} is still ${last?.status ?? 'not seen'} after ${timeoutSeconds} s, not ${goal}: awan instances get ${id}`)),
        timeoutSeconds * 1000,
      );
      cleanup = () => {
        unsubscribe();
        clearInterval(timer);
        clearTimeout(deadline);
      };
      void poll();
    });
  } finally {
    cleanup();
    if (spinner) {
      clearInterval(spinner);
      stderr.write('\r\x1b[K');
    }
  }
}
