// tool/backup: the Backup & Restore page, its history, and the paged backup, restore, upload, download, delete and undo actions.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { AdminContext } from '../../../system/engine/context.ts';
import { single, list } from '../../../system/engine/context.ts';
import { UserError } from '../../../system/engine/errors.ts';
import { json, html, file, type Reply } from '../../../system/engine/reply.ts';
import type { HostConfig } from '../../../system/library/config.ts';
import type { Pool } from '../../../system/library/db.ts';
import { openJobConnection, holdDatabaseLock, whileDatabaseIdle, type Connection } from '../../../system/library/db.ts';
import { backupName, isListedBackup, PART_SUFFIX } from '../../../system/library/backup/filename.ts';
import { openBackupForRead, plainFileStat } from '../../../system/library/backup/backup-file.ts';
import { BackupJob, startSnapshot } from '../../../system/library/backup/backup-job.ts';
import { RestoreJob, undoRestore, type UndoRecord, type RestoreJobState, type RestoreRules, type RestoreNotes } from '../../../system/library/backup/restore-job.ts';
import { readJsonFile, writeJsonFile } from '../../../system/library/backup/json-file.ts';
import { JobRegistry, createJobId, isAbandoned, busyError, type Job, type Claim } from '../../../system/library/backup/jobs.ts';
import { formatSize, formatNumber, formatPhpDate, backupFileStem } from '../../../system/library/format.ts';
import * as model from '../../model/tool/backup.ts';
import { tablesInFile } from '../../../system/library/backup/inspect.ts';
import { receiveUpload } from '../../../system/library/backup/upload.ts';
import { UNDO_FILE, RESTORE_STATE_FILE, dropRestoreLeftovers } from '../../../system/library/backup/housekeeping.ts';
import type { Layout } from '../common/layout.ts';

export { ABANDONED_AFTER_MS } from '../../../system/library/backup/jobs.ts';

interface BackupJobEntry extends Job {
  backup: BackupJob;
  filename: string;
}

interface RestoreJobEntry extends Job {
  restore: RestoreJob;
}

export interface BackupControllerDeps {
  config: HostConfig;
  pool: Pool;
  jobs: JobRegistry;
  layout: Layout;
}

export class BackupController {
  private readonly backupDir: string;
  private readonly cacheDir: string;
  /** The running restore's RestoreJobState and the last restore's UndoRecord: dotfiles beside the backups, never listed. */
  private readonly stateFile: string;
  private readonly undoFile: string;

  constructor(private readonly deps: BackupControllerDeps) {
    this.backupDir = path.join(deps.config.dirStorage, 'backup');
    this.cacheDir = path.join(deps.config.dirStorage, 'cache');
    this.stateFile = path.join(this.backupDir, RESTORE_STATE_FILE);
    this.undoFile = path.join(this.backupDir, UNDO_FILE);
  }

  /** Which tables a restore may write (see system/library/backup/restore-job.ts). */
  private restoreRules(): RestoreRules {
    return { prefix: this.config.db.prefix, database: this.config.db.database, protectedTables: model.protectedTables(this.config.db.prefix) };
  }

  private get config(): HostConfig {
    return this.deps.config;
  }

  /** The page (view tool/backup). */
  async index(ctx: AdminContext): Promise<Reply> {
    const tables = await model.listTables(this.deps.pool, this.config.db.database, this.config.db.prefix);
    const undo = await this.currentUndo();
    const strings = ctx.strings('tool/backup');
    const locale = strings.code;
    const data = {
      ...ctx.strings('common/column_left'),
      ...strings,
      tables: tables.map((table) => ({ name: table.name, rows: ctx.t('text_rows_estimate', formatNumber(table.estimatedRows, locale)) })),
      history: await this.renderHistory(ctx),
      backup: ctx.link('tool/backup.backup'),
      restore: ctx.link('tool/backup.restore'),
      inspect: ctx.link('tool/backup.inspect'),
      upload: ctx.link('tool/backup.upload'),
      undo: ctx.link('tool/backup.undo'),
      discard: ctx.link('tool/backup.discard'),
      history_url: ctx.link('tool/backup.history'),
      upload_max: this.config.backup.uploadMaxBytes,
      help_upload: ctx.t('help_upload', this.size(ctx, this.config.backup.uploadMaxBytes)),
      error_upload_size: ctx.t('error_upload_size', this.size(ctx, this.config.backup.uploadMaxBytes)),
      text_undo_available: undo ? ctx.t('text_undo_available', undo.filename, this.date(ctx, new Date(undo.until))) : '',
      text_confirm_undo: undo ? this.undoConfirmText(ctx, undo) : '',
      ...(await this.interruptedRestore(ctx)),
    };
    return html(await this.deps.layout.page(ctx, 'tool/backup', strings.heading_title, data));
  }

