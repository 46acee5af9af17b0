import { Field, ID, InputType, Int, ObjectType } from '@nestjs/graphql';
import { connectionTypes } from '../graphql/connection.js';
import { InvoiceStatus } from '../graphql/enums.js';
import { Money } from '../graphql/common.model.js';
import { DateTimeScalar, DecimalScalar } from '../graphql/scalars.js';

@ObjectType()
export class UsageSegment {
  @Field(() => ID) resourceId!: string;
  @Field({ description: 'the plan (or other priced item) the resource had during this segment' }) sku!: string;
  @Field() state!: string;
  @Field(() => DateTimeScalar) startedAt!: string;
  @Field(() => DateTimeScalar, { nullable: true }) endedAt!: string | null;
  @Field(() => Int) seconds!: number;
}

@ObjectType({
  description: 'One line per resource and priced item (sku) in the period: quantity × unitPrice = amount on every line; a monthly cap, or a late-usage adjustment, is a line of its own.',
})
export class InvoiceLine {
  @Field(() => ID) id!: string;
  @Field() description!: string;
  @Field(() => ID, { nullable: true }) resourceId!: string | null;
  @Field() resourceType!: string;
  @Field() sku!: string;
  @Field(() => DecimalScalar) quantity!: string;
  @Field() unit!: string;
  @Field(() => Money) unitPrice!: Money;
  @Field(() => Money) amount!: Money;
  @Field(() => DateTimeScalar) periodStart!: string;
  @Field(() => DateTimeScalar) periodEnd!: string;
  @Field(() => [UsageSegment], { description: 'the metered usage this line was rated from' }) usage!: UsageSegment[];
}

@ObjectType()
export class CreditNote {
  @Field(() => ID) id!: string;
  @Field() number!: string;
  @Field(() => Money) amount!: Money;
  @Field() reason!: string;
  @Field(() => DateTimeScalar) issuedAt!: string;
}

@ObjectType()
export class Invoice {
  @Field(() => ID) id!: string;
  @Field(() => String, { nullable: true, description: 'gapless per issuer once finalized; null while DRAFT' }) number!: string | null;
  @Field(() => InvoiceStatus) status!: string;
  @Field() currency!: string;
  @Field(() => DateTimeScalar) periodStart!: string;
  @Field(() => DateTimeScalar) periodEnd!: string;
  @Field(() => [InvoiceLine]) lines!: InvoiceLine[];
  @Field(() => Money) subtotal!: Money;
  @Field(() => Money) tax!: Money;
  @Field(() => Money) total!: Money;
  @Field(() => DateTimeScalar, { nullable: true }) issuedAt!: string | null;
  @Field(() => DateTimeScalar, { nullable: true }) paidAt!: string | null;
  @Field(() => [CreditNote]) creditNotes!: CreditNote[];
}
export const InvoiceConnection = connectionTypes(Invoice, 'Invoice', { totalCount: true });

@InputType()
export class IssueCreditNoteInput {
  @Field(() => ID) invoiceId!: string;
  @Field(() => DecimalScalar) amount!: string;
  @Field() reason!: string;
}
