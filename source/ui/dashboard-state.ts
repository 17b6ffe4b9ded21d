// The dashboard's navigation state and its reducer: every key goes through here, so keys arriving together all count.
import type {PowerActionKind, ServiceActionKind} from '../core/fleet-store.js';
import {splitKeys} from '../input/key-chunks.js';
import type {KeyEvent} from '../input/key-table.js';
import {editText} from '../input/text-input.js';
import {dashboardKeys, type KeyContext, type KeyIntent} from './dashboard-keys.js';
import {initialLogViewState, logViewReducer, type LogViewAction, type LogViewport, type LogViewState} from './log-view-state.js';

export type Dialog =
	| {readonly kind: 'confirm'; readonly action: ServiceActionKind; readonly device: string; readonly path: string}
	| {readonly kind: 'typed'; readonly action: PowerActionKind; readonly device: string; readonly typed: string; readonly wrong: boolean};

/** Things the reducer cannot do itself; the dashboard carries them out after the render. */
export type Effect =
	| {readonly type: 'quit'}
	| {readonly type: 'serviceAction'; readonly device: string; readonly path: string; readonly action: ServiceActionKind}
	| {readonly type: 'powerAction'; readonly device: string; readonly action: PowerActionKind}
	| {readonly type: 'shell'; readonly device: string}
	| {readonly type: 'refresh'; readonly device: string}
	| {readonly type: 'saveLog'}
	| {readonly type: 'clearLog'}
	/** The update pane (ui/update/): `u` opens it for the device (or the marked ones), `U` asks for a rollback, `m` marks. */
	| {readonly type: 'update'; readonly device: string}
	| {readonly type: 'rollback'; readonly device: string}
	| {readonly type: 'mark'; readonly device: string}
	/** `H`: the device's history from Prometheus (ui/prometheus/). */
	| {readonly type: 'history'; readonly device: string};

export type Notice = {readonly text: string; readonly tone: 'info' | 'error'};

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
	readonly dialog: Dialog | null;
	readonly logTarget: {readonly device: string; readonly path: string} | null;
	readonly log: LogViewState;
	readonly notice: Notice | null;
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
	dialog: null,
	logTarget: null,
	log: initialLogViewState,
	notice: null,
	effects: [],
	nextEffectId: 1,
};

/**
 * What the reducer needs from the fleet at the time of a key. The lists are functions of the filter, so keys that
 * arrive together ("/golink" then Enter) see the list as the earlier keys left it, not as it was last drawn.
 */
export type DashboardEnv = {
	readonly devices: (filter: string) => readonly string[];
	readonly services: (device: string, filter: string) => readonly string[];
	readonly readonly: boolean;
	readonly pageRows: {readonly devices: number; readonly services: number; readonly help: number};
	/** The open log's buffer and pane, when the log screen is up. */
	readonly log: LogViewport | null;
};

export type DashboardAction =
	/** Keys as the terminal delivered them: a chunk ("/golink" then Enter, a paste) is taken apart into single keys. */
	| {type: 'key'; input: string; key: KeyEvent; env: DashboardEnv}
	| {type: 'notice'; notice: Notice | null}
	| {type: 'logNotice'; text: string | null}
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
	const devices = env.devices(state.deviceFilter);
	return state.device !== null && devices.includes(state.device) ? state.device : (devices[0] ?? null);
}

