// `krazy-tui [DEVICE...]`: resolves the devices and settings, then lazily loads the Ink dashboard and hands it the terminal.
import type {DeviceTarget} from '../core/device-target.js';
import {readPasswordFile, registryOptionsFrom, type ConfigProblem} from '../core/device-registry.js';
import {dataDirectory, readSettings, setSetting, settingsDirectory, type Settings} from '../core/settings.js';
import {parseCommandArgs, UsageError, type Command, type CommandIo} from './command-io.js';
import {deviceFlags, noDevicesMessage, resolveFleet, settleMs, writeLine} from './device-options.js';
import {discoverFromPrometheus, prometheusUrlFrom} from './dashboard-prometheus.js';
import {DeviceError} from '../core/device-error.js';

const help = `Usage: krazy-tui [DEVICE...] [--readonly] [--poll-interval SECONDS] [--settle SECONDS] [--prometheus URL|off] [--password-file FILE] [--timeout SECONDS]

The interactive dashboard over every known device (gok instances, saved devices), or over the DEVICEs given.
--readonly hides every action (restart, stop, start, kill, reboot, power off, shell, flash, update).
--settle: the health gate's time after an update (u) or rollback (U), as for krazy-tui update (default 30).
--prometheus URL (default: the saved prometheusUrl setting; off: none): devices Prometheus knows join the list,
its firing alerts are marked on the rows and counted in the title, and H shows a device's history (1 h, 24 h, 7 d).
Press ? inside for every key.`;

export type DashboardLaunch = {
	targets: DeviceTarget[];
	problems?: ConfigProblem[];
	settings: Settings;
	readonly: boolean;
	/** --timeout for every request to the devices; undefined: the client's default. */
	timeoutMs?: number;
	/** --settle for the update pane's health gate. */
	settleMs?: number;
	/** The archive the update pane offers first (the demo's good next build). */
	suggestedArchive?: string;
	/** The Prometheus server for history and alerts; null or absent: none. */
	prometheusUrl?: string | null;
	/** Devices Prometheus finds while the dashboard runs join it (with this password, if any). */
	discover?: {password?: string};
	io: CommandIo;
};

/** Opens the dashboard on these devices, wiring `b` to the breakglass shell and `f` to the flashing wizard. */
export async function launchDashboard(launch: DashboardLaunch): Promise<number> {
	const {io, settings} = launch;
	const location = registryOptionsFrom(io.env);
	const configDir = settingsDirectory(location);
	// Only the dashboard's entry is loaded here: it loads Ink (and React in its production build) itself, and the shell
	// and the flashing wizard are loaded when their key is pressed.
	const [{runDashboard}, {stateForLastView}] = await Promise.all([import('../ui/dashboard-app.js'), import('../ui/dashboard-state.js')]);
	return runDashboard({
		targets: launch.targets,
		problems: launch.problems,
		settings: {pollIntervalMs: settings.pollIntervalMs, theme: settings.theme, logBufferLines: settings.logBufferLines},
		readonly: launch.readonly,
		storeOptions: {timeoutMs: launch.timeoutMs},
		update: {job: {settleMs: launch.settleMs, timeoutMs: launch.timeoutMs}, suggestedArchive: launch.suggestedArchive},
		prometheus: launch.prometheusUrl ? {url: launch.prometheusUrl, timeoutMs: launch.timeoutMs, discover: launch.discover} : undefined,
		env: io.env,
		signal: io.signal,
		async runShell(target, terminal) {
			const {runInteractiveShell} = await import('../core/breakglass/breakglass-shell.js');
			const {breakglassStartWait} = await import('./shell.js');
			return runInteractiveShell(target, {configDir, home: location.home, env: io.env, signal: io.signal, portTimeoutMs: breakglassStartWait(undefined, io.env)}, terminal);
		},
		loadFlashWizard: async () => import('../ui/flash/flash-wizard.js'),
		saveDirectory: dataDirectory(location),
		exitOnQuit: true,
		home: location.home,
		// The last device and view, when that device is in this fleet.
		initialState: stateForLastView(settings.lastView, launch.targets.map(target => target.name)),
		async remember(last) {
			if (JSON.stringify(last) !== JSON.stringify(settings.lastView)) {
				await setSetting(location, 'lastView', last);
			}
		},
	});
}

/** --poll-interval SECONDS, bounded to what makes sense for a device on a LAN. */
export function pollIntervalFrom(command: string, text: string | undefined, fallback: number): number {
	if (text === undefined) {
		return fallback;
	}

	const seconds = Number(text);
	if (!Number.isFinite(seconds) || seconds < 0.2 || seconds > 3600) {
		throw new UsageError(`${command}: --poll-interval wants seconds between 0.2 and 3600, not ${JSON.stringify(text)}`);
	}

	return Math.round(seconds * 1000);
}

export const dashboardCommand: Command = async (args, io) => {
	const {values, positionals} = parseCommandArgs('krazy-tui', args, {
		...deviceFlags,
		readonly: {type: 'boolean'},
		'poll-interval': {type: 'string'},
		settle: {type: 'string'},
		prometheus: {type: 'string'},
	});
	if (values.help) {
		writeLine(io.stdout, help);
		return 0;
	}

	const settle = settleMs('krazy-tui', values.settle);
	const {settings, problems: settingsProblems} = await readSettings(registryOptionsFrom(io.env));
	settings.pollIntervalMs = pollIntervalFrom('krazy-tui', values['poll-interval'], settings.pollIntervalMs);
	const prometheusUrl = prometheusUrlFrom(values.prometheus, settings.prometheusUrl);
	// With Prometheus, no configured device is fine: the devices it knows join the list.
	const fleet = await resolveFleet('krazy-tui', positionals, values, io, {allowNone: prometheusUrl !== null});
	// The dashboard owns the terminal: problems are shown in its footer, not printed under it.
	const problems: ConfigProblem[] = [...settingsProblems, ...fleet.problems];
	let targets = fleet.targets;
	let discover: {password?: string} | undefined;
	if (prometheusUrl !== null && positionals.length === 0) {
		const password = values['password-file'] === undefined ? io.env.KRAZY_PASSWORD : await readPasswordFile(values['password-file']);
		discover = password === undefined ? {} : {password};
		const found = await discoverFromPrometheus(prometheusUrl, targets, password, fleet.timeoutMs, io.signal);
		targets = [...targets, ...found.targets];
		if (found.problem) {
			problems.push({path: prometheusUrl.replace(/\/\/[^@/]*@/, '//'), message: found.problem});
		}
	}

	if (targets.length === 0) {
		throw new DeviceError('krazy-tui', 'config', `${noDevicesMessage}; Prometheus at ${prometheusUrl ?? '?'} knows none either`);
	}

	return launchDashboard({targets, problems, settings, readonly: values.readonly ?? false, timeoutMs: fleet.timeoutMs, settleMs: settle, prometheusUrl, discover, io});
};
