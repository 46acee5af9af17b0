import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { RequestOf } from '#libs/contracts';
import { Handles, scopeOf } from '#libs/messaging';
import { InstanceConsoles } from './consoles.js';

/** `compute.instance.console.*`: the gateway's console sessions, recorded in their instances' histories. */
@Controller()
export class ConsolesController {
  constructor(private readonly consoles: InstanceConsoles) {}

  @Handles('compute.instance.console.open')
  open(@Payload() payload: RequestOf<'compute.instance.console.open'>) {
    return this.consoles.open(payload, scopeOf(payload));
  }

  @Handles('compute.instance.console.close')
  close(@Payload() payload: RequestOf<'compute.instance.console.close'>) {
    return this.consoles.close(payload, scopeOf(payload));
  }
}