export function effectiveService(state: DashboardState, env: Pick<DashboardEnv, 'devices' | 'services'>): string | null {
	const device = effectiveDevice(state, env);
	if (device === null) {
		return null;
	}

	const services = env.services(device, state.serviceFilter);
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

function onDialogKey(state: DashboardState, dialog: Dialog, input: string, key: KeyEvent): DashboardState {
	if (dialog.kind === 'typed') {
		const result = handleTextInput(dialog.typed, input, key);
		if (result.done === 'cancel') {
			return {...state, dialog: null, notice: {text: `${dialog.action} cancelled`, tone: 'info'}};
		}

		if (result.done === 'commit') {
			if (result.text !== dialog.device) {
				return {...state, dialog: {...dialog, wrong: true}};
			}

			return withEffect({...state, dialog: null}, {type: 'powerAction', device: dialog.device, action: dialog.action});
		}

		return {...state, dialog: {...dialog, typed: result.text, wrong: false}};
	}

	const intent = dashboardKeys.match(['dialog'], input, key);
	if (intent === 'confirm') {
		return withEffect({...state, dialog: null}, {type: 'serviceAction', device: dialog.device, path: dialog.path, action: dialog.action});
	}

	if (intent === 'cancel' || intent === undefined) {
		// Anything but yes is no: a stray key must not leave a destructive question open.
		return {...state, dialog: null, notice: {text: `${dialog.action} cancelled`, tone: 'info'}};
	}

	return state;
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
		return state;
	}

	if (intent === 'back') {
		if (viewport && (state.log.filter !== '' || state.log.search !== '')) {
			return {...state, log: logViewReducer(state.log, {type: 'clearSearch'}, viewport)};
		}

		return {...state, screen: 'fleet', logTarget: null};
	}

	if (intent === 'quit') {
		return key.ctrl ? withEffect(state, {type: 'quit'}) : {...state, screen: 'fleet', logTarget: null};
	}

	if (intent === 'help') {
		return {...state, help: true, helpOffset: 0};
	}

	const service = serviceActions[intent];
	if (service && state.logTarget) {
		return {...state, dialog: {kind: 'confirm', action: service, device: state.logTarget.device, path: state.logTarget.path}};
	}

	if (intent === 'logSave') {
		return withEffect(state, {type: 'saveLog'});
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

function onFleetKey(state: DashboardState, input: string, key: KeyEvent, env: DashboardEnv): DashboardState {
	if (state.listInput) {
		const result = handleTextInput(state.listInput.text, input, key);
		const field = state.listInput.list === 'devices' ? 'deviceFilter' : 'serviceFilter';
		if (result.done === 'cancel') {
			return {...state, listInput: null, [field]: ''};
		}

		if (result.done === 'commit') {
			return {...state, listInput: null};
		}

		// The list narrows while typing.
		return {...state, listInput: {...state.listInput, text: result.text}, [field]: result.text};
	}

	const intent = dashboardKeys.match(keyContexts(state), input, key, {readonly: env.readonly});
	if (intent === undefined) {
		return state;
	}

	const device = effectiveDevice(state, env);
	const service = effectiveService(state, env);
	const inServices = state.focus === 'services';
	switch (intent) {
		case 'quit': {
			if (!key.ctrl && inServices) {
				return {...state, focus: 'devices'};
			}

			return withEffect(state, {type: 'quit'});
		}

		case 'back': {
			if (inServices && state.serviceFilter !== '') {
				return {...state, serviceFilter: ''};
			}

			if (!inServices && state.deviceFilter !== '') {
				return {...state, deviceFilter: ''};
			}

			if (inServices) {
				return {...state, focus: 'devices'};
			}

			return withEffect(state, {type: 'quit'});
		}

		case 'help': {
			return {...state, help: true, helpOffset: 0};
		}

		case 'up':
		case 'down':
		case 'pageUp':
		case 'pageDown':
		case 'top':
		case 'bottom': {
			const list = inServices ? (device === null ? [] : env.services(device, state.serviceFilter)) : env.devices(state.deviceFilter);
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

		case 'refresh': {
			return device === null ? state : withEffect({...state, notice: {text: `polling ${device}…`, tone: 'info'}}, {type: 'refresh', device});
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
			return {...state, notice: action.notice};
		}

		case 'logNotice': {
			return {...state, log: {...state.log, notice: action.text}};
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

function onKey(state: DashboardState, input: string, key: KeyEvent, env: DashboardEnv): DashboardState {
	// The wizard and the update pane read their own keys.
	if (state.screen === 'flash' || state.screen === 'update' || state.screen === 'history') {
		return state;
	}

	if (state.dialog) {
		return onDialogKey(state, state.dialog, input, key);
	}

	if (state.help) {
		const intent = dashboardKeys.match(['help', 'global'], input, key);
		const page = Math.max(1, env.pageRows.help - 1);
		switch (intent) {
			case 'up': {
				return {...state, helpOffset: Math.max(0, state.helpOffset - 1)};
			}

			case 'down': {
				return {...state, helpOffset: state.helpOffset + 1};
			}

			case 'pageUp': {
				return {...state, helpOffset: Math.max(0, state.helpOffset - page)};
			}

			case 'pageDown': {
				return {...state, helpOffset: state.helpOffset + page};
			}

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

	// A key clears the last notice: it was read, or it is in the way.
	const cleared = state.notice ? {...state, notice: null} : state;
	return state.screen === 'logs' ? onLogsKey(cleared, input, key, env) : onFleetKey(cleared, input, key, env);
}
