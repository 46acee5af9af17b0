import { waitFor, type Fixture } from '#libs/testing';

/** How long a bench's process has to exit on SIGTERM before it is killed. */
const STOP_GRACE_MS = 10_000;

/** Waits for `check`; on a timeout the error carries the end of the process's output. */
export async function ready(name: string, fixture: Fixture, check: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
  await waitFor(check, timeoutMs, name).catch((error: Error) => {
    throw new Error(`${error.message}\n${fixture.output().slice(-3000)}`);
  });
}

/** SIGTERM, then SIGKILL when it has not exited within STOP_GRACE_MS. */
export async function stop(fixture: Fixture): Promise<void> {
  if (fixture.child.exitCode !== null || fixture.child.signalCode !== null) return;
  fixture.child.kill('SIGTERM');
  const kill = setTimeout(() => fixture.child.kill('SIGKILL'), STOP_GRACE_MS);
  await fixture.exited;
  clearTimeout(kill);
}
