// Running backup and restore jobs of this process, keyed by job id; one job at a time per database; idle jobs are released.
import { randomBytes } from 'node:crypto';
import { UserError } from '../../engine/errors.ts';

export type JobKind = 'backup' | 'restore';

export interface Job {
  readonly id: string;
  readonly kind: JobKind;
  /** Session id of the user who started it: a `next` URL works only in that session. */
  readonly owner: string;
  readonly startedAt: Date;
  /** Number of the request `next` asks for; a replayed `next` (step - 1) gets the last reply again. */
  step: number;
  lastReply: Record<string, unknown> | null;
  touchedAt: number;
  /** True while a request works on the job: it is not idle, whatever touchedAt says. */
  busy?: boolean;
  /** Lets the job go: close connections, remove unfinished files. */
  abort(): Promise<void>;
  /** Saves what a restarted process needs to continue the job; called after every step. */
  persist?(): Promise<void>;
  /** The process is stopping: release resources but keep what lets the job resume (when it can). */
  suspend?(): Promise<void>;
}

export interface Claim {
  readonly id: string;
  release(): void;
}

/**
 * A restore whose page has not asked for a step this long is taken as left (the page was closed): other sessions may
 * discard it, and a new job is told to continue or discard it rather than to wait.
 */
export const ABANDONED_AFTER_MS = 15_000;

export function isAbandoned(job: Job): boolean {
  return !job.busy && Date.now() - job.touchedAt >= ABANDONED_AFTER_MS;
}

/**
 * The busy message for a job that holds the tool, as `session` sees it: a restore left by its page (the page of this
 * session, or any page quiet for ABANDONED_AFTER_MS) is waiting to be continued or discarded, not running; a running
 * job's start goes through the language's date format.
 */
export function busyError(job: Job, session: string): UserError {
  if (job.kind === 'restore' && !job.busy && (job.owner === session || isAbandoned(job))) return new UserError('error_restore_waiting');
  return new UserError(job.kind === 'backup' ? 'error_busy_backup' : 'error_busy_restore', [job.startedAt]);
}

export function createJobId(): string {
  return randomBytes(12).toString('hex');
}

export class JobRegistry {
  private readonly jobs = new Map<string, Job>();
  private readonly completed = new Map<string, { owner: string; step: number; reply: Record<string, unknown>; at: number }>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly idleTimeoutMs: number,
    private readonly onSweep: () => Promise<void> = async () => {},
  ) {
    this.timer = setInterval(() => void this.sweep(), Math.min(30_000, Math.max(1000, idleTimeoutMs / 4)));
    this.timer.unref();
  }

  /** The job `id` for `owner`, or UserError when it is unknown (expired, or the process restarted) or someone else's. */
  get(id: unknown, owner: string, kind: JobKind): Job | undefined {
    if (typeof id !== 'string') return undefined;
    const job = this.jobs.get(id);
    if (!job || job.kind !== kind) return undefined;
    if (job.owner !== owner) throw new UserError('error_job');
    job.touchedAt = Date.now();
    return job;
  }

  /**
   * Refuses a second job while one runs, else holds the place for the caller until `add` (or `release` on failure):
   * the check and the claim happen in one tick, so two requests at once cannot both start. A job left idle for a
   * minute is taken as abandoned and released.
   */
  async claim(kind: JobKind, session: string): Promise<Claim> {
    for (const job of [...this.jobs.values()]) {
      if (!job.busy && Date.now() - job.touchedAt > 60_000) await this.remove(job);
    }
    const running = [...this.jobs.values()][0];
    if (running) throw busyError(running, session);
    const placeholder: Job = { id: 'claim-' + createJobId(), kind, owner: '', startedAt: new Date(), step: 0, lastReply: null, touchedAt: Date.now(), abort: async () => {} };
    this.jobs.set(placeholder.id, placeholder);
    return { id: placeholder.id, release: () => void this.jobs.delete(placeholder.id) };
  }

  /** The started job of this kind in this process, whoever owns it (a claim still starting one is not a job yet). */
  current(kind: JobKind): Job | undefined {
    return [...this.jobs.values()].find((job) => job.kind === kind && !job.id.startsWith('claim-'));
  }

  /** True while a job of this kind runs in this process. */
  running(kind: JobKind): boolean {
    return [...this.jobs.values()].some((job) => job.kind === kind);
  }

  /** Registers a started job in the place its claim held. */
  add(job: Job, claim: Claim): void {
    this.jobs.delete(claim.id);
    this.jobs.set(job.id, job);
  }

  async remove(job: Job): Promise<void> {
    this.jobs.delete(job.id);
    await job.abort();
  }

  /** A finished job leaves the registry; its last reply stays a while, for a replayed last request. */
  complete(job: Job, reply: Record<string, unknown>): void {
    this.jobs.delete(job.id);
    this.completed.set(job.id, { owner: job.owner, step: job.step, reply, at: Date.now() });
  }

  /** The last reply of a finished job when `step` asks for its last step again (the reply was lost on the way). */
  replay(id: unknown, owner: string, step: unknown): Record<string, unknown> | undefined {
    const done = typeof id === 'string' ? this.completed.get(id) : undefined;
    if (!done || done.owner !== owner || Number(step) !== done.step) return undefined;
    return done.reply;
  }

  async sweep(): Promise<void> {
    for (const [id, done] of this.completed) if (Date.now() - done.at > this.idleTimeoutMs) this.completed.delete(id);
    for (const job of [...this.jobs.values()]) {
      if (!job.busy && Date.now() - job.touchedAt > this.idleTimeoutMs) await this.remove(job).catch(() => undefined);
    }
    await this.onSweep().catch(() => undefined);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    for (const job of [...this.jobs.values()]) {
      this.jobs.delete(job.id);
      await (job.suspend ? job.suspend() : job.abort()).catch(() => undefined);
    }
  }
}
