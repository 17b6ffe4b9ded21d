// The dashboard's navigation state and its reducer: every key goes through here, so keys arriving together all count.
import type {PowerActionKind, ServiceActionKind} from '../core/fleet-store.js';
import {noKey, splitKeys} from '../input/key-chunks.js';
import {keyLabel, type KeyEvent} from '../input/key-table.js';
import {editText} from '../input/text-input.js';
import {dashboardKeys, type KeyContext, type KeyIntent} from './dashboard-keys.js';
import {initialLogViewState, logViewReducer, type LogViewAction, type LogViewport, type LogViewState} from './log-view-state.js';

export type Dialog =
	| {readonly kind: 'confirm'; readonly action: ServiceActionKind; readonly device: string; readonly path: string}
	| {readonly kind: 'typed'; readonly action: PowerActionKind; readonly device: string; readonly typed: string; readonly wrong: boolean}
	/** q while an action runs: quitting would leave it unwatched. */
	| {readonly kind: 'quit'; readonly busy: string}
	/** W in the logs: where to save, prefilled with a file in the user's data folder. */
	| {readonly kind: 'path'; readonly purpose: 'saveLog'; readonly text: string};

/** Things the reducer cannot do itself; the dashboard carries them out after the render. */
export type Effect =
	| {readonly type: 'quit'}
	| {readonly type: 'serviceAction'; readonly device: string; readonly path: string; readonly action: ServiceActionKind}
	| {readonly type: 'powerAction'; readonly device: string; readonly action: PowerActionKind}
	| {readonly type: 'shell'; readonly device: string}
	| {readonly type: 'refresh'; readonly device: string}
	| {readonly type: 'saveLog'; readonly file: string}
	| {readonly type: 'clearLog'}
	/** The update pane (ui/update/): `u` opens it for the device (or the marked ones), `U` asks for a rollback, Space marks. */
	| {readonly type: 'update'; readonly device: string}
	| {readonly type: 'rollback'; readonly device: string}
	| {readonly type: 'mark'; readonly device: string}
	/** `H`: the device's history from Prometheus (ui/prometheus/). */
	| {readonly type: 'history'; readonly device: string};

export type Notice = {readonly text: string; readonly tone: 'info' | 'warn' | 'error'};

/** A notice as the message log keeps it: with the time it came. */
export type Message = Notice & {readonly at: number};

/** How many messages the log keeps (the oldest go first). */
export const messageLogSize = 200;

/** How the lists are ordered (`O` cycles, the palette picks one). */
export const sortOrders = ['configured', 'name', 'state', 'memory', 'restarts', 'trouble'] as const;
export type SortOrder = (typeof sortOrders)[number];

export const sortOrderWords: Readonly<Record<SortOrder, string>> = {
	configured: 'as configured',
	name: 'by name',
	state: 'by state',
	memory: 'by memory',
	restarts: 'by restarts',
	trouble: 'trouble first',
};

/** What the palette can run: a key's intent (as if pressed) or an order. */
export type PaletteCommand = {readonly id: string; readonly label: string; readonly keys: string; readonly intent?: KeyIntent; readonly sort?: SortOrder};

export type DashboardState = {
	readonly screen: 'fleet' | 'logs' | 'flash' | 'update' | 'history';
	readonly focus: 'devices' | 'services';
	readonly device: string | null;
	readonly service: string | null;
	readonly deviceFilter: string;
	readonly serviceFilter: string;
	/** A list filter being typed. */
	readonly listInput: {readonly list: 'devices' | 'services'; readonly text: string} | null;
	readonly help: boolean;
	readonly helpOffset: number;
	/** The message log overlay (`m`). */
	readonly messagesOpen: boolean;
	/** Lines scrolled up from the newest message. */
	readonly messagesOffset: number;
	/** The command palette (`:`): the typed filter and the highlighted command. */
	readonly palette: {readonly text: string; readonly index: number} | null;
	readonly sort: SortOrder;
	readonly dialog: Dialog | null;
	readonly logTarget: {readonly device: string; readonly path: string} | null;
	readonly log: LogViewState;
	/** The newest message, shown in the message line above the key hints until a key is pressed. */
	readonly notice: Notice | null;
	/** Every message of the session, oldest first (`m`). */
	readonly messages: readonly Message[];
	/** Effects with increasing ids; the dashboard runs those it has not run yet. */
	readonly effects: readonly {readonly id: number; readonly effect: Effect}[];
	readonly nextEffectId: number;
};

