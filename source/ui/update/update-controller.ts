// The dashboard's update loop: runs core/update's jobs (build, runUpdate, runRollback, runRollout: nothing of their logic
// here) for the device or the marked set, asks the pane's questions through promises, keeps the pane's state (a
// useSyncExternalStore source), drift marks from the gok config and "switched, reboot pending" from the records.
// No renderer: the pane draws getState(), the dashboard routes keys to key().
import {mkdtemp, readFile, rm, stat, writeFile} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type {DeviceTarget} from '../../core/device-target.js';
import type {FleetSnapshot, FleetStore} from '../../core/fleet-store.js';
import {DriftChecker, gokInstanceOf} from '../../core/update/gok-build.js';
import {sameBuild, type UpdateEvent, type UpdatePlan} from '../../core/update/update-events.js';
import type {JobOptions} from '../../core/update/update-job.js';
import type {UpdateRecords} from '../../core/update/update-records.js';
import {splitKeys} from '../../input/key-chunks.js';
import type {KeyEvent} from '../../input/key-table.js';
import {updatePaneKey, type PaneCommand} from './update-keys.js';
import {initialUpdateView, jobRunning, updateViewReducer, type UpdateSource, type UpdateViewAction, type UpdateViewState} from './update-view.js';

export type UpdateControllerOptions = {
	store: Pick<FleetStore, 'device' | 'getSnapshot' | 'subscribe' | 'pollNow'>;
	records: UpdateRecords;
	/** For gok (PATH, HOME). */
	env?: NodeJS.ProcessEnv;
	/** The gok command; default "gok" from PATH. */
	gok?: string;
	/** Job timings (tests, `--settle`); core's defaults otherwise. */
	job?: Pick<JobOptions, 'settleMs' | 'waitTimeoutMs' | 'watchPollMs' | 'gatePollMs' | 'timeoutMs'>;
	testboot?: boolean;
	/** The archive offered when none was used before (the demo's good next build). */
	suggestedArchive?: string;
	/** Check drift of gok instances with `gok sbom --format hash` (default true). */
	drift?: boolean;
	/** Progress redraws at most this often (default 100 ms); what the user did is drawn at once. */
	progressMs?: number;
	now?: () => number;
};

const lastArchiveFile = 'last-archive';

/**
 * The jobs (push, rollback, rollout, gok build, the archive reader) load when a job starts: the dashboard's first frame
 * does not wait for code that most sessions never run.
 */
async function loadJobs() {
	const [{runRollout}, {buildForUpdate}, {runRollback, runUpdate}] = await Promise.all([
		import('../../core/update/fleet-rollout.js'),
		import('../../core/update/update-build.js'),
		import('../../core/update/update-job.js'),
	]);
	return {runRollout, buildForUpdate, runRollback, runUpdate};
}

export class UpdateController {
	private state: UpdateViewState = initialUpdateView;
	private readonly listeners = new Set<() => void>();
	private abort: AbortController | null = null;
	private running: Promise<void> | null = null;
	private answer: ((yes: boolean | 'no-reboot' | 'testboot') => void) | null = null;
	private readonly drift: DriftChecker | null;
	private readonly driftAsked = new Map<string, string>();
	private unsubscribeStore: (() => void) | null = null;
	private notifyTimer: NodeJS.Timeout | null = null;
	private stopped = false;
	/** What the pane asks the dashboard to do: close the pane, or quit (after the question). */
	onClose: () => void = () => undefined;
	onQuit: () => void = () => undefined;

	constructor(private readonly options: UpdateControllerOptions) {
		this.drift = options.drift === false ? null : new DriftChecker({env: options.env, gok: options.gok});
	}

	/** Loads the last archive path and the reboots pending from the records; follows the store for drift. */
	async start(): Promise<void> {
		this.unsubscribeStore = this.options.store.subscribe(snapshot => {
			this.followFleet(snapshot);
		});
		this.followFleet(this.options.store.getSnapshot());
		const saved = await readFile(path.join(this.options.records.dir, lastArchiveFile), 'utf8').catch(() => '');
		const offered = saved.trim() || this.options.suggestedArchive;
		if (offered && this.state.lastArchive === '') {
			this.dispatch({type: 'lastArchive', path: offered});
		}

		const records = await this.options.records.all().catch(() => []);
		const last = new Map(records.map(record => [record.device, record]));
		for (const [device, record] of last) {
			if (record.state === 'switched' || record.state === 'testboot-set') {
				this.dispatch({type: 'pendingReboot', device, build: record.from});
			}
		}
	}

	stop(): void {
		this.stopped = true;
		this.unsubscribeStore?.();
		this.abort?.abort();
		this.answer?.(false);
		if (this.notifyTimer) {
			clearTimeout(this.notifyTimer);
		}
	}

	readonly subscribe = (listener: () => void): (() => void) => {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	};

	readonly getState = (): UpdateViewState => this.state;

