import { fold, type Decider, type DomainEvent } from '#libs/event-store';

/**
 * Given/when/then for a decider, without a database:
 * `deciderSpec(d).given([...past events]).when(command).then([...new events])` or `.thenThrows(...)`.
 */
export function deciderSpec<Command, State, Event extends DomainEvent>(decider: Decider<Command, State, Event>) {
  return {
    given(history: Event[]) {
      return {
        when(command: Command) {
          const decide = () => decider.decide(command, fold(decider, history));
          return {
            then(expected: Event[]) {
              expect(decide()).toEqual(expected);
            },
            thenThrows(expected: string | RegExp | (new (...args: never[]) => Error)) {
              expect(decide).toThrow(expected as never);
            },
          };
        },
      };
    },
  };
}
