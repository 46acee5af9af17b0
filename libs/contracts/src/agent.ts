import type { InstanceFilter } from './firewalls.js';
import type { AgentBackup, AgentBackupRestore, BackupRequest, BackupRestoreRequest } from './backups.js';
import type { ConsoleKind } from './consoles.js';
import type { InstanceKind } from './events.js';
import type { Health } from './requests.js';

/**
 * What compute asks a host agent over `agent.<hostId>.<command>`, and what the agent reports
 * on `agent.heartbeat.<hostId>`. Every command is idempotent: compute retries while an agent is away.
 */

/** Where a host finds an image: a qcow2 for VMs; a rootfs tarball or an LXC template for containers. */
export interface ImageLocation {
  kind: InstanceKind;
  /** An absolute path on the host (`/var/lib/awan/images/debian-12.qcow2`), or `template:<name>` for containers. */
  location: string;
}

export interface InstanceNetwork {
  /** The host bridge the instance's interface joins; its host side holds the gateway. */
  bridge: string;
  /** e.g. `192.0.2.10/24` */
  ipv4?: string;
  gateway4?: string;
  /** e.g. `2001:db8::10/64` */
  ipv6?: string;
  gateway6?: string;
  /** Locally administered, e.g. `52:54:00:12:34:56`; derived from the instance id when absent. */
  mac?: string;
}

export interface InstanceSpec {
  /** A UUID: it names the instance's folder, process and container on the host. */
  instanceId: string;
  /** An RFC 1123 label: the guest's hostname. */
  name: string;
  kind: InstanceKind;
  vcpus: number;
  memoryMb: number;
  diskGb: number;
  image: ImageLocation;
  network?: InstanceNetwork;
  sshKeys?: string[];
  /** Handed to the guest verbatim (cloud-init user-data); never interpreted by the host. */
  userData?: string;
}

export type AgentInstanceState = 'RUNNING' | 'STOPPED' | 'MISSING';

/**
 * Where a live migration sends a VM's state (`tcp:<address>:<port>`), and the key that opens it:
 * the target takes the state only over TLS with this pre-shared key, made for this migration and
 * given to compute alone, so no one else on the network can send it a machine or read the VM's memory.
 */
export interface MigrationTarget {
  uri: string;
  key: string;
}

export interface AgentInstanceStatus {
  instanceId: string;
  kind: InstanceKind;
  state: AgentInstanceState;
  vcpus: number;
  memoryMb: number;
  diskGb: number;
  /** Stopped by this host's fencing (it lost the control plane), not by anyone's command. */
  fenced?: boolean;
}

/** A resize's answer: the instance at its new size, and whether its guest was restarted to get there. */
export interface AgentResizeStatus extends AgentInstanceStatus {
  /** A running VM that could not grow in place (shrinking, past the room it started with) was stopped and started. */
  restarted: boolean;
}

/**
 * An image for the catalog, fetched once into the image storage the region's hosts share and
 * checked there before anything uses it. The same image asked again is answered from what the
 * storage holds (another host of the region may have imported it).
 */
export interface ImageImportRequest {
  /** The catalog's id: it names the file (`<storage>/images/catalog/<imageId>.qcow2`, `.tar` for a container). */
  imageId: string;
  kind: InstanceKind;
  /** An http(s) URL, or a path relative to `<AGENT_STORAGE_DIR>/images/`. */
  source: string;
  /** Hex SHA-256 of the fetched file. */
  sha256: string;
}

/** A checked image and where the region's hosts find it. A refused one is an error naming why (checksum mismatch, not an image, too large, unreachable). */
export interface ImportedImage {
  imageId: string;
  /** An absolute path on the shared storage, as ImageLocation takes it. */
  location: string;
  sizeMb: number;
  /** A VM image's disk size (qemu-img's virtual size); null for a container's rootfs. */
  virtualSizeMb: number | null;
}

/**
 * A snapshot of an instance this host holds, named on the host by its id (a UUID): the VM's
 * internal qcow2 snapshot's tag, or the folder of a container's rootfs copy, in the instance's folder.
 */
export interface SnapshotRequest {
  instanceId: string;
  snapshotId: string;
}

/** A snapshot the host holds, and the data it holds in MB (ceiled): the same answer however often it is asked. */
export interface AgentSnapshot {
  snapshotId: string;
  sizeMb: number;
}