	/** Whether a job runs (quitting asks first). */
	busy(): boolean {
		return jobRunning(this.state);
	}

	/** Resolves when the running job (if any) has ended. */
	async settled(): Promise<void> {
		await this.running;
	}

	private dispatch(action: UpdateViewAction, urgent = true): void {
		const next = updateViewReducer(this.state, action);
		if (next === this.state) {
			return;
		}

		this.state = next;
		if (urgent) {
			this.notify();
		} else {
			this.notifyTimer ??= setTimeout(() => {
				this.notify();
			}, this.options.progressMs ?? 100);
		}
	}

	private notify(): void {
		if (this.notifyTimer) {
			clearTimeout(this.notifyTimer);
			this.notifyTimer = null;
		}

		for (const listener of this.listeners) {
			listener();
		}
	}

	private readonly onEvent = (event: UpdateEvent): void => {
		if (this.stopped) {
			return;
		}

		// Bytes and gok's lines come fast: drawn at the progress rate; everything else at once.
		const urgent = event.type !== 'push' && event.type !== 'build-line' && event.type !== 'gate' && event.type !== 'wait';
		this.dispatch({type: 'event', event, now: this.now()}, urgent);
		if (event.type === 'done' || event.type === 'failed') {
			// The row shows the new build as soon as the store polls it.
			this.options.store.pollNow(event.device);
		}
	};

	private now(): number {
		return (this.options.now ?? Date.now)();
	}

	private followFleet(snapshot: FleetSnapshot): void {
		for (const device of snapshot.devices) {
			const running = device.overview ? {buildTimestamp: device.overview.buildTimestamp, sbomHash: device.overview.sbomHash} : undefined;
			const pending = this.state.pendingReboot[device.name];
			if (pending && running && !sameBuild(running, pending) && !this.busy()) {
				this.dispatch({type: 'pendingReboot', device: device.name, build: null});
			}

			if (!this.drift || !running || running.sbomHash === '' || !gokInstanceOf(device.target)) {
				continue;
			}

			if (this.driftAsked.get(device.name) === running.sbomHash) {
				continue;
			}

			this.driftAsked.set(device.name, running.sbomHash);
			void this.drift.mark(device.target, running.sbomHash).then(mark => {
				this.dispatch({type: 'drift', device: device.name, mark});
			});
		}
	}

	/** Space on a row. */
	toggleMark(device: string): void {
		this.dispatch({type: 'toggleMark', device});
	}

	private target(device: string): DeviceTarget | undefined {
		return this.options.store.device(device)?.target;
	}

	/**
	 * `u`: update the marked devices (in the order marked), or the selected one. While a job runs the pane just shows
	 * it. gok instances are asked build or archive; others go straight to the archive path.
	 */
	openUpdate(selected: string | null): void {
		if (this.busy() || this.state.prompt) {
			return;
		}

		const devices = this.state.marked.length > 0 ? [...this.state.marked] : selected === null ? [] : [selected];
		const known = devices.filter(device => this.target(device));
		if (known.length === 0) {
			this.dispatch({type: 'notice', notice: {text: 'no device to update', tone: 'error'}});
			return;
		}

		this.dispatch({type: 'focus', device: known[0]!});
		this.dispatch({type: 'session', session: null});
		const allGok = known.every(device => gokInstanceOf(this.target(device)!));
		this.dispatch({type: 'prompt', prompt: allGok ? {kind: 'source', devices: known} : {kind: 'path', devices: known, text: this.state.lastArchive}});
	}

	/** `U` on a row, `R` in the pane: asks for the device's name, then rolls back. */
	openRollback(device: string | null): void {
		if (this.busy() || device === null || !this.target(device)) {
			return;
		}

		this.dispatch({type: 'focus', device});
		this.dispatch({type: 'prompt', prompt: {kind: 'rollback', device, typed: '', wrong: false}});
	}

	/** The dashboard's quit while a job runs: the pane asks first. */
	askQuit(): void {
		this.dispatch({type: 'prompt', prompt: {kind: 'quit'}});
	}

	/** Keys while the pane is up, as the terminal delivered them (a chunk is taken apart, as the dashboard does). */
	key(input: string, key: KeyEvent, options: {readonly?: boolean} = {}): void {
		for (const single of splitKeys(input, key)) {
			this.oneKey(single.input, single.key, options);
		}
	}

	private oneKey(input: string, key: KeyEvent, options: {readonly?: boolean}): void {
		const before = this.state;
		const {state, command} = updatePaneKey(before, input, key, options);
		if (state !== before) {
			this.state = state;
			this.notify();
		}

		if (command) {
			this.run(command, before);
		}
	}

