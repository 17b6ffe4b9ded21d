// The dashboard's entry: checks for a terminal, owns the fleet store and the Ink instance, and lends the terminal to a shell.
import onExit from 'signal-exit';
import type {ComponentType, ReactNode} from 'react';
import type {Instance, render as inkRender} from 'ink';
import type {DeviceTarget} from '../core/device-target.js';
import {createFleetStore, focusOptions, type DeviceSnapshot, type FleetStore, type FleetStoreOptions} from '../core/fleet-store.js';
import {ringCapacity} from '../core/metric-ring.js';
import {describeError} from '../core/device-error.js';
import type {dashboardElement as dashboardElementFunction, lazyFlashWizard as lazyFlashWizardFunction} from './dashboard.js';
import {initialDashboardState, lastViewOf, type DashboardState} from './dashboard-state.js';
import type {ThemeName} from './theme.js';
import {registryOptionsFrom} from '../core/device-registry.js';
import {updateRecordsAt, type UpdateRecords} from '../core/update/update-records.js';
import {UpdateController, type UpdateControllerOptions} from './update/update-controller.js';
import type {PrometheusLink} from './prometheus/prometheus-link.js';

type InkModules = {render: typeof inkRender; dashboardElement: typeof dashboardElementFunction; lazyFlashWizard: typeof lazyFlashWizardFunction};

/**
 * Loads React, Ink and the views for a terminal; this module imports none of them itself, so this is where they are
 * first loaded (unless the caller loaded React or Ink earlier). Both decide things once, when first loaded: Ink
 * whether it runs "in CI" ($CI), and then draws nothing until it exits (and chalk, with it, whether to colour at all),
 * which on a real terminal is never wanted; React
 * whether it is a development build ($NODE_ENV), which costs about a third more CPU per frame. So $CI is hidden and
 * $NODE_ENV is "production" (unless set) while they load, and both are put back afterwards.
 */
async function loadInk(): Promise<InkModules> {
	const saved = {CI: process.env.CI, CONTINUOUS_INTEGRATION: process.env.CONTINUOUS_INTEGRATION, NODE_ENV: process.env.NODE_ENV};
	// Removed, not set to "false": chalk turns colours off whenever a CI variable exists at all.
	delete process.env.CI;
	delete process.env.CONTINUOUS_INTEGRATION;

	process.env.NODE_ENV ??= 'production';
	try {
		const [{render}, {dashboardElement, lazyFlashWizard}] = await Promise.all([import('ink'), import('./dashboard.js')]);
		return {render, dashboardElement, lazyFlashWizard};
	} finally {
		for (const [key, value] of Object.entries(saved)) {
			if (value === undefined) {
				delete process.env[key];
			} else {
				process.env[key] = value;
			}
		}
	}
}

export type DashboardSettings = {
	pollIntervalMs?: number;
	theme?: ThemeName;
	logBufferLines?: number;
};

export type ShellRunner = (
	target: DeviceTarget,
	io: {stdin: NodeJS.ReadStream; stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream},
) => Promise<number>;

export type RunDashboardOptions = {
	targets: readonly DeviceTarget[];
	/** Configuration problems to show (one line each, naming the file). */
	problems?: readonly {path: string; message: string}[];
	settings?: DashboardSettings;
	readonly?: boolean;
	stdin?: NodeJS.ReadStream;
	stdout?: NodeJS.WriteStream;
	stderr?: NodeJS.WriteStream;
	env?: NodeJS.ProcessEnv;
	/** Ends the dashboard (SIGTERM in the CLI). */
	signal?: AbortSignal;
	/** The breakglass shell for `b`; without it, `b` says it is not available. */
	runShell?: ShellRunner;
	/** The flashing wizard for `f`, drawn instead of the dashboard until it calls onExit. */
	renderFlash?: (onExit: () => void) => ReactNode;
	/**
	 * The flashing wizard loaded only when `f` is pressed (preferred over renderFlash: importing it early also loads
	 * React and Ink before the dashboard can choose how they load).
	 */
	loadFlashWizard?: () => Promise<{FlashWizard: ComponentType<{onExit: () => void}>}>;
	/** Passed to the fleet store (node exporter location, client factory…). */
	storeOptions?: Partial<Omit<FleetStoreOptions, 'targets'>>;
	/** Use the terminal's alternate screen, so quitting restores what was there (default true). */
	alternateScreen?: boolean;
	/** The folder `W` proposes for saved logs (the CLI passes the user's data folder). */
	saveDirectory?: string;
	/** `--prometheus URL`: alerts, history (H) from that server. */
	prometheus?: {url: string; timeoutMs?: number; refreshMs?: number; discover?: {password?: string}};
	/** The update pane (`u`): job timings (--settle), gok, where records live (default: the config folder). */
	update?: Pick<UpdateControllerOptions, 'job' | 'gok' | 'testboot' | 'drift' | 'suggestedArchive'> & {records?: UpdateRecords};
	/** The home folder, for `~` in a typed path. */
	home?: string;
	/** Where to open (the view the user left last time). */
	initialState?: DashboardState;
	/**
	 * End the process as soon as the terminal is restored on quit (`q`, Ctrl+C, a signal), without unmounting Ink's
	 * tree first: that final render and teardown took 0.3–0.7 s, and a user who quits waits for nothing. The CLI sets
	 * it; tests, which run several dashboards in one process, do not.
	 */
	exitOnQuit?: boolean;
	/** Told where the user left the dashboard when it quits (null: nowhere worth remembering). */
	remember?: (last: ReturnType<typeof lastViewOf>) => Promise<void>;
};

