import { Field, ID, InputType, Int, ObjectType } from '@nestjs/graphql';
import { Money } from '../graphql/common.model.js';
import { HostStatus, ImageStatus, InstanceKind } from '../graphql/enums.js';
import { DateTimeScalar, DecimalScalar } from '../graphql/scalars.js';

@ObjectType()
export class Region {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field() dnsZone!: string;
}

@ObjectType()
export class Plan {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field(() => InstanceKind) kind!: string;
  @Field(() => Int) vcpus!: number;
  @Field(() => Int) memoryMb!: number;
  @Field(() => Int) diskGb!: number;
  @Field() retired!: boolean;
}

@ObjectType()
export class Image {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field() os!: string;
  @Field() version!: string;
  @Field(() => InstanceKind) kind!: string;
  @Field(() => ImageStatus) status!: string;
  @Field(() => Int, { nullable: true, description: 'size of the image file once imported' }) sizeMb!: number | null;
  // Beyond the contract: what an operator needs to act on an import.
  @Field(() => Int, { nullable: true, description: "a VM image's disk size: a plan's disk must hold it" }) virtualSizeMb!: number | null;
  @Field(() => String, { nullable: true, description: 'why an ERROR image was refused (checksum mismatch, not an image, too large, unreachable)' })
  failureReason!: string | null;
}

@ObjectType()
export class Host {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field(() => HostStatus) status!: string;
  @Field(() => [InstanceKind]) kinds!: string[];
  @Field(() => Int) vcpus!: number;
  @Field(() => Int) memoryMb!: number;
  @Field(() => Int) diskGb!: number;
  @Field(() => Int) allocatedVcpus!: number;
  @Field(() => Int) allocatedMemoryMb!: number;
  @Field(() => Int) allocatedDiskGb!: number;
  @Field(() => DateTimeScalar, { nullable: true }) lastHeartbeatAt!: string | null;
}

@InputType()
export class SetPriceInput {
  @Field(() => ID, { nullable: true, description: 'the reseller whose customers pay this price; defaults to the caller' }) accountId?: string | null;
  @Field(() => ID) planId!: string;
  @Field(() => DecimalScalar) hourlyPrice!: string;
  @Field(() => DecimalScalar) monthlyPrice!: string;
}

@ObjectType({
  description: "a storage sku's price in one list: the platform's in a currency, or a reseller's for its customers; per GB-month (a GB is 1024 MB), rated to the second",
})
export class StoragePrice {
  @Field() sku!: string;
  @Field() currency!: string;
  @Field(() => Money) monthlyPrice!: Money;
}

@InputType()
export class SetStoragePriceInput {
  @Field(() => ID, { nullable: true, description: 'the reseller whose customers pay this price; defaults to the caller' }) accountId?: string | null;
  @Field(() => String, { nullable: true, description: "the platform's price in this currency (ADMIN); defaults to the platform's currency, and a reseller's is its own" })
  currency?: string | null;
  @Field({ description: 'snapshot-storage or backup-storage' }) sku!: string;
  @Field(() => DecimalScalar) monthlyPrice!: string;
}

@InputType()
export class CreateRegionInput {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field() dnsZone!: string;
}

@InputType()
export class PlanPriceInput {
  @Field() currency!: string;
  @Field(() => DecimalScalar) hourlyPrice!: string;
  @Field(() => DecimalScalar) monthlyPrice!: string;
}

@InputType({ description: "prices: the platform's price in each currency the plan is sold in (at least one); a plan is offered only to accounts whose currency it has a price in" })
export class SavePlanInput {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field(() => InstanceKind) kind!: 'VM' | 'CONTAINER';
  @Field(() => Int) vcpus!: number;
  @Field(() => Int) memoryMb!: number;
  @Field(() => Int) diskGb!: number;
  @Field(() => [PlanPriceInput]) prices!: PlanPriceInput[];
}

@InputType({
  description: "source: an http(s) URL, or a path on the region's shared image storage, of a qcow2 or raw disk (VM) or a rootfs tarball (container); it is fetched once and checked against sha256.",
})
export class RegisterImageInput {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field() os!: string;
  @Field() version!: string;
  @Field(() => InstanceKind) kind!: 'VM' | 'CONTAINER';
  @Field() source!: string;
  @Field() sha256!: string;
}