  /**
   * A restore whose page was closed or whose server restarted: the page says so (the live tables were not changed),
   * offers to discard it and, for the session that started it, to continue from where it stopped.
   */
  private async interruptedRestore(ctx: AdminContext): Promise<{ text_restore_interrupted: string; resume: string; text_confirm_discard: string }> {
    const none = { text_restore_interrupted: '', resume: '', text_confirm_discard: '' };
    const running = this.deps.jobs.current('restore');
    // A page closed or reloaded mid-restore leaves its last step running on the server for up to a request's budget:
    // the session that started the restore waits for that step, so its new page can offer Continue at once.
    if (running?.busy && running.owner === ctx.session.id) {
      const until = Date.now() + 2 * this.config.backup.requestBudgetMs + 1000;
      while (running.busy && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // A restore of this process still counts as running while its page keeps asking for the next step; the session
    // that started it, opening the page again (its first page was closed or reloaded), is offered to continue at once.
    if (running ? running.busy || (running.owner !== ctx.session.id && !isAbandoned(running)) : this.deps.jobs.running('restore')) return none;
    const state = await readJsonFile<RestoreJobState>(this.stateFile);
    if (!state) return none;
    return {
      text_restore_interrupted: ctx.t('text_restore_interrupted', state.filename, this.date(ctx, new Date(state.startedAt))),
      resume: state.owner === ctx.session.id ? ctx.link('tool/backup.restore', { filename: state.filename, job: state.id, step: state.step }) : '',
      text_confirm_discard: ctx.t('text_confirm_discard', state.filename),
    };
  }

  /** The undo confirmation: which tables go back, and that what was changed in them since is lost. */
  private undoConfirmText(ctx: AdminContext, record: UndoRecord): string {
    const names = record.tables.map((t) => t.live);
    const shown = (names.length > 10 ? [...names.slice(0, 10), '…'] : names).join(', ');
    const strings = ctx.strings('default');
    // In a right-to-left text the list of Latin names is one left-to-right run (LRI … PDI), or its commas and names
    // are reordered by the bidi algorithm.
    const list = strings.direction === 'rtl' ? `\u2066${shown}\u2069` : shown;
    return ctx.t('text_confirm_undo', record.filename, formatNumber(names.length, strings.code), list);
  }

  /** The history table (view tool/backup_history), newest first. */
  async history(ctx: AdminContext): Promise<Reply> {
    return html(await this.renderHistory(ctx));
  }

  private async renderHistory(ctx: AdminContext): Promise<string> {
    const names = await fs.readdir(this.backupDir).catch(() => [] as string[]);
    const entries: Array<{ name: string; size: number; modified: Date }> = [];
    for (const name of names) {
      if (!isListedBackup(name)) continue;
      const stat = await plainFileStat(path.join(this.backupDir, name));
      if (stat) entries.push({ name, size: stat.size, modified: stat.mtime });
    }
    entries.sort((a, b) => b.modified.getTime() - a.modified.getTime() || a.name.localeCompare(b.name));
    return this.deps.layout.render('tool/backup_history', {
      ...ctx.strings('tool/backup'),
      histories: entries.map((entry) => ({
        filename: entry.name,
        size: this.size(ctx, entry.size),
        date_added: this.date(ctx, entry.modified),
        restore: ctx.link('tool/backup.restore', { filename: entry.name }),
        inspect: ctx.link('tool/backup.inspect', { filename: entry.name }),
        download: ctx.link('tool/backup.download', { filename: entry.name }),
        delete: ctx.link('tool/backup.delete', { filename: entry.name }),
      })),
    });
  }

  private size(ctx: AdminContext, bytes: number): string {
    const s = ctx.strings('default');
    return formatSize(bytes, [s.size_b, s.size_kb, s.size_mb, s.size_gb, s.size_tb], s.code);
  }

  private date(ctx: AdminContext, date: Date): string {
    return formatPhpDate(date, ctx.strings('default').datetime_format);
  }

  /** Allowed tables by name: a hand-made request cannot name a protected, foreign or missing table. */
  private async allowedTables(): Promise<Set<string>> {
    const tables = await model.listTables(this.deps.pool, this.config.db.database, this.config.db.prefix);
    return new Set(tables.map((table) => table.name));
  }

  /** One page of a backup: the first request starts the job, each reply's `next` continues it. */
  async backup(ctx: AdminContext): Promise<Reply> {
    const jobId = single(ctx.query.job);
    if (jobId === undefined) return this.startBackup(ctx);
    const entry = this.deps.jobs.get(jobId, ctx.session.id, 'backup') as BackupJobEntry | undefined;
    const replay = entry ? undefined : this.deps.jobs.replay(jobId, ctx.session.id, single(ctx.query.step));
    if (replay) return json(replay);
    if (!entry) {
      await this.removeOrphanPart(single(ctx.query.filename));
      throw new UserError('error_job_expired');
    }
    return this.runStep(ctx, entry, () => this.advanceBackup(ctx, entry));
  }

  private async startBackup(ctx: AdminContext): Promise<Reply> {
    const requested = [...new Set(list(ctx.body, 'backup'))];
    if (requested.length === 0) throw new UserError('error_backup');
    const allowed = await this.allowedTables();
    for (const table of requested) if (!allowed.has(table)) throw new UserError('error_table', [table]);
    const claim = await this.deps.jobs.claim('backup', ctx.session.id);
    let connection: Connection | null = null;
    let backupJob: BackupJob;
    const startedAt = new Date();
    let filename: string;
    try {
      await this.ensureBackupDir();
      connection = await openJobConnection(this.config);
      await holdDatabaseLock(connection, this.config.db.database);
      await startSnapshot(connection);
      const plans = await model.describeTables(connection, this.config.db.database, requested);
      filename = await this.freeBackupName(startedAt);
      backupJob = new BackupJob(
        connection,
        plans,
        path.join(this.backupDir, filename + PART_SUFFIX),
        path.join(this.backupDir, filename),
        {
          database: this.config.db.database,
          serverVersion: await model.serverVersion(connection),
          maxPacket: await model.maxAllowedPacket(connection),
          includeCreateTable: this.config.backup.includeCreateTable,
        },
        startedAt,
      );
    } catch (error) {
      connection?.destroy();
      claim.release();
      throw storageError(error);
    }
    const entry: BackupJobEntry = {
      id: createJobId(),
      kind: 'backup',
      owner: ctx.session.id,
      startedAt,
      step: 0,
      lastReply: null,
      touchedAt: Date.now(),
      backup: backupJob,
      filename,
      abort: () => backupJob.abort(),
    };
    this.deps.jobs.add(entry, claim);
    return this.runStep(ctx, entry, () => this.advanceBackup(ctx, entry));
  }

  private async advanceBackup(ctx: AdminContext, entry: BackupJobEntry): Promise<Record<string, unknown>> {
    const progress = await entry.backup.advance(Date.now() + this.config.backup.requestBudgetMs, async () => {
      const connection = await openJobConnection(this.config);
      await holdDatabaseLock(connection, this.config.db.database);
      return connection;
    });
    const locale = ctx.strings('default').code;
    if (progress.done) {
      const reply = { success: ctx.t('text_backup_success', entry.backup.fileName, formatNumber(progress.rowsDone, locale)), progress: 100 };
      this.deps.jobs.complete(entry, reply);
      return reply;
    }
    return {
      text: ctx.t('text_backup', progress.table, formatNumber(progress.tableRowsDone, locale), formatNumber(progress.tableRowsEstimate, locale)),
      progress: percent(progress.rowsDone, progress.rowsEstimate),
      next: ctx.link('tool/backup.backup', { filename: entry.filename, table: progress.table, job: entry.id, step: entry.step + 1 }),
    };
  }

  /**
   * Runs one step of a job. `step` in `next` makes a replayed request (the reply was lost) get the same answer
   * instead of skipping a page, and a stale or forged one fail.
   */
  private async runStep(ctx: AdminContext, entry: Job, advance: () => Promise<Record<string, unknown>>): Promise<Reply> {
    const step = Number(single(ctx.query.step) ?? 0);
    if (step === entry.step - 1 && entry.lastReply) return json(entry.lastReply);
    if (step !== entry.step) throw new UserError('error_step');
    entry.busy = true;
    try {
      const reply = await advance();
      entry.step++;
      entry.lastReply = reply;
      if (!reply.success) await entry.persist?.();
      return json(reply);
    } catch (error) {
      await this.deps.jobs.remove(entry).catch(() => undefined);
      throw storageError(error);
    } finally {
      // Idle time counts from the end of the last request, not its start.
      entry.busy = false;
      entry.touchedAt = Date.now();
    }
  }

  private async freeBackupName(date: Date): Promise<string> {
    const stem = backupFileStem(date);
    for (let n = 1; ; n++) {
      const name = n === 1 ? `${stem}.sql` : `${stem} (${n}).sql`;
      const taken = await Promise.all([name, name + PART_SUFFIX].map((candidate) => exists(path.join(this.backupDir, candidate))));
      if (!taken.includes(true)) return name;
    }
  }

  /**
   * The `.part` of a backup whose job is gone (the server restarted) is removed at once, but only while no backup runs
   * on the database in any process: a forged or stale `next` must not delete a running backup's file.
   */
  private async removeOrphanPart(filename: string | undefined): Promise<void> {
    if (!filename) return;
    let part: string;
    try {
      part = path.join(this.backupDir, backupName(filename) + PART_SUFFIX);
    } catch {
      return; // A bad name has nothing to remove.
    }
    await whileDatabaseIdle(this.deps.pool, this.config.db.database, () => fs.rm(part, { force: true }));
  }

  /** Backups hold the shop's data: the folder is 0700 (also when it came with the checkout or an install as 0755). */
  private async ensureBackupDir(): Promise<void> {
    await fs.mkdir(this.backupDir, { recursive: true, mode: 0o700 });
    const stat = await fs.stat(this.backupDir);
    if ((stat.mode & 0o077) !== 0 && stat.uid === process.getuid?.()) await fs.chmod(this.backupDir, 0o700);
  }

  /** One page of a restore: check the whole file, load it into shadow tables, then swap them in. */
  async restore(ctx: AdminContext): Promise<Reply> {
    const jobId = single(ctx.query.job);
    if (jobId === undefined) return this.startRestore(ctx);
    const replay = this.deps.jobs.replay(jobId, ctx.session.id, single(ctx.query.step));
    if (replay) return json(replay);
    const entry = (this.deps.jobs.get(jobId, ctx.session.id, 'restore') as RestoreJobEntry | undefined) ?? (await this.resumeRestore(jobId, ctx.session.id));
    if (!entry) throw new UserError('error_job_expired');
    return this.runStep(ctx, entry, () => this.advanceRestore(ctx, entry));
  }

  private restoreSettings() {
    return {
      connection: {
        host: this.config.db.hostname,
        port: this.config.db.port,
        user: this.config.db.username,
        password: this.config.db.password,
        database: this.config.db.database,
      },
      rules: this.restoreRules(),
      undoKeepMs: this.config.backup.undoKeepMs,
      undoFile: this.undoFile,
    };
  }

  /** After a restart, a restore continues from its state file and the position committed in the database. */
  private async resumeRestore(jobId: string, owner: string): Promise<RestoreJobEntry | undefined> {
    const state = await readJsonFile<RestoreJobState>(this.stateFile);
    if (!state || state.id !== jobId) return undefined;
    if (state.owner !== owner) throw new UserError('error_job');
    const claim = await this.deps.jobs.claim('restore', owner);
    // Only the very file the job started with (same device, inode, size and time) continues it.
    const restoreJob = await RestoreJob.resume(path.join(this.backupDir, backupName(state.filename)), state, this.restoreSettings()).catch(() => null);
    if (!restoreJob) {
      claim.release();
      return undefined;
    }
    return this.registerRestore(restoreJob, claim, owner, new Date(state.startedAt), state.step, state.lastReply);
  }

  private registerRestore(restoreJob: RestoreJob, claim: Claim, owner: string, startedAt: Date, step: number, lastReply: Record<string, unknown> | null): RestoreJobEntry {
    const entry: RestoreJobEntry = {
      id: restoreJob.id,
      kind: 'restore',
      owner,
      startedAt,
      step,
      lastReply,
      touchedAt: Date.now(),
      restore: restoreJob,
      abort: async () => {
        await restoreJob.abort();
        await fs.rm(this.stateFile, { force: true });
      },
      persist: () => writeJsonFile(this.stateFile, restoreJob.snapshot(owner, startedAt, entry.step, entry.lastReply)),
      suspend: () => restoreJob.release(),
    };
    this.deps.jobs.add(entry, claim);
    return entry;
  }

  private async startRestore(ctx: AdminContext): Promise<Reply> {
    const filename = backupName(single(ctx.query.filename) ?? single(ctx.body.filename));
    const chosen = list(ctx.body, 'restore');
    const claim = await this.deps.jobs.claim('restore', ctx.session.id);
    let restoreJob: RestoreJob;
    try {
      restoreJob = await RestoreJob.start(createJobId(), path.join(this.backupDir, filename), filename, this.restoreSettings());
    } catch (error) {
      claim.release();
      throw error;
    }
    restoreJob.choose(chosen.length ? chosen : null);
    const entry = this.registerRestore(restoreJob, claim, ctx.session.id, new Date(), 0, null);
    return this.runStep(ctx, entry, () => this.advanceRestore(ctx, entry));
  }

  /** What the restore passed over, in the shop owner's words. */
  private notesText(ctx: AdminContext, notes: RestoreNotes): string[] {
    const messages: string[] = [];
    if (notes.protectedStatements) messages.push(ctx.t('text_skipped_protected', notes.protectedStatements));
    if (notes.otherTables.length) messages.push(ctx.t('text_skipped_other_tables', this.config.db.prefix, notes.otherTables.slice(0, 20).join(', ')));
    if (notes.objects.length) messages.push(ctx.t('text_skipped_objects', notes.objects.slice(0, 20).map((o) => `${ctx.t('text_object_' + o.what)} ${o.name}`.trim()).join(', ')));
    if (notes.settings.length) messages.push(ctx.t('text_ignored_settings', notes.settings.slice(0, 20).join(', ')));
    return messages;
  }

  private async advanceRestore(ctx: AdminContext, entry: RestoreJobEntry): Promise<Record<string, unknown>> {
    const progress = await entry.restore.advance(Date.now() + this.config.backup.requestBudgetMs);
    if (progress.phase === 'done') {
      await entry.restore.close();
      await fs.rm(this.stateFile, { force: true });
      await this.clearCache();
      const messages = [ctx.t('text_success'), ...this.notesText(ctx, progress.notes)];
      if (progress.undo) messages.push(ctx.t('text_undo_until', progress.undo.tables.length, this.date(ctx, new Date(progress.undo.until))));
      const undo = progress.undo
        ? {
            until: progress.undo.until,
            tables: progress.undo.tables.map((t) => t.live),
            text: ctx.t('text_undo_available', progress.undo.filename, this.date(ctx, new Date(progress.undo.until))),
            confirm: this.undoConfirmText(ctx, progress.undo),
          }
        : undefined;
      const reply = { success: messages.join(' '), progress: 100, undo };
      this.deps.jobs.complete(entry, reply);
      // The previous restore's kept tables go now, in the background (after complete: housekeeping leaves tables
      // alone while a restore of this process is registered).
      void this.deps.jobs.sweep();
      return reply;
    }
    const done = this.size(ctx, progress.bytesDone);
    const total = this.size(ctx, progress.bytesTotal);
    const fraction = progress.bytesTotal ? progress.bytesDone / progress.bytesTotal : 1;
    return {
      text: ctx.t('text_restore', done, total),
      progress: Math.min(99, Math.floor(fraction * 100)),
      next: ctx.link('tool/backup.restore', { filename: entry.restore.filename, job: entry.id, step: entry.step + 1, position: progress.bytesDone }),
    };
  }

  /** The tables a file writes, for the restore confirmation. */
  async inspect(ctx: AdminContext): Promise<Reply> {
    const filename = backupName(single(ctx.query.filename));
    // Under the job claim: one file is read at a time, never beside a running restore or backup.
    const claim = await this.deps.jobs.claim('restore', ctx.session.id);
    let contents;
    try {
      // A statement longer than max_allowed_packet cannot be restored: inspect never buffers more than that either.
      const [packet] = await this.deps.pool.query('SELECT @@max_allowed_packet AS size');
      const maxStatement = Number((packet as Array<{ size: number | string }>)[0].size);
      contents = await tablesInFile(path.join(this.backupDir, filename), this.restoreRules(), Date.now() + 3 * this.config.backup.requestBudgetMs, maxStatement);
    } finally {
      claim.release();
    }
    const locale = ctx.strings('default').code;
    return json({
      filename,
      text_confirm: ctx.t('text_confirm_restore', filename),
      complete: contents.complete,
      text_partial: contents.complete ? '' : ctx.t('text_tables_partial'),
      tables: contents.tables.map((table) => ({
        name: table.name,
        rows: table.rows,
        text: table.rows === null ? '' : ctx.t(table.exact ? 'text_rows' : 'text_rows_estimate', formatNumber(table.rows, locale)),
      })),
    });
  }

  /** Swaps back the tables the last restore replaced. */
  async undo(ctx: AdminContext): Promise<Reply> {
    const record = await this.currentUndo();
    if (!record) throw new UserError('error_undo');
    // An interrupted restore's shadows may carry the names undo sets aside; it is continued or discarded first.
    if (this.deps.jobs.running('restore') || (await readJsonFile<RestoreJobState>(this.stateFile))) throw new UserError('error_undo_pending');
    const claim = await this.deps.jobs.claim('restore', ctx.session.id);
    let connection: Connection | null = null;
    try {
      connection = await openJobConnection(this.config);
      await holdDatabaseLock(connection, this.config.db.database);
      await undoRestore(connection, record, this.undoFile);
    } finally {
      await connection?.query('DO RELEASE_ALL_LOCKS()').catch(() => undefined);
      connection?.destroy();
      claim.release();
    }
    await fs.rm(this.undoFile, { force: true });
    await this.clearCache();
    return json({ success: ctx.t('text_undo_success') });
  }

  /**
   * Drops an interrupted restore now rather than at its timeout: its shadow tables, its state row and its state file, so
   * a new backup or restore can start at once; the live tables are not touched. Any user with modify permission may
   * discard, not only the session that started the restore: that session may be gone for good (browser closed, session
   * expired, server restarted), and only an admin can free the shop of it. A restore this process is still working on,
   * or whose page asked for a step less than ABANDONED_AFTER_MS ago, is someone's running job and is refused (its own
   * session may discard it at once).
   */
  async discard(ctx: AdminContext): Promise<Reply> {
    const state = await readJsonFile<RestoreJobState>(this.stateFile);
    // No await between this look and remove(): a request of the job cannot start in between.
    const job = this.deps.jobs.current('restore') as RestoreJobEntry | undefined;
    if (!job && !state) throw new UserError('error_discard');
    const filename = job?.restore.filename ?? state!.filename;
    if (job) {
      if (job.busy || (job.owner !== ctx.session.id && !isAbandoned(job))) throw busyError(job, ctx.session.id);
      // The job's own abort drops the shadows it knows, its state row and file, and lets go of its connection and lock.
      await this.deps.jobs.remove(job);
    }
    // A restore left by a previous process (or an abort that could not reach the database) is cleaned up here. Resuming
    // it only to abort it would need the very same file, and RestoreJob.abort() keeps quiet when it cannot take the lock;
    // under the lock, every shadow table is a leftover anyway.
    const claim = await this.deps.jobs.claim('restore', ctx.session.id);
    let connection: Connection | null = null;
    try {
      connection = await openJobConnection(this.config);
      // Another server process working on a restore holds the lock between its requests: that restore is not abandoned.
      await holdDatabaseLock(connection, this.config.db.database, 2);
      await dropRestoreLeftovers(connection, this.backupDir);
      await fs.rm(this.stateFile, { force: true });
    } finally {
      await connection?.query('DO RELEASE_ALL_LOCKS()').catch(() => undefined);
      connection?.destroy();
      claim.release();
    }
    return json({ success: ctx.t('text_discard_success', filename) });
  }

  private async currentUndo(): Promise<UndoRecord | null> {
    const record = await readJsonFile<UndoRecord>(this.undoFile);
    if (!record || Date.parse(record.until) < Date.now()) return null;
    return record;
  }

  /** Stores an uploaded dump (never over an existing file); see system/library/backup/upload.ts. */
  async upload(ctx: AdminContext): Promise<Reply> {
    await this.ensureBackupDir();
    try {
      const filename = await receiveUpload(ctx.request, this.backupDir, {
        field: 'upload',
        maxBytes: this.config.backup.uploadMaxBytes,
        maxBytesText: this.size(ctx, this.config.backup.uploadMaxBytes),
      });
      return json({ success: ctx.t('text_upload_success', filename) });
    } catch (error) {
      const known = storageError(error);
      throw known instanceof UserError ? known : new UserError('error_upload');
    }
  }

  async download(ctx: AdminContext): Promise<Reply> {
    const filename = backupName(single(ctx.query.filename));
    const opened = await openBackupForRead(path.join(this.backupDir, filename));
    // Streams from the handle that was checked; the stream closes it when done or aborted.
    return file(opened.handle.createReadStream(), filename, opened.size);
  }

  async delete(ctx: AdminContext): Promise<Reply> {
    const filename = backupName(single(ctx.query.filename) ?? single(ctx.body.filename));
    const filePath = path.join(this.backupDir, filename);
    // Only what the history lists: a link is not the shop owner's backup, and removing one name of a hard-linked file
    // would say "deleted" while the data stays.
    if (!(await plainFileStat(filePath))) throw new UserError('error_file');
    await fs.rm(filePath);
    return json({ success: ctx.t('text_delete_success', filename) });
  }

  /** OpenCart clears its file cache after a restore, so the shop does not serve data the restore replaced. */
  private async clearCache(): Promise<void> {
    const names = await fs.readdir(this.cacheDir).catch(() => [] as string[]);
    await Promise.all(names.filter((name) => name.startsWith('cache.')).map((name) => fs.rm(path.join(this.cacheDir, name), { force: true })));
  }
}

function percent(done: number, total: number): number {
  if (total <= 0) return 99;
  return Math.min(99, Math.floor((done / total) * 100));
}

async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    () => true,
    () => false,
  );
}

/** Disk errors become a message the shop owner can act on; everything else goes on unchanged. */
function storageError(error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'EACCES' || code === 'EPERM' || code === 'ENOSPC' || code === 'EROFS' || code === 'EDQUOT') {
    return new UserError('error_storage', [code]);
  }
  return error;
}
