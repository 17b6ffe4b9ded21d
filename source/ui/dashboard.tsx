// The dashboard screen: devices, services of the selected one, graphs, logs, help and dialogs, all fed by the fleet store.
import React, {Suspense, lazy, useEffect, useLayoutEffect, useMemo, useReducer, useRef, useState, useSyncExternalStore, type ComponentType, type ReactElement, type ReactNode} from 'react';
import {Box, Text, useInput} from 'ink';
import type {DeviceSnapshot, FleetSnapshot, FleetStore, ServiceSnapshot} from '../core/fleet-store.js';
import type {LogFollower, LogFollowerState} from '../core/log-buffer.js';
import {mkdir} from 'node:fs/promises';
import path from 'node:path';
import {saveLogEntries, logFileName} from '../core/log-buffer.js';
import {describeError} from '../core/device-error.js';
import {
	dashboardReducer,
	effectiveDevice,
	effectiveService,
	filterPalette,
	initialDashboardState,
	paletteCommands,
	sortOrderWords,
	type DashboardEnv,
	type DashboardState,
	type Effect,
	type SortOrder,
} from './dashboard-state.js';
import {sortDevices, sortServices} from './fleet-order.js';
import {entryVisible} from './log-view-state.js';
import {fleetLayout} from './fleet-layout.js';
import {dashboardKeys} from './dashboard-keys.js';
import {useTerminalSize, type TerminalSize} from './terminal-size.js';
import {FramePacer} from './frame-pacer.js';
import {PaletteContext, paletteFor, usePalette, type ThemeName} from './theme.js';
import {clean, deviceTitle} from '../display/device-text.js';
import {fit, wrapFully} from '../display/columns.js';
import {fleetCounts} from '../display/vocabulary.js';
import {Line, LineWidthContext, type Segment} from './components/line.js';
import {DeviceTable, deviceWindow} from './components/device-table.js';
import {ServiceTable} from './components/service-table.js';
import {GraphsPane} from './components/graphs-pane.js';
import {ConfirmDialog, dialogHeight} from './components/confirm-dialog.js';
import {LogView, logChromeRows} from './components/log-view.js';
import type {UpdateController} from './update/update-controller.js';
import {updateHints} from './update/update-pane-lines.js';
import {initialUpdateView, rowNote, type UpdateViewState} from './update/update-view.js';
import {deferredView} from './deferred-view.js';
import {historyKeys} from './prometheus/history-keys.js';
import type {PrometheusLink, PrometheusLinkState} from './prometheus/prometheus-link.js';
import {alertNote} from '../display/alert-note.js';

export type DashboardProps = {
	store: FleetStore;
	readonly?: boolean;
	theme?: ThemeName;
	logBufferLines?: number;
	/** Minutes of history the rings hold (for the graph title). */
	historyMinutes?: number;
	/** Pin the size (tests, screenshots); otherwise the terminal's, following resizes. */
	size?: TerminalSize;
	/** Where navigation starts (the dashboard comes back from a shell where it was). */
	initialState?: DashboardState;
	/** Lines about the configuration (broken gok configs, …) to show once. */
	problems?: readonly string[];
	onQuit: (state: DashboardState) => void;
	/** Told the state after the user moved to another view, device or service (for remembering where they were). */
	onNavigate?: (state: DashboardState) => void;
	/** `b`: the owner unmounts the dashboard, runs the shell, and renders it again. */
	onShell?: (device: DeviceSnapshot, state: DashboardState) => void;
	/** `f`: the flashing wizard, drawn instead of the dashboard until it calls onExit. */
	renderFlash?: (onExit: () => void) => ReactNode;
	/** The folder `W` proposes for saved logs (the user's data folder; never the current folder unasked). */
	saveDirectory?: string;
	/** The home folder, for `~` in a typed path. */
	home?: string;
	env?: NodeJS.ProcessEnv;
	/** `u`, `U`, `m`: the update pane's jobs, drift marks and row notes (ui/update/); without it those keys do nothing. */
	updates?: UpdateController;
	/** `--prometheus URL`: alerts on rows and in the title, `H` the history view (ui/prometheus/). */
	prometheus?: PrometheusLink;
};