export const initialDashboardState: DashboardState = {
	screen: 'fleet',
	focus: 'devices',
	device: null,
	service: null,
	deviceFilter: '',
	serviceFilter: '',
	listInput: null,
	help: false,
	helpOffset: 0,
	messagesOpen: false,
	messagesOffset: 0,
	palette: null,
	sort: 'configured',
	dialog: null,
	logTarget: null,
	log: initialLogViewState,
	notice: null,
	messages: [],
	effects: [],
	nextEffectId: 1,
};

/** Where the dashboard is, as the settings remember it (null: nothing worth remembering). */
export function lastViewOf(state: DashboardState, env: Pick<DashboardEnv, 'devices' | 'services'>): {view: 'devices' | 'services' | 'logs'; device: string; service: string | null} | null {
	if (state.screen === 'logs' && state.logTarget) {
		return {view: 'logs', device: state.logTarget.device, service: state.logTarget.path};
	}

	const device = effectiveDevice(state, env);
	if (device === null) {
		return null;
	}

	return state.focus === 'services' ? {view: 'services', device, service: effectiveService(state, env)} : {view: 'devices', device, service: null};
}

/** The state to open in for a remembered view, when its device is among `devices`; else the usual start. */
export function stateForLastView(last: {view: 'devices' | 'services' | 'logs'; device: string; service: string | null} | null | undefined, devices: readonly string[]): DashboardState {
	if (!last || !devices.includes(last.device)) {
		return initialDashboardState;
	}

	const base: DashboardState = {...initialDashboardState, device: last.device, service: last.service, focus: last.view === 'devices' ? 'devices' : 'services'};
	return last.view === 'logs' && last.service !== null ? {...base, screen: 'logs', logTarget: {device: last.device, path: last.service}} : base;
}

/**
 * What the reducer needs from the fleet at the time of a key. The lists are functions of the filter, so keys that
 * arrive together ("/golink" then Enter) see the list as the earlier keys left it, not as it was last drawn.
 */
export type DashboardEnv = {
	/** The devices shown under this filter, in this order. */
	readonly devices: (filter: string, sort?: SortOrder) => readonly string[];
	readonly services: (device: string, filter: string, sort?: SortOrder) => readonly string[];
	readonly readonly: boolean;
	readonly pageRows: {readonly devices: number; readonly services: number; readonly help: number};
	/** The open log's buffer and pane, when the log screen is up. */
	readonly log: LogViewport | null;
	/** What is running that quitting would abandon ("restart of /user/golink on casa"); null or absent: nothing. */
	readonly busy?: string | null;
	/** Where `W` proposes to save a service's log. */
	readonly savePath?: (device: string, path: string) => string;
	/** The time a message is logged at (default Date.now). */
	readonly now?: () => number;
};

export type DashboardAction =
	/** Keys as the terminal delivered them: a chunk ("/golink" then Enter, a paste) is taken apart into single keys. */
	| {type: 'key'; input: string; key: KeyEvent; env: DashboardEnv}
	| {type: 'notice'; notice: Notice | null; at?: number}
	| {type: 'logNotice'; text: string | null; at?: number}
	| {type: 'closeFlash'}
	| {type: 'showUpdate'; shown: boolean}
	| {type: 'showHistory'; shown: boolean}
	| {type: 'select'; device: string | null; service?: string | null};

function withEffect(state: DashboardState, effect: Effect): DashboardState {
	const effects = [...state.effects, {id: state.nextEffectId, effect}].slice(-20);
	return {...state, effects, nextEffectId: state.nextEffectId + 1};
}

function moveIn(list: readonly string[], current: string | null, delta: number): string | null {
	if (list.length === 0) {
		return null;
	}

	const index = current === null ? -1 : list.indexOf(current);
	const from = index === -1 ? (delta > 0 ? -1 : list.length) : index;
	return list[Math.max(0, Math.min(list.length - 1, from + delta))];
}

/** The selected device as shown: the chosen one if still listed, else the first. */
export function effectiveDevice(state: DashboardState, env: Pick<DashboardEnv, 'devices'>): string | null {
	const devices = env.devices(state.deviceFilter, state.sort);
	return state.device !== null && devices.includes(state.device) ? state.device : (devices[0] ?? null);
}

