import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import { firstValueFrom, timeout, TimeoutError } from 'rxjs';
import { AppError } from './app-error.js';

export const NATS_CLIENT = Symbol('NATS_CLIENT');
export const DEFAULT_REQUEST_TIMEOUT_MS = 5000;

/**
 * Request-reply to another service over NATS. Every request has a deadline: a service that
 * is down, slow or absent yields UNAVAILABLE (safe to retry), and a refusal arrives as the
 * AppError the service threw, with its contract code.
 */
@Injectable()
export class ServiceClient implements OnApplicationShutdown {
  constructor(@Inject(NATS_CLIENT) private readonly client: ClientProxy) {}

  async request<Result>(subject: string, payload: unknown, timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS): Promise<Result> {
    try {
      return await firstValueFrom(this.client.send<Result>(subject, payload ?? {}).pipe(timeout(timeoutMs)));
    } catch (error) {
      if (error instanceof TimeoutError) {
        throw AppError.unavailable(`${subject} did not answer within ${timeoutMs} ms`);
      }
      // A reply's error arrives as a plain object; an Error instance is the transport failing.
      if (error instanceof Error) throw AppError.unavailable(`${subject}: ${error.message}`);
      throw AppError.fromWire(error);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}