/** Poll results are drawn at most this often; the seconds tick is the same frame (see frame-pacer.ts). */
const pollFrameGapMs = 1000;

/**
 * The store's snapshot and the time this frame shows ages at ("last seen 12 s ago"), drawn when the pacer says: what
 * the user did at once, poll results at most once a second, and a frame at least every `tickMs` (null: no tick).
 */
function usePacedFleet(store: FleetStore, tickMs: number | null): {snapshot: FleetSnapshot; now: number} {
	const [, setFrames] = useState(0);
	const pacer = useMemo(() => new FramePacer(() => {
		setFrames(frames => frames + 1);
	}, {minGapMs: pollFrameGapMs}), []);
	const snapshot = store.getSnapshot();
	const now = Date.now();
	useLayoutEffect(() => store.subscribe((_next, _changed, urgent) => {
		pacer.changed(urgent);
	}), [store, pacer]);
	useLayoutEffect(() => () => {
		pacer.stop();
	}, [pacer]);
	// After every frame, whatever caused it.
	useLayoutEffect(() => {
		pacer.setTick(tickMs);
		pacer.drawn();
		if (store.getSnapshot() !== snapshot) {
			pacer.changed(false);
		}
	});
	return {snapshot, now};
}

function countsSeconds(devices: readonly DeviceSnapshot[], services: readonly ServiceSnapshot[], now: number): boolean {
	const recent = (time: number | null | undefined) => time !== null && time !== undefined && now - time < 90_000;
	return devices.some(device => device.health !== 'online' || (device.power !== null && (device.power.phase === 'pending' || recent(device.power.finishedAt))))
		|| services.some(service => recent(service.status.startTime?.getTime()) || service.action !== null && (service.action.phase === 'pending' || recent(service.action.finishedAt)));
}

function matchesFilter(text: string, filter: string): boolean {
	return filter === '' || text.toLowerCase().includes(filter.toLowerCase());
}

function visibleDevices(devices: readonly DeviceSnapshot[], filter: string, sort: SortOrder = 'configured'): readonly DeviceSnapshot[] {
	const shown = filter === '' ? devices : devices.filter(device => matchesFilter(`${device.name} ${device.overview?.hostname ?? ''} ${device.overview?.model ?? ''}`, filter));
	return sortDevices(shown, sort);
}

function visibleServices(device: DeviceSnapshot | undefined, filter: string, sort: SortOrder = 'configured'): readonly ServiceSnapshot[] {
	if (!device) {
		return [];
	}

	return sortServices(filter === '' ? device.services : device.services.filter(service => matchesFilter(service.path, filter)), sort);
}

/** What quitting now would abandon: an action under way ("restart of /user/golink on casa"), or null. */
export function busyText(devices: readonly DeviceSnapshot[]): string | null {
	// A reboot or power off is sent in a moment and then up to the device: only a service action waits for its result.
	for (const device of devices) {
		for (const service of device.services) {
			if (service.action?.phase === 'pending') {
				return `the ${service.action.kind} of ${service.path} on ${device.name}`;
			}
		}
	}

	return null;
}

/** `~/x` and `~` as the home folder; a relative path stays relative to the current folder (the user typed it). */
export function expandHome(file: string, home: string | undefined): string {
	if (home && (file === '~' || file.startsWith('~/'))) {
		return path.join(home, file.slice(1));
	}

	return file;
}

/** The most lines the message line wraps to. */
const maxMessageLines = 3;

// Drawn only after a key: loaded a moment after the first frame, once the first polls have had the CPU (or at once when
// asked for), see deferred-view.ts.
const afterFirstPolls = {delayMs: 300};
const helpView = deferredView(async () => import('./components/help-view.js'), afterFirstPolls);
const overlayViews = deferredView(async () => import('./components/overlays.js'), afterFirstPolls);
const updateView = deferredView(async () => import('./components/update-pane.js'), afterFirstPolls);
const historyView = deferredView(async () => import('./components/history-pane.js'), afterFirstPolls);