export function effectiveService(state: DashboardState, env: Pick<DashboardEnv, 'devices' | 'services'>): string | null {
	const device = effectiveDevice(state, env);
	if (device === null) {
		return null;
	}

	const services = env.services(device, state.serviceFilter, state.sort);
	return state.service !== null && services.includes(state.service) ? state.service : (services[0] ?? null);
}

/** The contexts a key is looked up in, most specific first. */
export function keyContexts(state: DashboardState): KeyContext[] {
	if (state.dialog) {
		return ['dialog'];
	}

	if (state.help) {
		return ['help', 'global'];
	}

	if (state.messagesOpen) {
		return ['messages', 'global'];
	}

	if (state.screen === 'logs') {
		return ['logs', 'global'];
	}

	return [state.focus, 'list', 'global'];
}

const serviceActions: Partial<Record<KeyIntent, ServiceActionKind>> = {
	restart: 'restart',
	stop: 'stop',
	start: 'start',
	once: 'once',
	kill: 'kill',
};

const logActions: Partial<Record<KeyIntent, LogViewAction>> = {
	up: {type: 'up'},
	down: {type: 'down'},
	pageUp: {type: 'pageUp'},
	pageDown: {type: 'pageDown'},
	top: {type: 'top'},
	bottom: {type: 'bottom'},
	logFollow: {type: 'toggleFollow'},
	logNext: {type: 'nextMatch'},
	logPrevious: {type: 'previousMatch'},
	logStream: {type: 'cycleStreams'},
	logWrap: {type: 'toggleWrap'},
	logTimes: {type: 'toggleTimes'},
	logCopy: {type: 'toggleCopy'},
	logSearch: {type: 'beginInput', kind: 'search'},
	logFilter: {type: 'beginInput', kind: 'filter'},
};

/** A list filter or a typed name: the shared text input, its Enter and Esc as `done`. */
function handleTextInput(text: string, input: string, key: KeyEvent): {text: string; done?: 'commit' | 'cancel'} {
	const result = editText(text, input, key);
	return {text: result.value, done: result.done === 'submit' ? 'commit' : result.done};
}

/** A message: shown in the message line and kept in the log. */
function withMessage(state: DashboardState, notice: Notice, at: number): DashboardState {
	const messages = [...state.messages, {...notice, at}];
	return {...state, notice, messages: messages.length > messageLogSize ? messages.slice(-messageLogSize) : messages};
}

function say(state: DashboardState, env: DashboardEnv, text: string, tone: Notice['tone'] = 'info'): DashboardState {
	return withMessage(state, {text, tone}, (env.now ?? Date.now)());
}

function onDialogKey(state: DashboardState, dialog: Dialog, input: string, key: KeyEvent, env: DashboardEnv): DashboardState {
	if (dialog.kind === 'typed') {
		const result = handleTextInput(dialog.typed, input, key);
		if (result.done === 'cancel') {
			return say({...state, dialog: null}, env, `${dialog.action} cancelled`);
		}

		if (result.done === 'commit') {
			if (result.text !== dialog.device) {
				return {...state, dialog: {...dialog, wrong: true}};
			}

			return withEffect({...state, dialog: null}, {type: 'powerAction', device: dialog.device, action: dialog.action});
		}

		return {...state, dialog: {...dialog, typed: result.text, wrong: false}};
	}

	if (dialog.kind === 'path') {
		const result = handleTextInput(dialog.text, input, key);
		if (result.done === 'cancel') {
			return say({...state, dialog: null}, env, 'not saved');
		}

		if (result.done === 'commit') {
			const file = result.text.trim();
			return file === '' ? {...state, dialog: {...dialog, text: ''}} : withEffect({...state, dialog: null}, {type: 'saveLog', file});
		}

		return {...state, dialog: {...dialog, text: result.text}};
	}

	const intent = dashboardKeys.match(['dialog'], input, key);
	if (dialog.kind === 'quit') {
		return intent === 'confirm' ? withEffect({...state, dialog: null}, {type: 'quit'}) : {...state, dialog: null};
	}

	if (intent === 'confirm') {
		return withEffect({...state, dialog: null}, {type: 'serviceAction', device: dialog.device, path: dialog.path, action: dialog.action});
	}

	if (intent === 'cancel' || intent === undefined) {
		// Anything but yes is no: a stray key must not leave a destructive question open.
		return say({...state, dialog: null}, env, `${dialog.action} cancelled`);
	}

	return state;
}

