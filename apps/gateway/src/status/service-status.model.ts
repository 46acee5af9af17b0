import { Field, ObjectType } from '@nestjs/graphql';

@ObjectType({ description: 'one dependency of a service, as the service itself sees it' })
export class DependencyStatus {
  @Field() name!: string;
  @Field({ description: 'up or down' }) status!: string;
}

@ObjectType({ description: 'whether a backing service answers, and how its own dependencies are' })
export class ServiceStatus {
  @Field() service!: string;
  @Field({ description: 'ok, degraded (answers, but a dependency is down) or unavailable (did not answer in time)' })
  status!: string;
  @Field(() => [DependencyStatus]) dependencies!: DependencyStatus[];
}