/**
 * A view still loading (only right after start-up): its rows kept, so nothing below it moves; a view that cannot load
 * (a broken install) says why there, and the rest of the dashboard goes on.
 */
function Loading({rows, failure}: {rows: number; failure: string | undefined}) {
	const palette = usePalette();
	return (
		<Box height={Math.max(1, rows)}>
			{failure === undefined
				? <Text dimColor>loading…</Text>
				: <Text color={palette.bad} wrap='wrap'>{clean(`this view cannot load: ${failure}`)}</Text>}
		</Box>
	);
}

/** The dashboard as an element: what the entry renders, without a JSX (and so a React) import of its own. */
export function dashboardElement(props: DashboardProps): ReactElement {
	return <Dashboard {...props} />;
}

/** `renderFlash` for a wizard that is loaded only when `f` is first pressed. */
export function lazyFlashWizard(load: () => Promise<{FlashWizard: ComponentType<{onExit: () => void}>}>): (onExit: () => void) => ReactNode {
	const LazyWizard = lazy(async () => ({default: (await load()).FlashWizard}));
	return onExit => (
		<Suspense fallback={<Text>loading the flashing wizard…</Text>}>
			<LazyWizard onExit={onExit} />
		</Suspense>
	);
}

export function Dashboard(props: DashboardProps) {
	const palette = useMemo(() => paletteFor(props.theme ?? 'auto', props.env ?? process.env), [props.theme, props.env]);
	return (
		<PaletteContext.Provider value={palette}>
			<DashboardScreen {...props} />
		</PaletteContext.Provider>
	);
}

