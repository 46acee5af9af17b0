import { AppError, CONSOLE_KINDS, isUuid, type ConsoleClosedData, type ConsoleKind, type ConsoleOpenedData } from '#libs/contracts';
import type { DomainEvent } from '#libs/event-store';
import type { InstanceState } from '../instances/instance.decider.js';

/**
 * The console part of an instance's decider: each session opened on it and closed is a fact of
 * its history (who, which console, how long). They change nothing else: not its status, not the
 * operation under way, and a session ends (is recorded closed) whatever the instance became.
 */
export type ConsoleEvent = DomainEvent<'ConsoleOpened', ConsoleOpenedData> | DomainEvent<'ConsoleClosed', ConsoleClosedData>;

export const CONSOLE_EVENT_TYPES = ['ConsoleOpened', 'ConsoleClosed'] as const satisfies readonly ConsoleEvent['type'][];

export type ConsoleCommand =
  | { type: 'OpenConsole'; session: ConsoleOpenedData }
  /** The gateway's session ended after `durationMs`, for `reason`. */
  | { type: 'CloseConsole'; sessionId: string; durationMs: number; reason: string };

/** The console sessions open on an instance, by id, with their kinds. */
export type OpenConsoles = Record<string, ConsoleKind>;

/** The sessions open on the instance; a state stored before consoles has none. */
export const consolesOf = (state: InstanceState): OpenConsoles => state.consoles ?? {};

const MAX_REASON_LENGTH = 500;

/**
 * Whether its guest runs, in place: RUNNING, or rebooting or resizing from there (a session may
 * connect in the minute after it was granted, and a console is kept through both).
 */
const guestRuns = (state: InstanceState) =>
  state.status === 'RUNNING' || state.status === 'REBOOTING' || (state.status === 'RESIZING' && state.statusBeforeResize === 'RUNNING');

export function decideConsole(command: ConsoleCommand, state: InstanceState): ConsoleEvent[] {
  switch (command.type) {
    case 'OpenConsole': {
      const { sessionId, kind } = command.session;
      if (!isUuid(sessionId)) throw AppError.badInput('sessionId', 'must be a UUID');
      if (!CONSOLE_KINDS.includes(kind)) throw AppError.badInput('kind', `must be one of ${CONSOLE_KINDS.join(', ')}`);
      if (consolesOf(state)[sessionId]) return []; // asked again: opened once
      if (kind === 'VNC' && state.kind !== 'VM') throw AppError.badInput('kind', "VNC is a VM's display: a container has a SERIAL console only");
      if (!guestRuns(state)) throw AppError.conflict(`cannot open a console of an instance that is ${state.status}: it must be RUNNING`);
      return [{ type: 'ConsoleOpened', data: command.session }];
    }
    case 'CloseConsole': {
      const kind = consolesOf(state)[command.sessionId];
      if (!kind) return []; // never opened, or closed already
      const durationMs = Number.isSafeInteger(command.durationMs) && command.durationMs > 0 ? command.durationMs : 0;
      const reason = typeof command.reason === 'string' && command.reason ? command.reason.slice(0, MAX_REASON_LENGTH) : 'closed';
      return [{ type: 'ConsoleClosed', data: { sessionId: command.sessionId, kind, durationMs, reason } }];
    }
  }
}

/** `state` is the instance after the event, its version counted: only its open sessions change. */
export function evolveConsoles(state: InstanceState, event: ConsoleEvent): InstanceState {
  const { [event.data.sessionId]: _closed, ...others } = consolesOf(state);
  return { ...state, consoles: event.type === 'ConsoleOpened' ? { ...others, [event.data.sessionId]: event.data.kind } : others };
}