	private run(command: PaneCommand, before: UpdateViewState): void {
		switch (command.type) {
			case 'close': {
				this.onClose();
				break;
			}

			case 'build': {
				const devices = before.prompt?.kind === 'source' ? before.prompt.devices : [];
				this.startUpdate(devices, {kind: 'gok'});
				break;
			}

			case 'archive': {
				const devices = before.prompt?.kind === 'path' ? before.prompt.devices : [];
				void this.startFromArchive(devices, command.path);
				break;
			}

			case 'answer': {
				const answer = this.answer;
				this.answer = null;
				answer?.(command.yes);
				break;
			}

			case 'rollback': {
				this.startRollback(command.device);
				break;
			}

			case 'cancelJob': {
				this.cancel();
				break;
			}

			case 'quit': {
				this.cancel();
				void this.settled().then(() => {
					this.onQuit();
				});
				break;
			}

			case 'stayAfterQuitQuestion': {
				break;
			}
		}
	}

	cancel(): void {
		if (!this.busy()) {
			return;
		}

		this.dispatch({type: 'cancelling'});
		this.abort?.abort();
		const answer = this.answer;
		this.answer = null;
		answer?.(false);
	}

	private async startFromArchive(devices: readonly string[], file: string): Promise<void> {
		const absolute = path.resolve(file.startsWith('~/') ? path.join(this.options.env?.HOME ?? os.homedir(), file.slice(2)) : file);
		try {
			const info = await stat(absolute);
			if (!info.isFile()) {
				throw new Error('not a file');
			}
		} catch (error) {
			const code = (error as NodeJS.ErrnoException).code;
			const cause = code === 'ENOENT' || code === 'ENOTDIR' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
			this.dispatch({type: 'prompt', prompt: {kind: 'path', devices, text: file, error: `${absolute}: ${cause}`}});
			return;
		}

		this.dispatch({type: 'lastArchive', path: absolute});
		await writeFile(path.join(this.options.records.dir, lastArchiveFile), `${absolute}\n`, {mode: 0o600}).catch(() => undefined);
		this.startUpdate(devices, {kind: 'archive', path: absolute});
	}

	private confirm = async (plan: UpdatePlan): Promise<boolean | 'no-reboot' | 'testboot'> => new Promise(resolve => {
		if (this.abort?.signal.aborted) {
			resolve(false);
			return;
		}

		this.answer = resolve;
		this.dispatch({type: 'prompt', prompt: {kind: 'confirm', device: plan.device, plan}});
	});

	/** One device after another through core's rollout; the first failure stops it. */
	startUpdate(devices: readonly string[], source: UpdateSource): void {
		if (this.busy() || devices.length === 0) {
			return;
		}

		const abort = new AbortController();
		this.abort = abort;
		this.dispatch({type: 'session', session: {kind: 'update', devices, source, running: true, cancelling: false}, now: this.now()});
		const {records, env, job} = this.options;
		this.running = (async () => {
			const {runRollout, buildForUpdate, runUpdate} = await loadJobs();
			const outcome = await runRollout(devices, async name => {
				const target = this.target(name);
				if (!target) {
					throw new Error(`${name}: no longer in the fleet`);
				}

				let archive = source.kind === 'archive' ? source.path : undefined;
				let buildDir: string | undefined;
				try {
					if (archive === undefined) {
						buildDir = await mkdtemp(path.join(os.tmpdir(), 'krazy-tui-build-'));
						archive = path.join(buildDir, `${name.replaceAll(/[^\w.-]/g, '_')}.gaf`);
						await buildForUpdate(target, archive, {env, signal: abort.signal, gok: this.options.gok}, this.onEvent);
					}

					return await runUpdate({
						...job,
						target,
						records,
						archive,
						testboot: this.options.testboot,
						confirm: this.confirm,
						onEvent: this.onEvent,
						signal: abort.signal,
					});
				} finally {
					if (buildDir) {
						await rm(buildDir, {recursive: true, force: true});
					}
				}
			}, abort.signal);
			this.finish(outcome.ok, outcome.cancelled);
		})().catch((error: unknown) => {
			this.dispatch({type: 'notice', notice: {text: (error as Error).message ?? String(error), tone: 'error'}});
			this.finish(false, abort.signal.aborted);
		});
	}

	startRollback(device: string): void {
		const target = this.target(device);
		if (this.busy() || !target) {
			return;
		}

		const abort = new AbortController();
		this.abort = abort;
		this.dispatch({type: 'session', session: {kind: 'rollback', devices: [device], running: true, cancelling: false}, now: this.now()});
		this.running = (async () => {
			try {
				// The name was typed: that was the confirmation.
				const {runRollback} = await loadJobs();
				await runRollback({...this.options.job, target, records: this.options.records, onEvent: this.onEvent, signal: abort.signal});
				this.finish(true, false);
			} catch {
				// The job's 'failed' event carries the message.
				this.finish(false, abort.signal.aborted);
			}
		})();
	}

	private finish(ok: boolean, cancelled: boolean): void {
		this.abort = null;
		this.answer = null;
		this.dispatch({type: 'sessionEnded', ok, cancelled});
		if (ok) {
			this.dispatch({type: 'clearMarks'});
		}
	}
}