/** q at the top: quits, unless an action is running, then asks. */
function quitFromTop(state: DashboardState, env: DashboardEnv): DashboardState {
	return env.busy ? {...state, dialog: {kind: 'quit', busy: env.busy}} : withEffect(state, {type: 'quit'});
}

/** `[`/`]` from the lists: the previous/next device in the list as shown, wrapping around. */
function stepDevice(state: DashboardState, env: DashboardEnv, delta: number): DashboardState {
	const list = env.devices(state.deviceFilter, state.sort);
	if (list.length === 0) {
		return state;
	}

	const current = effectiveDevice(state, env);
	const index = current === null ? 0 : Math.max(0, list.indexOf(current));
	const device = list[(index + delta + list.length) % list.length] ?? null;
	return {...state, device};
}

/** `[`/`]` in the logs: the same service on the previous/next device that has it. */
function stepLogDevice(state: DashboardState, env: DashboardEnv, delta: number): DashboardState {
	const target = state.logTarget;
	if (!target) {
		return state;
	}

	const list = env.devices(state.deviceFilter, state.sort);
	const index = list.indexOf(target.device);
	for (let step = 1; step < list.length; step++) {
		const device = list[(((index + delta * step) % list.length) + list.length) % list.length]!;
		if (env.services(device, '').includes(target.path)) {
			return {...state, device, service: target.path, logTarget: {device, path: target.path}, log: initialLogViewState};
		}
	}

	return say(state, env, `no other device runs ${target.path}`);
}

/** The palette's commands in the view under it: its keys' intents (no plain movement), then the orders. */
export function paletteCommands(state: DashboardState, env: Pick<DashboardEnv, 'readonly'>): PaletteCommand[] {
	const under = {...state, palette: null, help: false, messagesOpen: false};
	const contexts = keyContexts(under);
	// The cycling order key is replaced by one command per order.
	const skip = new Set<KeyIntent>(['up', 'down', 'pageUp', 'pageDown', 'top', 'bottom', 'confirm', 'cancel', 'palette', 'sort']);
	const commands: PaletteCommand[] = [];
	const seen = new Set<KeyIntent>();
	for (const context of contexts) {
		for (const binding of dashboardKeys.bindings) {
			if (!binding.contexts.includes(context) || skip.has(binding.intent) || seen.has(binding.intent) || (env.readonly && binding.action)) {
				continue;
			}

			seen.add(binding.intent);
			commands.push({
				id: binding.intent,
				label: binding.inContext?.[context] ?? binding.description,
				keys: binding.keys.map(spec => keyLabel(spec)).join(' '),
				intent: binding.intent,
			});
		}
	}

	if (under.screen === 'fleet') {
		for (const order of sortOrders) {
			commands.push({id: `sort:${order}`, label: `order the lists ${sortOrderWords[order]}`, keys: order === state.sort ? '(now)' : '', sort: order});
		}
	}

	return commands;
}

/** The commands whose words contain every typed word. */
export function filterPalette(commands: readonly PaletteCommand[], text: string): PaletteCommand[] {
	const words = text.toLowerCase().split(/\s+/).filter(Boolean);
	return commands.filter(command => {
		const haystack = `${command.id} ${command.label} ${command.keys}`.toLowerCase();
		return words.every(word => haystack.includes(word));
	});
}

function onPaletteKey(state: DashboardState, palette: NonNullable<DashboardState['palette']>, input: string, key: KeyEvent, env: DashboardEnv): DashboardState {
	const shown = filterPalette(paletteCommands(state, env), palette.text);
	if (key.upArrow || key.downArrow) {
		const index = Math.max(0, Math.min(shown.length - 1, palette.index + (key.upArrow ? -1 : 1)));
		return {...state, palette: {...palette, index}};
	}

	const result = handleTextInput(palette.text, input, key);
	if (result.done === 'cancel') {
		return {...state, palette: null};
	}

	if (result.done === 'commit') {
		const command = shown[Math.min(palette.index, shown.length - 1)];
		const closed = {...state, palette: null};
		if (!command) {
			return closed;
		}

		if (command.sort) {
			return say({...closed, sort: command.sort}, env, `ordered ${sortOrderWords[command.sort]}`);
		}

		return command.intent ? runIntent(closed, command.intent, noKey, env) : closed;
	}

	return {...state, palette: {text: result.text, index: 0}};
}

