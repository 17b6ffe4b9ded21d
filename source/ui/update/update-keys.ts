// The update pane's keys (its table feeds the help overlay, the hint line and the README) and what a key does to the pane:
// a new pane state and, where something must happen outside it, a command for the controller. Pure.
import {keyTable, type KeyBinding, type KeyEvent} from '../../input/key-table.js';
import {editText} from '../../input/text-input.js';
import {jobRunning, type UpdateViewState} from './update-view.js';

export type UpdatePaneContext = 'source' | 'path' | 'confirm' | 'rollback' | 'quit' | 'building' | 'running' | 'idle';

export type UpdateIntent = 'build' | 'archive' | 'yes' | 'switchOnly' | 'testboot' | 'no' | 'back' | 'cancelJob' | 'quit' | 'rollback' | 'close';

const bindings: ReadonlyArray<KeyBinding<UpdateIntent, UpdatePaneContext>> = [
	{intent: 'build', keys: [{input: 'b'}, {key: 'return'}], contexts: ['source'], short: 'build with gok', description: 'build the gok instance with your gok (gok overwrite --gaf)'},
	{intent: 'archive', keys: [{input: 'a'}], contexts: ['source'], short: 'archive file', description: 'push a prebuilt archive (.gaf) instead; the last one used is offered'},
	{intent: 'yes', keys: [{input: 'y'}, {key: 'return'}], contexts: ['confirm', 'quit'], short: 'yes', description: 'yes: push this build (quit: cancel the job and quit)', inContext: {quit: 'quit: the running job is cancelled and says where the device stands'}},
	{intent: 'switchOnly', keys: [{input: 's'}], contexts: ['confirm'], short: 'switch, reboot later', description: 'push and switch, but leave the reboot to later (the row says "switched, reboot pending")'},
	{intent: 'testboot', keys: [{input: 't'}], contexts: ['confirm'], short: 'test boot', description: 'test boot: the next boot tries the new build once (one that does not boot falls back by itself); made permanent when the gate passes'},
	{intent: 'no', keys: [{input: 'n'}, {key: 'escape'}], contexts: ['confirm', 'quit'], short: 'no', description: 'no (any other key too): nothing is sent', inContext: {quit: 'stay'}},
	{intent: 'yes', keys: [{key: 'return'}], contexts: ['path', 'rollback'], short: 'ok', description: 'take what was typed', inContext: {path: 'push the archive at the typed path', rollback: 'roll back, once the device\'s name is typed'}},
	{intent: 'no', keys: [{key: 'escape'}], contexts: ['path', 'rollback'], short: 'cancel', description: 'cancel: nothing is sent'},
	{intent: 'back', keys: [{key: 'escape'}], contexts: ['source', 'running', 'idle'], short: 'back', description: 'back to the device list (a running job goes on; its row shows it)', inContext: {source: 'close without updating'}},
	{intent: 'cancelJob', keys: [{key: 'escape'}, {input: 'c', ctrl: true}], contexts: ['building'], short: 'cancel build', description: 'cancel the build (nothing was sent to the device)'},
	{intent: 'cancelJob', keys: [{input: 'c', ctrl: true}], contexts: ['running'], short: 'cancel', description: 'cancel the job now; the pane says where the device stands'},
	{intent: 'quit', keys: [{input: 'q'}], contexts: ['building', 'running'], short: 'quit', description: 'quit krazy-tui (asks first while a job runs)'},
	{intent: 'close', keys: [{input: 'q'}, {key: 'return'}], contexts: ['idle'], short: 'close', description: 'close the pane'},
	{intent: 'rollback', keys: [{input: 'R'}], contexts: ['idle'], short: 'roll back', description: 'roll back the device shown (type its name to confirm)', action: true},
];

/** The update pane's keys; `updateKeys.match([context], input, key)`. */
export const updateKeys = keyTable(bindings, {
	sections: [
		{title: 'Update pane (u): choosing the build', contexts: ['source', 'path']},
		{title: 'Update pane (u): questions', contexts: ['confirm', 'quit', 'rollback']},
		{title: 'Update pane (u): while a job runs', contexts: ['building', 'running']},
		{title: 'Update pane (u): afterwards', contexts: ['idle']},
	],
});

