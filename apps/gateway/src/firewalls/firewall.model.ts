import { Field, ID, InputType, ObjectType } from '@nestjs/graphql';
import { connectionTypes } from '../graphql/connection.js';
import { FirewallDirection, FirewallProtocol } from '../graphql/enums.js';
import { DateTimeScalar } from '../graphql/scalars.js';

@ObjectType({
  description: 'ports: one port (22) or a range (8000-8100); null for every port, and for ICMP. addresses: CIDRs the rule matches (the remote side); 0.0.0.0/0 and ::/0 for anyone.',
})
export class FirewallRule {
  @Field(() => FirewallDirection) direction!: string;
  @Field(() => FirewallProtocol) protocol!: string;
  @Field(() => String, { nullable: true }) ports!: string | null;
  @Field(() => [String]) addresses!: string[];
  @Field(() => String, { nullable: true }) description!: string | null;
}

@ObjectType({
  description: "An instance with no firewall accepts everything. With one or more attached, its inbound traffic is dropped unless a rule of an attached firewall allows it, replies to its own connections are allowed (stateful), and its outbound traffic is allowed unless an attached firewall has EGRESS rules, then only what they allow. Enforced on the instance's host within 5 s of a change, and on whatever host the instance moves to before it runs there.",
})
export class Firewall {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field(() => [FirewallRule]) rules!: FirewallRule[];
  @Field(() => DateTimeScalar) createdAt!: string;
}
export const FirewallConnection = connectionTypes(Firewall, 'Firewall', { totalCount: true });

@InputType()
export class FirewallRuleInput {
  @Field(() => FirewallDirection) direction!: 'INGRESS' | 'EGRESS';
  @Field(() => FirewallProtocol) protocol!: 'TCP' | 'UDP' | 'ICMP';
  @Field(() => String, { nullable: true }) ports?: string | null;
  @Field(() => [String]) addresses!: string[];
  @Field(() => String, { nullable: true }) description?: string | null;
}

@InputType()
export class CreateFirewallInput {
  @Field() name!: string;
  @Field(() => [FirewallRuleInput]) rules!: FirewallRuleInput[];
  @Field(() => [ID], { nullable: true }) instanceIds?: string[] | null;
}
