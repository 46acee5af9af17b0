import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import { SnapshotStatus } from '../graphql/enums.js';
import { DateTimeScalar } from '../graphql/scalars.js';

@ObjectType({ description: "A point-in-time copy of an instance's disk on the instance's own storage, taken while it runs (VM: qcow2 snapshot; container: its rootfs, frozen while copied). Deleted with the instance. Billed per GB-month as its own invoice line." })
export class Snapshot {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field(() => SnapshotStatus) status!: string;
  @Field(() => Int, { nullable: true, description: "the data it holds once AVAILABLE: the disk's data when it was taken" }) sizeMb!: number | null;
  @Field(() => DateTimeScalar) createdAt!: string;
}