/** A configuration problem as one message: its file named once (the message usually starts with it already). */
export function problemText(problem: {path: string; message: string}): string {
	return problem.message.includes(problem.path) ? problem.message : `${problem.path}: ${problem.message}`;
}

const enterAlternateScreen = '\u001B[?1049h\u001B[H';
const leaveAlternateScreen = '\u001B[?1049l';

/** The message for a run without a terminal: says what is missing and what to use instead. */
export const noTerminalMessage = 'krazy-tui: the dashboard needs an interactive terminal (stdin and stdout must be a TTY); for scripts use `krazy-tui status [DEVICE...] [--json]`\n';

/**
 * Runs the dashboard until the user quits; resolves with the exit status (0, or 1 without a terminal). The terminal is
 * handed to a breakglass shell by unmounting Ink, leaving the alternate screen, running the shell on the raw streams,
 * and rendering again with the same store and the navigation state the user left: nothing of Ink runs meanwhile.
 */
export async function runDashboard(options: RunDashboardOptions): Promise<number> {
	const stdin = options.stdin ?? process.stdin;
	const stdout = options.stdout ?? process.stdout;
	const stderr = options.stderr ?? process.stderr;
	const env = options.env ?? process.env;
	if (!stdin.isTTY || !stdout.isTTY || typeof stdin.setRawMode !== 'function') {
		stderr.write(noTerminalMessage);
		return 1;
	}

	const settings = options.settings ?? {};
	const pollIntervalMs = settings.pollIntervalMs ?? 2000;
	const historyMs = options.storeOptions?.historyMs ?? 300_000;
	// The store batches (50 ms); how often poll results are drawn is the dashboard's frame pacer's one decision.
	const store = createFleetStore({
		...options.storeOptions,
		targets: options.targets,
		pollIntervalMs,
		historyMs,
		readonly: options.readonly ?? false,
		// Over a big fleet the rows off screen are polled less often (dashboard.tsx tells the store which are shown).
		...focusOptions(options.targets.length),
	});
	const alternate = options.alternateScreen ?? true;
	const leave = () => {
		if (alternate) {
			stdout.write(leaveAlternateScreen);
		}
	};

	const updates = new UpdateController({
		...options.update,
		store,
		env,
		records: options.update?.records ?? updateRecordsAt(registryOptionsFrom(env)),
	});
	let prometheus: PrometheusLink | undefined;
	let stopDiscovery: (() => void) | undefined;
	if (options.prometheus) {
		// Loaded only for a dashboard with Prometheus.
		const {joinDiscovered, PrometheusLink} = await import('./prometheus/prometheus-link.js');
		try {
			prometheus = new PrometheusLink(options.prometheus);
		} catch (error) {
			stderr.write(`krazy-tui: ${describeError(error)}; going on without Prometheus\n`);
		}

		// Devices Prometheus finds while the dashboard runs join the list (each read of its view, every 15 s).
		const discovery = options.prometheus.discover;
		stopDiscovery = prometheus && discovery ? joinDiscovered(prometheus, store, discovery.password) : undefined;
	}
	process.once('exit', leave);
	// The pollers' timers do not hold the process; between two Ink instances (a shell hand-over) nothing else would.
	const keepAlive = setInterval(() => undefined, 1 << 30);
	// Polling starts once the first frame is on screen: answers that arrived earlier were handled while Ink and the
	// views load, which the first frame then waited for.
	let started = false;
	const startOnce = () => {
		if (!started) {
			started = true;
			store.start();
			void updates.start();
			prometheus?.start();
		}
	};

	let ink: InkModules;
	try {
		ink = await loadInk();
	} catch (error) {
		clearInterval(keepAlive);
		updates.stop();
		stopDiscovery?.();
		prometheus?.stop();
		store.stop();
		process.off('exit', leave);
		throw error;
	}

	let state: DashboardState = options.initialState ?? initialDashboardState;
	const memory = rememberer(store, options.remember);
	/** A quit that ends the process: the alternate screen is left at exit, after Ink's last frame (see below). */
	let quitting = false;
	try {
		for (;;) {
			if (alternate) {
				stdout.write(enterAlternateScreen);
			}

			const outcome = await renderUntilDone(ink, store, updates, prometheus, state, options, settings, historyMs, pollIntervalMs, stdin, stdout, stderr, env, memory.soon, startOnce);
			state = outcome.state;
			if (outcome.kind === 'quit') {
				quitting = options.exitOnQuit === true;
				break;
			}

			// The shell gets the plain terminal: normal screen, cooked mode restored by Ink's unmount.
			leave();
			try {
				if (options.runShell) {
					await options.runShell(outcome.device.target, {stdin, stdout, stderr});
				}

				state = {...state, notice: {text: `back from the shell on ${outcome.device.name}`, tone: 'info'}};
			} catch (error) {
				state = {...state, notice: {text: describeError(error, outcome.device.name), tone: 'error'}};
			}

			reclaimInput(stdin);
		}

		// Usually written already, a second after the user last moved: quitting then waits for no file.
		await memory.now(state);
	} finally {
		clearInterval(keepAlive);
		updates.stop();
		stopDiscovery?.();
		prometheus?.stop();
		store.stop();
		if (!quitting) {
			leave();
		}

		process.off('exit', leave);
	}

	if (options.exitOnQuit) {
		// Ink stays mounted (unmounting the whole tree takes a while), and at exit its own hook draws the frame it had
		// pending, if any: left before that, the alternate screen would hand the frame to the normal screen. So the
		// screen is left, and the cursor Ink's unmount would restore shown, after every other exit handler.
		onExit(() => {
			leave();
			stdout.write('\u001B[?25h');
		}, {alwaysLast: true});
		stdin.setRawMode(false);
		// The CLI's dashboard ends here, on purpose (see exitOnQuit).
		process.exit(0);
	}

	return 0;
}