/** The context a key is looked up in. */
export function paneContext(state: UpdateViewState): UpdatePaneContext {
	if (state.prompt) {
		return state.prompt.kind;
	}

	if (jobRunning(state)) {
		const job = state.focus ? state.jobs[state.focus] : undefined;
		return job?.phase === 'build' ? 'building' : 'running';
	}

	return 'idle';
}

export type PaneCommand =
	| {type: 'close'}
	| {type: 'build'}
	| {type: 'archive'; path: string}
	| {type: 'answer'; yes: boolean | 'no-reboot' | 'testboot'}
	| {type: 'rollback'; device: string}
	| {type: 'cancelJob'}
	| {type: 'quit'}
	| {type: 'stayAfterQuitQuestion'};

export type PaneKeyResult = {state: UpdateViewState; command?: PaneCommand};

/** One key in the pane. Text (an archive path, a device's name) goes to the shared text input. */
export function updatePaneKey(state: UpdateViewState, input: string, key: KeyEvent, options: {readonly?: boolean} = {}): PaneKeyResult {
	const {prompt} = state;
	if (prompt?.kind === 'path') {
		const result = editText(prompt.text, input, key);
		if (result.done === 'cancel') {
			return {state: {...state, prompt: null}, command: state.session?.running ? undefined : {type: 'close'}};
		}

		if (result.done === 'submit') {
			const path = result.value.trim();
			if (path === '') {
				return {state: {...state, prompt: {...prompt, text: result.value, error: 'type the path of a .gaf archive'}}};
			}

			return {state: {...state, prompt: null, lastArchive: path}, command: {type: 'archive', path}};
		}

		return {state: {...state, prompt: {...prompt, text: result.value, error: undefined}}};
	}

	if (prompt?.kind === 'rollback') {
		const result = editText(prompt.typed, input, key);
		if (result.done === 'cancel') {
			return {state: {...state, prompt: null, notice: {text: `rollback of ${prompt.device} cancelled`, tone: 'info'}}};
		}

		if (result.done === 'submit') {
			if (result.value !== prompt.device) {
				return {state: {...state, prompt: {...prompt, typed: result.value, wrong: true}}};
			}

			return {state: {...state, prompt: null}, command: {type: 'rollback', device: prompt.device}};
		}

		return {state: {...state, prompt: {...prompt, typed: result.value, wrong: false}}};
	}

	const context = paneContext(state);
	const intent = updateKeys.match([context], input, key, options);
	switch (context) {
		case 'confirm': {
			// Anything but yes is no: a stray key must not push a build. `s` (updates only): push and switch, no reboot.
			const update = prompt?.kind === 'confirm' && prompt.plan.kind === 'update';
			const yes = intent === 'yes' ? true : update && intent === 'switchOnly' ? 'no-reboot' as const : update && intent === 'testboot' && prompt.plan.mode !== 'testboot' ? 'testboot' as const : false;
			return {state: {...state, prompt: null}, command: {type: 'answer', yes}};
		}

		case 'quit':
			return intent === 'yes'
				? {state: {...state, prompt: null}, command: {type: 'quit'}}
				: {state: {...state, prompt: null}, command: {type: 'stayAfterQuitQuestion'}};
		case 'source': {
			if (intent === 'build') {
				return {state: {...state, prompt: null}, command: {type: 'build'}};
			}

			if (intent === 'archive' && prompt?.kind === 'source') {
				return {state: {...state, prompt: {kind: 'path', devices: prompt.devices, text: state.lastArchive}}};
			}

			if (intent === 'back') {
				return {state: {...state, prompt: null}, command: {type: 'close'}};
			}

			return {state};
		}

		default:
			break;
	}

	switch (intent) {
		case 'back':
		case 'close':
			return {state, command: {type: 'close'}};
		case 'cancelJob':
			return {state, command: {type: 'cancelJob'}};
		case 'quit':
			return {state: {...state, prompt: {kind: 'quit'}}};
		case 'rollback': {
			const device = state.focus;
			return device === null ? {state} : {state: {...state, prompt: {kind: 'rollback', device, typed: '', wrong: false}}};
		}

		default:
			return {state};
	}
}