/** What the global keys do on every screen; undefined: not one of them. */
function onGlobalIntent(state: DashboardState, intent: KeyIntent, env: DashboardEnv): DashboardState | undefined {
	switch (intent) {
		case 'help': {
			return {...state, help: true, helpOffset: 0};
		}

		case 'messages': {
			return {...state, messagesOpen: true, messagesOffset: 0};
		}

		case 'palette': {
			return {...state, palette: {text: '', index: 0}};
		}

		case 'previousDevice':
		case 'nextDevice': {
			const delta = intent === 'nextDevice' ? 1 : -1;
			return state.screen === 'logs' ? stepLogDevice(state, env, delta) : stepDevice(state, env, delta);
		}

		default: {
			return undefined;
		}
	}
}

/** An intent on the current screen, whether from its key or from the palette. */
function runIntent(state: DashboardState, intent: KeyIntent, key: KeyEvent, env: DashboardEnv): DashboardState {
	return onGlobalIntent(state, intent, env) ?? (state.screen === 'logs' ? logsIntent(state, intent, key, env) : fleetIntent(state, intent, key, env));
}

function onLogsKey(state: DashboardState, input: string, key: KeyEvent, env: DashboardEnv): DashboardState {
	const viewport = env.log;
	if (state.log.input && viewport) {
		const result = handleTextInput(state.log.input.text, input, key);
		const action: LogViewAction = result.done === 'commit'
			? {type: 'inputCommit'}
			: result.done === 'cancel' ? {type: 'inputCancel'} : {type: 'inputText', text: ''};
		const typed = result.done ? state.log : {...state.log, input: {...state.log.input, text: result.text}};
		return {...state, log: logViewReducer(typed, action, viewport)};
	}

	const intent = dashboardKeys.match(keyContexts(state), input, key, {readonly: env.readonly});
	if (intent === undefined) {
		return readonlyFeedback(state, input, key, env);
	}

	return runIntent(state, intent, key, env);
}

function logsIntent(state: DashboardState, intent: KeyIntent, key: KeyEvent, env: DashboardEnv): DashboardState {
	const viewport = env.log;
	if (intent === 'back') {
		if (viewport && (state.log.filter !== '' || state.log.search !== '')) {
			return {...state, log: logViewReducer(state.log, {type: 'clearSearch'}, viewport)};
		}

		return {...state, screen: 'fleet', logTarget: null};
	}

	if (intent === 'quit') {
		return key.ctrl ? withEffect(state, {type: 'quit'}) : {...state, screen: 'fleet', logTarget: null};
	}

	const service = serviceActions[intent];
	if (service && state.logTarget) {
		return {...state, dialog: {kind: 'confirm', action: service, device: state.logTarget.device, path: state.logTarget.path}};
	}

	if (intent === 'logSave') {
		const target = state.logTarget;
		if (!target) {
			return state;
		}

		const text = env.savePath?.(target.device, target.path) ?? '';
		return {...state, dialog: {kind: 'path', purpose: 'saveLog', text}};
	}

	if (intent === 'logClear') {
		return withEffect(state, {type: 'clearLog'});
	}

	const logAction = logActions[intent];
	if (logAction && viewport) {
		return {...state, log: logViewReducer({...state.log, notice: null}, logAction, viewport)};
	}

	return state;
}

/** A key that would be an action, pressed in read-only mode: say why nothing happens. */
function readonlyFeedback(state: DashboardState, input: string, key: KeyEvent, env: DashboardEnv): DashboardState {
	if (!env.readonly) {
		return state;
	}

	const wouldBe = dashboardKeys.match(keyContexts(state), input, key);
	const binding = dashboardKeys.bindings.find(candidate => candidate.intent === wouldBe);
	return binding?.action ? say(state, env, `read-only: ${binding.short ?? binding.intent} is off (started with --readonly)`, 'warn') : state;
}

