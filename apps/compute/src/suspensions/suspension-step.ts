import type { InstanceState } from '../instances/instance.decider.js';

/** What a suspension does to one of the account's instances: stop it now, wait until it can be stopped, or leave it. */
export type SuspensionStep = 'stop' | 'wait' | 'leave';

/**
 * A RUNNING instance with nothing under way is stopped. One that is stopped, failed or deleted,
 * or already being stopped or deleted, is left. Anything else is on its way to running
 * (provisioning, starting, rebooting, resizing) and cannot be stopped until it gets there,
 * except a resize of a stopped instance, which ends stopped.
 */
export function suspensionStep(state: InstanceState): SuspensionStep {
  const { status, operation } = state;
  if (operation === null) return status === 'RUNNING' ? 'stop' : 'leave';
  if (operation.kind === 'stop' || operation.kind === 'delete') return 'leave';
  if (operation.kind === 'resize' && state.statusBeforeResize === 'STOPPED') return 'leave';
  return 'wait';
}
