import { Field, ID, InputType, ObjectType } from '@nestjs/graphql';
import { connectionTypes } from '../graphql/connection.js';
import { AccountKind, AccountStatus, Role } from '../graphql/enums.js';
import { DateTimeScalar, DecimalScalar } from '../graphql/scalars.js';

@ObjectType()
export class Account {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field(() => AccountKind) kind!: string;
  @Field(() => AccountStatus) status!: string;
  @Field() currency!: string;
  @Field(() => String, { nullable: true }) email!: string | null;
  @Field(() => DecimalScalar) taxRate!: string;
  @Field(() => DateTimeScalar) createdAt!: string;
}
export const AccountConnection = connectionTypes(Account, 'Account', { totalCount: true });

@ObjectType()
export class ApiKey {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field(() => Role) role!: string;
  @Field(() => DateTimeScalar) createdAt!: string;
  @Field(() => DateTimeScalar, { nullable: true }) lastUsedAt!: string | null;
}

@ObjectType()
export class ApiKeyWithSecret {
  @Field(() => ApiKey) apiKey!: ApiKey;
  @Field({ description: 'shown once: only its hash is kept' }) secret!: string;
}

@ObjectType()
export class CreateAccountPayload {
  @Field(() => Account) account!: Account;
  @Field(() => ApiKeyWithSecret) apiKey!: ApiKeyWithSecret;
}

@InputType()
export class CreateAccountInput {
  @Field() name!: string;
  @Field(() => AccountKind) kind!: 'PLATFORM' | 'RESELLER' | 'CUSTOMER';
  @Field(() => String, { nullable: true }) email?: string | null;
  @Field(() => String, { nullable: true }) currency?: string | null;
  @Field(() => DecimalScalar, { nullable: true }) taxRate?: string | null;
  @Field(() => ID, { nullable: true, description: "defaults to the caller's account for a RESELLER caller" }) parentId?: string | null;
}

@InputType()
export class CreateApiKeyInput {
  @Field(() => ID) accountId!: string;
  @Field() name!: string;
  @Field(() => Role) role!: 'ADMIN' | 'RESELLER' | 'CUSTOMER' | 'FINANCE';
}
