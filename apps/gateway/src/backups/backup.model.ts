import { Field, ID, InputType, Int, ObjectType } from '@nestjs/graphql';
import { connectionTypes } from '../graphql/connection.js';
import { BackupStatus } from '../graphql/enums.js';
import { DateTimeScalar } from '../graphql/scalars.js';

@ObjectType({
  description: "A consistent, compressed, checksummed copy of an instance (disk and spec) in the region's backup store, off the host. It outlives the instance: a scheduled backup until its schedule's keep count passes it, a manual one until deleted. Billed per GB-month as its own invoice line.",
})
export class Backup {
  @Field(() => ID) id!: string;
  @Field(() => BackupStatus) status!: string;
  @Field(() => Int, { nullable: true, description: 'what it holds in the store once AVAILABLE (compressed)' }) sizeMb!: number | null;
  @Field() scheduled!: boolean;
  @Field(() => DateTimeScalar) createdAt!: string;
  // Beyond the contract: what its owner needs to know of an ERROR backup.
  @Field(() => String, { nullable: true, description: 'why an ERROR backup failed, or why it may not be restored (its checksum failed)' })
  failureReason!: string | null;
}
export const BackupConnection = connectionTypes(Backup, 'Backup', { totalCount: true });

@ObjectType({ description: 'Daily at hourUtc; the newest keep scheduled backups are kept.' })
export class BackupSchedule {
  @Field(() => Int) hourUtc!: number;
  @Field(() => Int) keep!: number;
}

@InputType()
export class BackupScheduleInput {
  @Field(() => Int) hourUtc!: number;
  @Field(() => Int) keep!: number;
}

@InputType({
  description: "Without name, the backup's own instance is restored in place (it must be STOPPED; it passes through RESTORING back to STOPPED). With name, a new instance of the caller's account is made from it (planId defaults to the backup's plan; it may be larger, never smaller).",
})
export class RestoreBackupInput {
  @Field(() => String, { nullable: true }) name?: string | null;
  @Field(() => ID, { nullable: true }) planId?: string | null;
  @Field(() => ID, { nullable: true }) regionId?: string | null;
}