/** Payloads of `agent.<hostId>.<command>`. */
export interface AgentCommands {
  /** The agent's health, as `<service>.health` is a service's. */
  health: { request: Record<string, never>; reply: Health };
  /**
   * Every command that makes an instance run on this host carries its filter (`filter`; compute always
   * sends it): the host enforces it on the instance's port before the instance's first packet there.
   * Without one, the host enforces the one it holds, else anti-spoofing on its spec's own addresses.
   */
  'instance.create': { request: { spec: InstanceSpec; start: boolean; filter?: InstanceFilter }; reply: AgentInstanceStatus };
  'instance.start': { request: { instanceId: string; filter?: InstanceFilter }; reply: AgentInstanceStatus };
  'instance.stop': { request: { instanceId: string; force?: boolean; timeoutMs?: number }; reply: AgentInstanceStatus };
  'instance.reboot': { request: { instanceId: string }; reply: AgentInstanceStatus };
  'instance.resize': { request: { instanceId: string; vcpus: number; memoryMb: number; diskGb: number }; reply: AgentResizeStatus };
  'instance.delete': { request: { instanceId: string }; reply: AgentInstanceStatus };
  'instance.status': { request: { instanceId: string }; reply: AgentInstanceStatus };
  /**
   * Takes over an instance whose folder another host made on the shared storage (evacuation,
   * cold migration): this host holds it from now on, and starts it when asked.
   */
  'instance.adopt': { request: { instanceId: string; start: boolean; filter?: InstanceFilter }; reply: AgentInstanceStatus };
  /** Live migration, on the target: a QEMU waiting for the VM's state; answers where to send it, and the key to send it with. */
  'instance.migrate.receive': { request: { instanceId: string; filter?: InstanceFilter }; reply: MigrationTarget };
  /**
   * Enforces the filter on the instance's port from now on (kept, and enforced again after the agent's
   * restart and at every start), unless the host holds a newer revision; answers the revision it holds.
   */
  'instance.filter.set': { request: { filter: InstanceFilter }; reply: { instanceId: string; revision: number } };
  /** Live migration, on the source: sends the running VM's state to the target, then ends its own QEMU. */
  'instance.migrate.send': { request: { instanceId: string } & MigrationTarget; reply: AgentInstanceStatus };
  /** Ends a receiving QEMU of a migration that failed; the instance's storage is left as it is. */
  'instance.migrate.abort': { request: { instanceId: string }; reply: AgentInstanceStatus };
  /**
   * Whether a pool's prefix (CIDR) overlaps a route this host has on another interface than `bridge`, or covers an
   * address it depends on (its default gateway, DNS servers, /etc/hosts): why, or null. Asked before the pool exists.
   */
  'network.checkPrefix': { request: { prefix: string; bridge: string }; reply: { overlap: string | null } };
  /** Takes the snapshot, running (a VM through QMP; a container frozen while its rootfs is copied) or stopped; asked again, answers the one taken. */
  'snapshot.create': { request: SnapshotRequest; reply: AgentSnapshot };
  /** The stopped instance's disk (rootfs) becomes the snapshot's; its other snapshots stay. CONFLICT while it runs. */
  'snapshot.restore': { request: SnapshotRequest; reply: AgentInstanceStatus };
  /** Frees the snapshot's space; one that is not there is deleted already. */
  'snapshot.delete': { request: SnapshotRequest; reply: { snapshotId: string } };
  /**
   * Writes a backup of the instance (running or stopped) to the region's backup store, compressed and
   * checksummed, beside its spec; asked again (or while it is being written), answers the one written.
   */
  'backup.create': { request: BackupRequest; reply: AgentBackup };
  /** The stopped instance's disk (rootfs) becomes the backup's, once the stored file's checksum matched. */
  'backup.restore': { request: BackupRestoreRequest; reply: AgentBackupRestore };
  /** Removes the backup from the store (any host of the region may); one that is not there is deleted already. */
  'backup.delete': { request: { backupId: string }; reply: { backupId: string } };
  /** Fetches, checks and stores a catalog image: idempotent per image; answers once it is stored, or refuses it naming why. */
  'image.import': { request: ImageImportRequest; reply: ImportedImage };
  /**
   * Attaches a console session to a running instance of this host: from the gateway's first
   * acknowledgement on, its bytes flow on the session's subjects (consoles.ts). Asked again, the same.
   */
  'console.open': { request: { sessionId: string; instanceId: string; kind: ConsoleKind }; reply: { sessionId: string } };
}

export type AgentCommand = keyof AgentCommands;
export type AgentRequestOf<C extends AgentCommand> = AgentCommands[C]['request'];
export type AgentReplyOf<C extends AgentCommand> = AgentCommands[C]['reply'];

export interface HostCapacity {
  vcpus: number;
  memoryMb: number;
  diskGb: number;
}

/** What an agent publishes on `agent.heartbeat.<hostId>` every few seconds. */
export interface HostHeartbeat {
  hostId: string;
  name: string;
  regionId: string;
  kinds: InstanceKind[];
  capacity: HostCapacity;
  allocated: HostCapacity;
  instances: AgentInstanceStatus[];
  /** How long the agent goes without the control plane before it stops its instances itself. */
  fenceTimeoutMs: number;
  /** When this agent process started: a new one enforces what it kept, and compute sends it every filter again. */
  agentStartedAt?: string;
  sentAt: string;
}