/**
 * Where the user is, written through `remember` a second after they last moved (so quitting seldom waits for a
 * settings file), and at quit when that is not done yet; the same place is never written twice.
 */
function rememberer(store: FleetStore, remember: RunDashboardOptions['remember']) {
	let written: string | undefined;
	let writing: Promise<void> = Promise.resolve();
	let timer: ReturnType<typeof setTimeout> | undefined;
	const now = async (state: DashboardState) => {
		clearTimeout(timer);
		if (!remember) {
			return;
		}

		const devices = store.getSnapshot().devices;
		const last = lastViewOf(state, {
			devices: () => devices.map(device => device.name),
			services: name => devices.find(device => device.name === name)?.services.map(service => service.path) ?? [],
		});
		const text = JSON.stringify(last);
		if (text !== written) {
			written = text;
			writing = writing.then(async () => remember(last)).catch(() => {
				// Remembering where the user was is a convenience: a settings file that cannot be written must not fail anything.
			});
		}

		await writing;
	};

	return {
		now,
		soon(state: DashboardState) {
			clearTimeout(timer);
			timer = setTimeout(() => void now(state), 1000);
			timer.unref();
		},
	};
}

/**
 * Makes stdin deliver keys to the next Ink instance. A terminal stream that was read in flowing mode and paused (as a
 * shell bridge leaves it) can keep its "reading" flag with the descriptor no longer read: adding Ink's 'readable'
 * listener then never starts reading again. Resuming restarts the descriptor; a placeholder 'readable' listener keeps
 * what arrives buffered (not emitted to nobody) until Ink's own listener takes over, and is removed after that.
 */
