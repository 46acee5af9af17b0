import { MessagePattern } from '@nestjs/microservices';
import { agentSubject, type AgentCommands, type ReplyOf, type RequestOf, type Subject } from '#libs/contracts';

type Handler<Request, Reply> = (payload: Request, ...rest: never[]) => Reply | Promise<Reply>;

/**
 * Answers `subject` (a Nest message pattern), with the handler checked against the subject's
 * contract: it takes what callers send and answers what they expect, or the build fails.
 */
export function Handles<S extends Subject>(subject: S) {
  return <H extends Handler<RequestOf<S>, ReplyOf<S>>>(target: object, key: string | symbol, descriptor: TypedPropertyDescriptor<H>) => {
    MessagePattern(subject)(target, key, descriptor);
  };
}

/** Answers a command of this host's agent, checked against AgentCommands as Handles checks a service's. */
export function HandlesAgentCommand<C extends keyof AgentCommands>(hostId: string, command: C) {
  return <H extends Handler<AgentCommands[C]['request'], AgentCommands[C]['reply']>>(target: object, key: string | symbol, descriptor: TypedPropertyDescriptor<H>) => {
    MessagePattern(agentSubject(hostId, command))(target, key, descriptor);
  };
}