/** A list filter ends: the selection made while it narrowed the list stays selected. */
function pinSelection(state: DashboardState, env: DashboardEnv): DashboardState {
	return state.listInput?.list === 'services' || (!state.listInput && state.focus === 'services')
		? {...state, device: effectiveDevice(state, env), service: effectiveService(state, env)}
		: {...state, device: effectiveDevice(state, env)};
}

function onFleetKey(state: DashboardState, input: string, key: KeyEvent, env: DashboardEnv): DashboardState {
	if (state.listInput) {
		const result = handleTextInput(state.listInput.text, input, key);
		const field = state.listInput.list === 'devices' ? 'deviceFilter' : 'serviceFilter';
		if (result.done === 'cancel') {
			return {...pinSelection(state, env), listInput: null, [field]: ''};
		}

		if (result.done === 'commit') {
			return {...pinSelection(state, env), listInput: null};
		}

		// The list narrows while typing.
		return {...state, listInput: {...state.listInput, text: result.text}, [field]: result.text};
	}

	const intent = dashboardKeys.match(keyContexts(state), input, key, {readonly: env.readonly});
	if (intent === undefined) {
		return readonlyFeedback(state, input, key, env);
	}

	return runIntent(state, intent, key, env);
}

function fleetIntent(state: DashboardState, intent: KeyIntent, key: KeyEvent, env: DashboardEnv): DashboardState {
	const device = effectiveDevice(state, env);
	const service = effectiveService(state, env);
	const inServices = state.focus === 'services';
	switch (intent) {
		case 'quit': {
			if (key.ctrl) {
				return withEffect(state, {type: 'quit'});
			}

			return inServices ? {...state, focus: 'devices'} : quitFromTop(state, env);
		}

		case 'back': {
			// Esc goes back one step and never quits: at the top there is nothing left to close.
			if (inServices && state.serviceFilter !== '') {
				return {...pinSelection(state, env), serviceFilter: ''};
			}

			if (!inServices && state.deviceFilter !== '') {
				return {...pinSelection(state, env), deviceFilter: ''};
			}

			if (inServices) {
				return {...state, focus: 'devices'};
			}

			return state;
		}

		case 'up':
		case 'down':
		case 'pageUp':
		case 'pageDown':
		case 'top':
		case 'bottom': {
			const list = inServices ? (device === null ? [] : env.services(device, state.serviceFilter, state.sort)) : env.devices(state.deviceFilter, state.sort);
			const page = Math.max(1, (inServices ? env.pageRows.services : env.pageRows.devices) - 1);
			const delta = {up: -1, down: 1, pageUp: -page, pageDown: page, top: -Infinity, bottom: Infinity}[intent];
			const current = inServices ? service : device;
			const target = Number.isFinite(delta) ? moveIn(list, current, delta) : (delta < 0 ? list[0] : list.at(-1)) ?? null;
			return inServices ? {...state, service: target} : {...state, device: target, service: null};
		}

		case 'focusNext': {
			return {...state, focus: inServices ? 'devices' : 'services', device};
		}

		case 'open': {
			if (!inServices) {
				return device === null ? state : {...state, focus: 'services', device};
			}

			if (device === null || service === null) {
				return state;
			}

			return {
				...state,
				screen: 'logs',
				device,
				service,
				logTarget: {device, path: service},
				log: initialLogViewState,
			};
		}

		case 'filter': {
			const list = inServices ? 'services' : 'devices';
			return {...state, listInput: {list, text: inServices ? state.serviceFilter : state.deviceFilter}};
		}

		case 'sort': {
			const sort = sortOrders[(sortOrders.indexOf(state.sort) + 1) % sortOrders.length]!;
			return say({...state, device, service: inServices ? service : state.service, sort}, env, `ordered ${sortOrderWords[sort]}`);
		}

		case 'refresh': {
			return device === null ? state : withEffect(say(state, env, `polling ${device}…`), {type: 'refresh', device});
		}

		case 'reboot':
		case 'poweroff': {
			return device === null ? state : {...state, dialog: {kind: 'typed', action: intent, device, typed: '', wrong: false}};
		}

		case 'shell': {
			return device === null ? state : withEffect(state, {type: 'shell', device});
		}

		case 'flash': {
			return {...state, screen: 'flash'};
		}

		case 'update':
		case 'rollback': {
			return device === null ? state : withEffect({...state, device}, {type: intent, device});
		}

		case 'mark': {
			return device === null ? state : withEffect(state, {type: 'mark', device});
		}

		case 'history': {
			return device === null ? state : withEffect({...state, device}, {type: 'history', device});
		}

		default: {
			const action = serviceActions[intent];
			if (action && inServices && device !== null && service !== null) {
				return {...state, device, service, dialog: {kind: 'confirm', action, device, path: service}};
			}

			return state;
		}
	}
}

