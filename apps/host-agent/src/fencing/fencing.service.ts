import { fork, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { AgentConfig } from '../host/agent-config.js';
import { killProcess } from '../host/program.js';
import { AGENT_CONFIG } from '../host/tokens.js';
import { InstanceManager } from '../instances/instance-manager.js';
import { WATCHDOG_CONTACT, WATCHDOG_STOP, watchdogArguments } from './fence-timer.js';

const WATCHDOG_ENTRY = new URL('./fence-watchdog.js', import.meta.url).pathname;

/**
 * Runs this host's fencing watchdog (fence-watchdog.ts) and tells it of each contact with the
 * control plane; at start, clears what a lost earlier life of this host left of instances
 * that other hosts took over. A restarted agent replaces the watchdog a previous agent left, so a quick
 * restart fences nothing. The watchdog outlives an agent that stops while instances run:
 * they are fenced unless another agent for this host takes over within the fence timeout.
 */
@Injectable()
export class FencingService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('fencing');
  private watchdog: ChildProcess | undefined;

  constructor(
    @Inject(AGENT_CONFIG) private readonly config: AgentConfig,
    private readonly instances: InstanceManager,
  ) {}

  private get pidFile(): string {
    return path.join(this.config.dataDir, 'run', 'fence-watchdog.pid');
  }

  async onApplicationBootstrap(): Promise<void> {
    await mkdir(path.dirname(this.pidFile), { recursive: true });
    await this.stopPrevious();
    // Its own process group: a Ctrl-C meant for the agent's terminal does not end it. Started before
    // anything reads the shared storage: a read hung there must not leave the host unguarded.
    this.watchdog = fork(WATCHDOG_ENTRY, watchdogArguments(this.config), { detached: true, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.watchdog.on('exit', (code, signal) => this.watchdog && this.logger.error(`fence watchdog exited (${signal ?? code})`));
    await writeFile(this.pidFile, String(this.watchdog.pid));
    // Start-up detail: the agent's one line at start is its "ready".
    this.logger.debug(`fence watchdog ${this.watchdog.pid}: instances stop after ${this.config.fenceTimeoutMs} ms without the control plane`);
    const swept = await this.instances.sweepReleased();
    if (swept.length) this.logger.log(`cleared what this host kept of ${swept.length} instance(s) now held by other hosts`);
  }

  /** The control plane has this agent's heartbeat, just now. */
  contact(): void {
    if (this.watchdog?.connected) this.watchdog.send(WATCHDOG_CONTACT);
  }

  async onApplicationShutdown(): Promise<void> {
    const watchdog = this.watchdog;
    this.watchdog = undefined;
    if (!watchdog?.connected) return;
    // With nothing running there is nothing to fence; otherwise the watchdog stands guard.
    if ((await this.instances.list()).every((i) => i.state !== 'RUNNING')) watchdog.send(WATCHDOG_STOP);
    watchdog.disconnect();
    watchdog.unref();
  }

  /** Ends the watchdog a previous agent of this host left (its pidfile's process, if it is one). */
  private async stopPrevious(): Promise<void> {
    const pid = Number((await readFile(this.pidFile, 'utf8').catch(() => '')).trim());
    if (!pid) return;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (!cmdline.includes(WATCHDOG_ENTRY) || !cmdline.split('\0').includes(this.config.dataDir)) return;
    await killProcess(pid);
    this.logger.log(`replaced the fence watchdog ${pid} a previous agent left`);
  }
}
