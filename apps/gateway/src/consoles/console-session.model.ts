import { Field, ObjectType, registerEnumType } from '@nestjs/graphql';
import type * as contracts from '#libs/contracts';
import { DateTimeScalar } from '../graphql/scalars.js';

/** The contract's ConsoleKind, with exactly the values of the union the services use. */
export const ConsoleKind = { SERIAL: 'SERIAL', VNC: 'VNC' } as const satisfies { readonly [K in contracts.ConsoleKind]: K };
registerEnumType(ConsoleKind, { name: 'ConsoleKind' });

@ObjectType({
  description:
    'A WebSocket on the gateway holding a single-use token; connect before expiresAt (60 s after it was opened). SERIAL carries the ' +
    "console's bytes both ways in binary frames (a VM's serial port, a container's console). VNC carries RFB as websockify does, so " +
    'noVNC can connect (VMs only). The socket closes when the instance stops or is deleted, after 15 minutes without traffic, or ' +
    "within 5 s of the opening key's revocation. Each opening is an event in the instance's history.",
})
export class ConsoleSession {
  @Field() url!: string;
  @Field(() => ConsoleKind) kind!: contracts.ConsoleKind;
  @Field(() => DateTimeScalar) expiresAt!: string;
}