function DashboardScreen(props: DashboardProps) {
	const {store} = props;
	const readonly = props.readonly ?? store.readonly;
	const palette = usePalette();
	const size = useTerminalSize(props.size);
	const [state, dispatch] = useReducer(dashboardReducer, props.initialState ?? initialDashboardState);
	const help = helpView.useModule(state.help);
	const overlays = overlayViews.useModule(state.messagesOpen || state.palette !== null);
	const update = updateView.useModule(state.screen === 'update');
	// Without Prometheus the history pane only says so: loaded when asked for.
	const history = historyView.useModule(state.screen === 'history', props.prometheus !== undefined);
	const {onNavigate} = props;
	useEffect(() => {
		onNavigate?.(state);
		// Where the user is, not every key: the screen, the focus, the selected device, service and log.
		// eslint-disable-next-line react-hooks/exhaustive-deps
	}, [onNavigate, state.screen, state.focus, state.device, state.service, state.logTarget]);
	// Configuration problems: once each, into the message line and the log (`m`), not in the footer all session.
	const problemsShown = useRef(false);
	useEffect(() => {
		if (problemsShown.current || !props.problems) {
			return;
		}

		problemsShown.current = true;
		for (const problem of props.problems) {
			dispatch({type: 'notice', notice: {text: problem, tone: 'warn'}});
		}
	}, [props.problems]);
	const [tickMs, setTickMs] = useState(1000);
	const {snapshot, now} = usePacedFleet(store, state.screen === 'fleet' ? tickMs : null);
	const [follower, setFollower] = useState<LogFollower | null>(null);
	const followerState = useSyncExternalStore(
		follower ? follower.subscribe : noSubscribe,
		follower ? follower.getState : noState,
	);
	const {updates} = props;
	const updateState = useSyncExternalStore(updates ? updates.subscribe : noSubscribe, updates ? updates.getState : noUpdateState);
	const {prometheus} = props;
	const prometheusState = useSyncExternalStore(prometheus ? prometheus.subscribe : noSubscribe, prometheus ? prometheus.getState : noPrometheusState);
	// A question of the pane (the next device of a rollout to confirm, quitting while a job runs) brings it back.
	const updateQuestion = updateState.prompt;
	useEffect(() => {
		if (updateQuestion !== null && state.screen !== 'update' && state.screen !== 'flash') {
			dispatch({type: 'showUpdate', shown: true});
		}
	}, [updateQuestion, state.screen]);

	// The log follower lives exactly as long as the log screen shows that service.
	const logDevice = state.logTarget?.device;
	const logPath = state.logTarget?.path;
	useEffect(() => {
		if (state.screen !== 'logs' || logDevice === undefined || logPath === undefined) {
			return;
		}

		let opened: LogFollower | null = null;
		try {
			opened = store.openLog(logDevice, logPath, {capacity: props.logBufferLines});
			setFollower(opened);
		} catch (error) {
			dispatch({type: 'logNotice', text: describeError(error, logDevice)});
		}

		return () => {
			opened?.close();
			setFollower(null);
		};
	}, [store, state.screen, logDevice, logPath, props.logBufferLines]);

	// A reboot asked for: its end is a message too ("casa is back after reboot (away 14 s)"), once.
	const announcedBack = useRef(new Set<string>());
	useEffect(() => {
		for (const device of snapshot.devices) {
			const power = device.power;
			if (power?.kind !== 'reboot' || power.backAt === undefined) {
				continue;
			}

			const key = `${device.name} ${power.backAt}`;
			if (!announcedBack.current.has(key)) {
				announcedBack.current.add(key);
				dispatch({type: 'notice', notice: {text: `${device.name}: ${power.text}`, tone: 'info'}});
			}
		}
	}, [snapshot]);

	const devicesFor = (filter: string, sort?: SortOrder) => visibleDevices(snapshot.devices, filter, sort).map(device => device.name);
	const servicesFor = (name: string, filter: string, sort?: SortOrder) => visibleServices(snapshot.devices.find(device => device.name === name), filter, sort).map(service => service.path);
	const devices = visibleDevices(snapshot.devices, state.deviceFilter, state.sort);
	const selectedDeviceName = effectiveDevice(state, {devices: devicesFor});
	const selectedDevice = snapshot.devices.find(device => device.name === selectedDeviceName);
	const services = visibleServices(selectedDevice, state.serviceFilter, state.sort);
	const selectedServicePath = effectiveService(state, {devices: devicesFor, services: servicesFor});
	const selectedService = services.find(service => service.path === selectedServicePath);
	// Until a device has answered, nobody knows how many services there are: the service list keeps its room.
	const serviceCount = snapshot.devices.some(device => device.overview) ? Math.max(...snapshot.devices.map(device => device.services.length)) : undefined;
	// The message line: the newest message, else why the selected device does not answer; wrapped, never cut.
	// The message line: the newest message, then why the selected device does not answer (live, so always shown
	// while it lasts); wrapped, never cut: what does not fit in its lines is in the message log.
	const messages: Array<{text: string; tone: 'info' | 'warn' | 'error'}> = state.notice ? [state.notice] : [];
	if (state.screen === 'fleet' && selectedDevice?.error && selectedDevice.health !== 'online') {
		const retry = selectedDevice.nextAttemptAt === null ? '' : ` · retrying in ${Math.max(0, Math.ceil((selectedDevice.nextAttemptAt - now) / 1000))} s`;
		messages.push({text: `${clean(selectedDevice.error)}${retry}`, tone: 'error'});
	}

	const overlay = state.help || state.messagesOpen || state.palette !== null;
	let messageLines: Array<{text: string; tone: 'info' | 'warn' | 'error'; first: boolean}> = overlay || state.listInput
		? []
		: messages.flatMap(message => wrapFully(clean(message.text), Math.max(1, size.columns)).map((text, index) => ({text, tone: message.tone, first: index === 0})));
	if (messageLines.length > maxMessageLines) {
		// Longer than the lines it may take: the rest is in the message log.
		const last = messageLines[maxMessageLines - 1]!;
		messageLines = [...messageLines.slice(0, maxMessageLines - 1), {...last, text: `${fit(last.text, Math.max(1, size.columns - 26))} … (m: the whole message)`}];
	}

	const dialogLines = state.dialog ? dialogHeight(state.dialog, size.columns) : 0;
	const layout = fleetLayout(size.columns, size.rows, devices.length, {dialogRows: dialogLines + messageLines.length, serviceCount});
	// What is on screen is polled at the interval; over a big fleet the rest less often (the store's unfocused interval).
	const inView = state.screen === 'fleet' ? deviceWindow(devices, selectedDeviceName, layout.deviceRows).map(device => device.name) : [];
	const focusKey = [...new Set([...inView, ...(selectedDeviceName ? [selectedDeviceName] : []), ...updateState.marked])].join('\n');
	useEffect(() => {
		store.setFocus(focusKey === '' ? [] : focusKey.split('\n'));
	}, [store, focusKey]);
	// The clock ticks every second only while something on screen counts seconds ("last seen 12 s ago", a fresh
	// uptime, an action's result); otherwise every 10 s is enough for minutes, and the dashboard stays idle.
	const wantedTick = countsSeconds(devices, services, now) ? 1000 : 10_000;
	if (wantedTick !== tickMs) {
		setTickMs(wantedTick);
	}

	const logRows = Math.max(1, layout.height - dialogLines - messageLines.length);

	const env: DashboardEnv = {
		devices: devicesFor,
		services: servicesFor,
		readonly,
		pageRows: {devices: layout.deviceRows, services: layout.serviceRows, help: layout.height - 2},
		log: follower && state.screen === 'logs' ? {buffer: follower.buffer, rows: Math.max(1, logRows - logChromeRows), width: layout.width} : null,
		busy: busyText(snapshot.devices),
		savePath: (device, servicePath) => path.join(props.saveDirectory ?? path.join(props.home ?? '~', 'krazy-tui'), 'logs', logFileName(device, servicePath)),
	};
	const envRef = useRef(env);
	envRef.current = env;

	// One handler for the dashboard and the update pane, routed by the screen last drawn: a key typed right after the
	// pane closed still goes to the pane (which then shows again if it asks something), never to nobody.
	const screenRef = useRef(state.screen);
	screenRef.current = state.screen;
	const stateRef = useRef(state);
	stateRef.current = state;
	useInput((input, key) => {
		if (screenRef.current === 'update' && updates) {
			updates.key(input, key, {readonly});
		} else if (screenRef.current === 'history' && prometheus) {
			const device = store.device(prometheus.getState().history?.device ?? '');
			const intent = historyKeys.match(['history'], input, key);
			if (intent === 'back') {
				prometheus.closeHistory();
				dispatch({type: 'showHistory', shown: false});
			} else if (device && (intent === 'hour' || intent === 'day' || intent === 'week')) {
				prometheus.showHistory(device, ({hour: '1h', day: '24h', week: '7d'} as const)[intent]);
			} else if (device && (intent === 'next' || intent === 'previous')) {
				prometheus.cycleWindow(device, intent === 'next' ? 1 : -1);
			} else if (device && intent === 'reload') {
				prometheus.showHistory(device);
			}
		} else {
			const action = {type: 'key', input, key, env: envRef.current} as const;
			// Ctrl+C quits now, not after one more render of the whole screen. Only Ctrl+C: it quits from anywhere, so the
			// state of the last render will do; other keys may depend on keys that arrived with them and are not drawn yet.
			if (key.ctrl && input === 'c') {
				const next = dashboardReducer(stateRef.current, action);
				const queued = next.effects.at(-1);
				if (queued && queued.effect.type === 'quit' && queued.id !== stateRef.current.effects.at(-1)?.id && !updates?.busy()) {
					props.onQuit(next);
					return;
				}
			}

			dispatch(action);
		}
	}, {isActive: state.screen !== 'flash'});


	// Effects run once each, after the render that queued them.
	const handled = useRef(state.effects.at(-1)?.id ?? 0);
	const mounted = useRef(true);
	useEffect(() => {
		mounted.current = true;
		return () => {
			mounted.current = false;
		};
	}, []);
	const followerRef = useRef(follower);
	followerRef.current = follower;
	useEffect(() => {
		if (!updates) {
			return;
		}

		updates.onClose = () => {
			dispatch({type: 'showUpdate', shown: false});
		};

		updates.onQuit = () => {
			props.onQuit(stateRef.current);
		};
	}, [updates, props]);
	useEffect(() => {
		for (const {id, effect} of state.effects) {
			if (id <= handled.current) {
				continue;
			}

			handled.current = id;
			runEffect(effect);
		}

		function notice(text: string, tone: 'info' | 'warn' | 'error') {
			if (mounted.current) {
				dispatch({type: 'notice', notice: {text: clean(text), tone}});
			}
		}

		function runEffect(effect: Effect) {
			switch (effect.type) {
				case 'quit': {
					// Never quit from under a push: the pane asks first.
					if (updates?.busy()) {
						updates.askQuit();
						dispatch({type: 'showUpdate', shown: true});
					} else {
						props.onQuit(stateRef.current);
					}

					break;
				}

				case 'update':
				case 'rollback': {
					if (!updates) {
						notice('updating is not available here', 'error');
						break;
					}

					if (effect.type === 'update') {
						updates.openUpdate(effect.device);
					} else {
						updates.openRollback(effect.device);
					}

					dispatch({type: 'showUpdate', shown: true});
					break;
				}

				case 'mark': {
					updates?.toggleMark(effect.device);
					break;
				}

				case 'history': {
					const device = store.device(effect.device);
					if (!prometheus) {
						notice('history needs Prometheus: krazy-tui --prometheus URL, or krazy-tui devices prometheus URL', 'error');
					} else if (device) {
						prometheus.showHistory(device);
						dispatch({type: 'showHistory', shown: true});
					}

					break;
				}

				case 'refresh': {
					store.pollNow(effect.device);
					break;
				}

				case 'serviceAction': {
					void store.runServiceAction(effect.device, effect.path, effect.action).then(outcome => {
						notice(outcome.message, outcome.ok ? 'info' : 'error');
					});
					break;
				}

				case 'powerAction': {
					void store.runPowerAction(effect.device, effect.action).then(outcome => {
						notice(outcome.message, outcome.ok ? 'info' : 'error');
					});
					break;
				}

				case 'shell': {
					const device = store.device(effect.device);
					if (!device) {
						break;
					}

					if (props.onShell) {
						props.onShell(device, stateRef.current);
					} else {
						notice('breakglass is not available here', 'error');
					}

					break;
				}

				case 'saveLog': {
					const current = followerRef.current;
					const target = stateRef.current.logTarget;
					if (!current || !target) {
						break;
					}

					const logState = stateRef.current.log;
					const entries = current.buffer.entries().filter(entry => entryVisible(entry, logState));
					const file = expandHome(effect.file, props.home);
					mkdir(path.dirname(file), {recursive: true}).then(async () => saveLogEntries(file, entries)).then(count => {
						if (mounted.current) {
							dispatch({type: 'logNotice', text: `saved ${count} lines to ${file}`});
						}
					}, (error: unknown) => {
						if (mounted.current) {
							dispatch({type: 'logNotice', text: `could not save: ${describeError(error)}`});
						}
					});
					break;
				}

				case 'clearLog': {
					followerRef.current?.buffer.clear();
					dispatch({type: 'logNotice', text: 'buffer cleared'});
					break;
				}
			}
		}
	}, [state.effects, store, props, updates, prometheus]);

	if (state.screen === 'flash' && props.renderFlash) {
		return <>{props.renderFlash(() => dispatch({type: 'closeFlash'}))}</>;
	}

	if (layout.tooSmall) {
		return (
			<Box width={layout.width} height={layout.height}>
				<Text wrap="wrap" color={palette.warn}>{`too small: ${size.columns}×${size.rows}, need 30×6 (80×24 for all); q quits`}</Text>
			</Box>
		);
	}

	const counts = fleetCounts(snapshot.devices);
	const titleSegments: Segment[] = [
		{text: 'krazy-tui', bold: true, color: palette.title},
		{text: ` · ${snapshot.devices.length} device${snapshot.devices.length === 1 ? '' : 's'} · ${counts.online} online`},
	];
	if (counts.failing > 0) {
		titleSegments.push({text: ` · ${counts.failing} not answering`, color: palette.bad, bold: true});
	}

	if (readonly) {
		titleSegments.push({text: ' · READ-ONLY', color: palette.warn, bold: true});
	}

	if (prometheusState.view && prometheusState.view.firing + prometheusState.view.pending > 0) {
		const {firing, pending} = prometheusState.view;
		titleSegments.push({text: ` · ⚑ ${firing} alert${firing === 1 ? '' : 's'} firing${pending > 0 ? `, ${pending} pending` : ''}`, color: firing > 0 ? palette.bad : palette.warn, bold: firing > 0});
	}

	if (prometheus && prometheusState.error) {
		titleSegments.push({text: ' · Prometheus not answering', color: palette.warn});
	}

	if (updateState.marked.length > 0) {
		titleSegments.push({text: ` · ${updateState.marked.length} marked (u updates them one at a time)`, color: palette.accent});
	}

	if (state.sort !== 'configured') {
		titleSegments.push({text: ` · ${sortOrderWords[state.sort]}`, color: palette.muted});
	}

	const hiddenNote = layout.hidden.length > 0 && state.screen === 'fleet' && !overlay
		? `${size.columns}×${size.rows}: no room for ${layout.hidden.join(', ')}`
		: '';

	let body: ReactNode;
	const bodyRows = layout.height - 2 - messageLines.length;
	if (state.help) {
		const view = state.screen === 'logs' ? 'logs' : state.focus;
		body = help === undefined ? <Loading rows={bodyRows} failure={helpView.failure()} /> : <help.HelpView readonly={readonly} rows={bodyRows} width={layout.width} offset={state.helpOffset} view={view} />;
	} else if (state.messagesOpen) {
		body = overlays === undefined ? <Loading rows={bodyRows} failure={overlayViews.failure()} /> : <overlays.MessageLog messages={state.messages} rows={bodyRows} width={layout.width} offset={state.messagesOffset} />;
	} else if (state.palette) {
		const commands = filterPalette(paletteCommands(state, {readonly}), state.palette.text);
		body = overlays === undefined ? <Loading rows={bodyRows} failure={overlayViews.failure()} /> : <overlays.CommandPalette commands={commands} text={state.palette.text} index={state.palette.index} rows={bodyRows} width={layout.width} />;
	} else if (state.screen === 'history') {
		body = history === undefined ? <Loading rows={bodyRows} failure={historyView.failure()} /> : <history.HistoryPane state={prometheusState} rows={bodyRows} width={layout.width} />;
	} else if (state.screen === 'update') {
		body = update === undefined ? <Loading rows={bodyRows} failure={updateView.failure()} /> : <update.UpdatePane state={updateState} rows={bodyRows} width={layout.width} readonly={readonly} />;
	} else if (state.screen === 'logs' && state.logTarget) {
		const logDeviceSnapshot = snapshot.devices.find(device => device.name === state.logTarget?.device);
		const serviceInfo = logDeviceSnapshot?.services.find(service => service.path === state.logTarget?.path);
		body = (
			<LogView
				buffer={follower?.buffer ?? null}
				followerState={follower ? followerState : null}
				state={state.log}
				device={logDeviceSnapshot ? deviceTitle(logDeviceSnapshot) : clean(state.logTarget.device)}
				service={state.logTarget.path}
				serviceInfo={serviceInfo}
				rows={logRows}
				width={layout.width}
				readonly={readonly}
			/>
		);
	} else {
		body = (
			<>
				<DeviceTable
					devices={devices}
					selected={selectedDeviceName}
					focused={state.focus === 'devices'}
					rows={layout.deviceRows}
					width={layout.width}
					mode={layout.deviceColumns}
					now={now}
					marked={updateState.marked}
					note={device => rowNote(updateState, device, now) ?? (prometheus ? alertNote(prometheus.alertsFor(device)) : undefined)}
				/>
				{layout.serviceRows > 0 ? (
					<ServiceTable
						device={selectedDevice}
						services={services}
						selected={selectedServicePath}
						focused={state.focus === 'services'}
						rows={layout.serviceRows}
						width={layout.width}
						mode={layout.serviceColumns}
						now={now}
						filter={state.serviceFilter}
						note={prometheus && selectedDevice ? service => alertNote(prometheus.alertsFor(selectedDevice).filter(alert => alert.service === service.path)) : undefined}
					/>
				) : null}
				<GraphsPane
					device={selectedDevice}
					service={selectedService}
					rows={layout.graphRows}
					width={layout.width}
					historyMinutes={props.historyMinutes ?? 5}
				/>
			</>
		);
	}

	let footer: Segment[];
	if (state.screen === 'update') {
		footer = [{text: updateHints(updateState, readonly), color: palette.muted}];
	} else if (state.screen === 'history') {
		footer = [{text: historyKeys.contextHints('history'), color: palette.muted}];
	} else if (state.listInput) {
		footer = [
			{text: `filter ${state.listInput.list}: `, bold: true},
			{text: state.listInput.text},
			{text: ' ', inverse: true},
			{text: '  Enter keeps · Esc clears', color: palette.muted},
		];
	} else if (state.palette) {
		footer = [{text: 'type to filter · ↑↓ choose · Enter runs · Esc closes', color: palette.muted}];
	} else if (state.messagesOpen) {
		footer = [{text: '↑↓ PgUp PgDn scroll · m or Esc closes · Ctrl+C quits', color: palette.muted}];
	} else if (state.help) {
		footer = [{text: '↑↓ PgUp PgDn scroll · ? or Esc closes · Ctrl+C quits', color: palette.muted}];
	} else {
		const hints = footerHints(state.focus, readonly, layout.width);
		if (hiddenNote && textWidthOf(hints) + hiddenNote.length + 3 > layout.width) {
			// What did not fit, after the keys no screen goes without.
			footer = [{text: dashboardKeys.hints(['help', 'quit'], {readonly}), color: palette.muted}, {text: ` · ${hiddenNote}`, color: palette.warn}];
		} else {
			footer = [{text: hints, color: palette.muted}, ...(hiddenNote ? [{text: ` · ${hiddenNote}`, color: palette.warn}] : [])];
		}
	}

	const toneColor = (tone: 'info' | 'warn' | 'error') => (tone === 'error' ? palette.bad : tone === 'warn' ? palette.warn : palette.ok);

	return (
		<LineWidthContext.Provider value={layout.width}>
		<Box flexDirection="column" width={layout.width} height={layout.height}>
			{state.screen === 'logs' && !overlay ? null : <Line segments={titleSegments} />}
			{body}
			{state.dialog ? <ConfirmDialog dialog={state.dialog} width={layout.width} /> : null}
			{messageLines.map((line, index) => (
				// Lines are positional.
				<Line key={`message-${index}`} segments={[{text: line.text, color: toneColor(line.tone), bold: line.first}]} />
			))}
			{state.screen === 'logs' && !overlay ? null : <Line segments={footer} />}
		</Box>
		</LineWidthContext.Provider>
	);
}