export function dashboardReducer(state: DashboardState, action: DashboardAction): DashboardState {
	switch (action.type) {
		case 'notice': {
			return action.notice === null ? {...state, notice: null} : withMessage(state, action.notice, action.at ?? Date.now());
		}

		case 'logNotice': {
			const logged = action.text === null ? state : {...state, messages: withMessage(state, {text: action.text, tone: 'info'}, action.at ?? Date.now()).messages};
			return {...logged, log: {...state.log, notice: action.text}};
		}

		case 'closeFlash': {
			return {...state, screen: 'fleet'};
		}

		case 'showUpdate': {
			return {...state, screen: action.shown ? 'update' : 'fleet', dialog: null, help: false};
		}

		case 'showHistory': {
			return {...state, screen: action.shown ? 'history' : 'fleet', dialog: null, help: false};
		}

		case 'select': {
			return {...state, device: action.device, service: action.service ?? null};
		}

		case 'key': {
			let next = state;
			for (const single of splitKeys(action.input, action.key)) {
				next = onKey(next, single.input, single.key, action.env);
			}

			return next;
		}
	}
}

function onScrollOverlay(offset: number, intent: KeyIntent | undefined, page: number): number | undefined {
	switch (intent) {
		case 'up': {
			return Math.max(0, offset - 1);
		}

		case 'down': {
			return offset + 1;
		}

		case 'pageUp': {
			return Math.max(0, offset - page);
		}

		case 'pageDown': {
			return offset + page;
		}

		default: {
			return undefined;
		}
	}
}

function onKey(state: DashboardState, input: string, key: KeyEvent, env: DashboardEnv): DashboardState {
	// The wizard and the update pane read their own keys.
	if (state.screen === 'flash' || state.screen === 'update' || state.screen === 'history') {
		return state;
	}

	if (state.dialog) {
		return onDialogKey(state, state.dialog, input, key, env);
	}

	if (state.palette) {
		if (key.ctrl && input === 'c') {
			return withEffect(state, {type: 'quit'});
		}

		return onPaletteKey(state, state.palette, input, key, env);
	}

	const page = Math.max(1, env.pageRows.help - 1);
	if (state.help) {
		const intent = dashboardKeys.match(['help', 'global'], input, key);
		const offset = onScrollOverlay(state.helpOffset, intent, page);
		if (offset !== undefined) {
			return {...state, helpOffset: offset};
		}

		switch (intent) {
			case 'quit': {
				return key.ctrl ? withEffect(state, {type: 'quit'}) : {...state, help: false};
			}

			case 'help':
			case 'back': {
				return {...state, help: false};
			}

			default: {
				return state;
			}
		}
	}

	if (state.messagesOpen) {
		const intent = dashboardKeys.match(['messages', 'global'], input, key);
		// The log shows the newest message at the bottom; "up" goes back in time.
		const offset = onScrollOverlay(state.messagesOffset, intent === 'up' ? 'down' : intent === 'down' ? 'up' : intent === 'pageUp' ? 'pageDown' : intent === 'pageDown' ? 'pageUp' : intent, page);
		if (offset !== undefined) {
			return {...state, messagesOffset: Math.min(offset, Math.max(0, state.messages.length - 1))};
		}

		if (intent === 'quit' && key.ctrl) {
			return withEffect(state, {type: 'quit'});
		}

		return intent === 'quit' || intent === 'back' || intent === 'messages' ? {...state, messagesOpen: false} : state;
	}

	// A key clears the message line: it was read, or it is in the way (the message log keeps it).
	const cleared = state.notice ? {...state, notice: null} : state;
	return state.screen === 'logs' ? onLogsKey(cleared, input, key, env) : onFleetKey(cleared, input, key, env);
}