function reclaimInput(stdin: NodeJS.ReadStream): void {
	const holdBuffered = () => undefined;
	stdin.on('readable', holdBuffered);
	stdin.resume();
	setTimeout(() => {
		stdin.off('readable', holdBuffered);
	}, 250).unref();
}

type Outcome = {kind: 'quit'; state: DashboardState} | {kind: 'shell'; device: DeviceSnapshot; state: DashboardState};

async function renderUntilDone(
	{render, dashboardElement, lazyFlashWizard}: InkModules,
	store: FleetStore,
	updates: UpdateController,
	prometheus: PrometheusLink | undefined,
	state: DashboardState,
	options: RunDashboardOptions,
	settings: DashboardSettings,
	historyMs: number,
	pollIntervalMs: number,
	stdin: NodeJS.ReadStream,
	stdout: NodeJS.WriteStream,
	stderr: NodeJS.WriteStream,
	env: NodeJS.ProcessEnv,
	onNavigate: (state: DashboardState) => void,
	afterRender: () => void,
): Promise<Outcome> {
	let resolveOutcome!: (outcome: Outcome) => void;
	// A quit that ends the process leaves Ink mounted: runDashboard restores the terminal and exits.
	const exitsAt = (outcome: Outcome) => outcome.kind === 'quit' && options.exitOnQuit === true;
	const done = new Promise<Outcome>(resolve => {
		resolveOutcome = resolve;
	});
	// Filled right after render(); an outcome that arrives during the first render unmounts once it is there.
	const holder: {instance?: Instance; outcome?: Outcome} = {};
	const finish = (outcome: Outcome) => {
		holder.outcome ??= outcome;
		resolveOutcome(outcome);
		if (!exitsAt(outcome)) {
			holder.instance?.unmount();
		}
	};

	const onAbort = () => {
		finish({kind: 'quit', state});
	};

	options.signal?.addEventListener('abort', onAbort, {once: true});
	// Effects queued before the hand-over must not run again after it.
	const resumed: DashboardState = {...state, effects: []};
	const historyMinutes = Math.round((ringCapacity(historyMs, pollIntervalMs) * pollIntervalMs) / 60_000);
	const renderFlash = options.renderFlash ?? (options.loadFlashWizard ? lazyFlashWizard(options.loadFlashWizard) : undefined);
	const instance = render(
		dashboardElement({
			store,
			readonly: options.readonly,
			theme: settings.theme,
			logBufferLines: settings.logBufferLines,
			historyMinutes,
			initialState: resumed,
			// Settings are read for the dashboard and again for the fleet: a broken file's problem comes twice.
			problems: [...new Set((options.problems ?? []).map(problem => problemText(problem)))],
			env,
			saveDirectory: options.saveDirectory,
			home: options.home,
			renderFlash,
			updates,
			prometheus,
			onNavigate,
			onQuit(finalState) {
				finish({kind: 'quit', state: finalState});
			},
			onShell: options.runShell ? (device, finalState) => {
				finish({kind: 'shell', device, state: finalState});
			} : undefined,
		}),
		{
			stdin,
			stdout,
			stderr,
			// Ctrl+C is a key in the table: quitting goes through the same clean-up as q.
			exitOnCtrlC: false,
			patchConsole: true,
			maxFps: 20,
			// Ink 6.8's incremental mode moves the cursor one line short when the frame ends with a newline (ours
			// does: it is one line shorter than the terminal), so frames would creep down; the standard mode
			// redraws inside a synchronized update (DEC 2026), which terminals that know it show without flicker.
			incrementalRendering: false,
		},
	);
	// Ink creates its exit promise on the first waitUntilExit(); an unmount that completes before that call (a TTY
	// write calls back within the same tick) would resolve nothing, so the promise is made right away.
	const exited = instance.waitUntilExit();
	holder.instance = instance;
	afterRender();
	if (holder.outcome && !exitsAt(holder.outcome)) {
		instance.unmount();
	}

	if (options.signal?.aborted) {
		onAbort();
	}

	try {
		const outcome = await done;
		if (!exitsAt(outcome)) {
			await exited;
		}

		return outcome;
	} finally {
		options.signal?.removeEventListener('abort', onAbort);
		instance.cleanup();
	}
}