/** The key hints that fit: the essential ones first, more while there is room; `? help` and `q quit` always. */
export function footerHints(focus: 'devices' | 'services', readonly: boolean, width: number): string {
	const wanted = focus === 'services'
		? (['help', 'open', 'restart', 'stop', 'start', 'kill', 'once', 'filter', 'palette', 'shell', 'previousDevice', 'nextDevice', 'messages', 'quit'] as const)
		: (['help', 'open', 'filter', 'reboot', 'shell', 'flash', 'palette', 'sort', 'focusNext', 'messages', 'refresh', 'quit'] as const);
	const always = new Set(['help', 'quit', 'open']);
	let intents = [...wanted];
	while (intents.length > 3 && textWidthOf(dashboardKeys.hints(intents, {readonly})) > width) {
		// Drop the last optional one (before quit).
		const dropAt = intents.findLastIndex(intent => !always.has(intent));
		intents = intents.filter((_, index) => index !== dropAt);
	}

	return dashboardKeys.hints(intents, {readonly});
}

function textWidthOf(text: string): number {
	return [...text].length;
}

function noSubscribe(): () => void {
	return () => undefined;
}

function noState(): LogFollowerState | null {
	return null;
}

function noUpdateState(): UpdateViewState {
	return initialUpdateView;
}

const noPrometheus: PrometheusLinkState = {server: '', view: null, error: null, readAt: null, history: null};

function noPrometheusState(): PrometheusLinkState {
	return noPrometheus;
}
