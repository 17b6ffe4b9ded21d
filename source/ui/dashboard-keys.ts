// The dashboard's key table: its input handling, the help overlay (with the wizard's keys) and the README's list come from it.
import {keyTable, type KeyBinding} from '../input/key-table.js';
import {flashKeys} from './flash/flash-keys.js';
import {updateKeys} from './update/update-keys.js';

/** Where a binding applies. `list` covers both the device and the service list. */
export type KeyContext = 'global' | 'list' | 'devices' | 'services' | 'logs' | 'help' | 'messages' | 'dialog';

export type KeyIntent =
	| 'quit'
	| 'back'
	| 'help'
	| 'up'
	| 'down'
	| 'pageUp'
	| 'pageDown'
	| 'top'
	| 'bottom'
	| 'focusNext'
	| 'open'
	| 'filter'
	| 'restart'
	| 'stop'
	| 'start'
	| 'once'
	| 'kill'
	| 'reboot'
	| 'poweroff'
	| 'shell'
	| 'flash'
	| 'refresh'
	| 'update'
	| 'mark'
	| 'rollback'
	| 'history'
	| 'logSearch'
	| 'logNext'
	| 'logPrevious'
	| 'logFilter'
	| 'logFollow'
	| 'logStream'
	| 'logWrap'
	| 'logSave'
	| 'logClear'
	| 'logTimes'
	| 'logCopy'
	| 'messages'
	| 'palette'
	| 'previousDevice'
	| 'nextDevice'
	| 'sort'
	| 'confirm'
	| 'cancel';

const bindings: ReadonlyArray<KeyBinding<KeyIntent, KeyContext>> = [
	{intent: 'help', keys: [{input: '?'}], contexts: ['global'], short: 'help', description: 'show or hide the help (the current view\'s keys first)'},
	{intent: 'quit', keys: [{input: 'q'}], contexts: ['global'], short: 'quit', description: 'go back; quit from the device list (asks first while an action runs)'},
	{intent: 'back', keys: [{key: 'escape'}], contexts: ['global'], short: 'back', description: 'go back, close, clear the filter or the message; never quits'},
	{intent: 'quit', keys: [{input: 'c', ctrl: true}], contexts: ['global'], short: 'quit', description: 'quit at once'},
	{intent: 'palette', keys: [{input: ':'}], contexts: ['global'], short: 'commands', description: 'command palette: every action and view, type to filter'},
	{intent: 'messages', keys: [{input: 'm'}], contexts: ['global'], short: 'messages', description: 'the message log (every message and error in full)'},
	{intent: 'previousDevice', keys: [{input: '['}], contexts: ['global'], short: 'prev device', description: 'previous device (in the logs: the same service there)'},
	{intent: 'nextDevice', keys: [{input: ']'}], contexts: ['global'], short: 'next device', description: 'next device (in the logs: the same service there)'},
	{intent: 'up', keys: [{key: 'upArrow'}, {input: 'k'}], contexts: ['list', 'logs', 'help', 'messages'], description: 'move up'},
	{intent: 'down', keys: [{key: 'downArrow'}, {input: 'j'}], contexts: ['list', 'logs', 'help', 'messages'], description: 'move down'},
	{intent: 'pageUp', keys: [{key: 'pageUp'}], contexts: ['list', 'logs', 'help', 'messages'], description: 'one page up (pauses the log)'},
	{intent: 'pageDown', keys: [{key: 'pageDown'}], contexts: ['list', 'logs', 'help', 'messages'], description: 'one page down'},
	{intent: 'top', keys: [{input: 'g'}, {key: 'home'}], contexts: ['list', 'logs'], description: 'to the first line (pauses the log)'},
	{intent: 'bottom', keys: [{input: 'G'}, {key: 'end'}], contexts: ['list', 'logs'], description: 'to the last line (follows the log again)'},
	{intent: 'focusNext', keys: [{key: 'tab'}, {key: 'leftArrow'}, {key: 'rightArrow'}], contexts: ['list'], short: 'switch', description: 'switch between devices and services'},
	{intent: 'open', keys: [{key: 'return'}], contexts: ['list'], short: 'open', description: 'device: its services; service: its logs'},
	{intent: 'filter', keys: [{input: '/'}], contexts: ['list'], short: 'filter', description: 'filter the list (Enter keeps, Esc clears; the selection stays)'},
	{intent: 'sort', keys: [{input: 'O'}], contexts: ['list'], short: 'order', description: 'order: configured → name → state → memory → restarts → trouble first'},
	{intent: 'refresh', keys: [{input: 'R'}], contexts: ['list'], short: 'poll', description: 'poll the selected device now'},
	{intent: 'restart', keys: [{input: 'r'}], contexts: ['services', 'logs'], short: 'restart', description: 'restart the service', action: true},
	{intent: 'stop', keys: [{input: 's'}], contexts: ['services', 'logs'], short: 'stop', description: 'stop the service', action: true},
	{intent: 'start', keys: [{input: 'S'}], contexts: ['services', 'logs'], short: 'start', description: 'start the service', action: true},
	{intent: 'once', keys: [{input: 'o'}], contexts: ['services'], short: 'once', description: 'run the service once, then keep it stopped', action: true},
	{intent: 'kill', keys: [{input: 'K'}], contexts: ['services'], short: 'kill', description: 'kill with SIGKILL (the supervisor starts it again)', action: true},
	{intent: 'reboot', keys: [{input: 'B'}], contexts: ['devices', 'services'], short: 'reboot', description: 'reboot the device (type its name, as shown, to confirm)', action: true},
	{intent: 'poweroff', keys: [{input: 'P'}], contexts: ['devices', 'services'], short: 'power off', description: 'power the device off (type its name, as shown, to confirm)', action: true},
	{intent: 'shell', keys: [{input: 'b'}], contexts: ['devices', 'services'], short: 'shell', description: 'breakglass shell on the device', action: true},
	{intent: 'flash', keys: [{input: 'f'}], contexts: ['devices', 'services'], short: 'flash', description: 'flashing wizard (write an image to an SD card)', action: true},
	{intent: 'update', keys: [{input: 'u'}], contexts: ['devices', 'services'], short: 'update', description: 'update the device (or the marked ones, one at a time): build with gok or push an archive, reboot, health gate', action: true},
	{intent: 'mark', keys: [{input: ' '}], contexts: ['devices'], short: 'mark', description: 'mark or unmark the device for an update of several (as in k9s)', action: true},
	{intent: 'rollback', keys: [{input: 'U'}], contexts: ['devices', 'services'], short: 'roll back', description: 'roll back krazy-tui\'s last update of the device (type its name to confirm)', action: true},
	{intent: 'history', keys: [{input: 'H'}], contexts: ['devices', 'services'], short: 'history', description: 'the device\'s history from Prometheus: 1 h, 24 h, 7 d (with --prometheus URL)'},
	{intent: 'logSearch', keys: [{input: '/'}], contexts: ['logs'], short: 'search', description: 'search (highlights matches; /re/ for a regular expression); following or paused stays as it was'},
	{intent: 'logNext', keys: [{input: 'n'}], contexts: ['logs'], short: 'next', description: 'next match'},
	{intent: 'logPrevious', keys: [{input: 'N'}], contexts: ['logs'], description: 'previous match'},
	{intent: 'logFilter', keys: [{input: '&'}], contexts: ['logs'], short: 'filter', description: 'filter: show only matching lines (/re/ regular expression, !text the lines without it); following or paused stays as it was'},
	{intent: 'logFollow', keys: [{input: 'F'}, {input: ' '}], contexts: ['logs'], short: 'follow/pause', description: 'follow or pause'},
	{intent: 'logStream', keys: [{input: 't'}], contexts: ['logs'], short: 'streams', description: 'streams: both → stdout → stderr'},
	{intent: 'logWrap', keys: [{input: 'w'}], contexts: ['logs'], short: 'wrap', description: 'wrap long lines or cut them'},
	{intent: 'logSave', keys: [{input: 'W'}], contexts: ['logs'], short: 'save', description: 'save the buffer to a file (asks where; default in the data folder)'},
	{intent: 'logClear', keys: [{input: 'c'}], contexts: ['logs'], short: 'clear', description: 'clear the buffer'},
	{intent: 'logTimes', keys: [{input: 'T'}], contexts: ['logs'], short: 'times', description: 'show or hide the time each line was received'},
	{intent: 'logCopy', keys: [{input: 'v'}], contexts: ['logs'], short: 'copy mode', description: 'copy mode: the bare text, wrapped, to select with the mouse'},
	{intent: 'confirm', keys: [{input: 'y'}, {key: 'return'}], contexts: ['dialog'], description: 'confirm'},
	{intent: 'cancel', keys: [{input: 'n'}, {key: 'escape'}], contexts: ['dialog'], description: 'cancel'},
];

/** The dashboard's keys; `dashboardKeys.match(contexts, input, key, {readonly})` gives the intent. */
export const dashboardKeys = keyTable(bindings, {
	sections: [
		{title: 'Everywhere', contexts: ['global'], sayAlso: false},
		{title: 'Device and service lists', contexts: ['list']},
		{title: 'Devices', contexts: ['devices']},
		{title: 'Services', contexts: ['services']},
		{title: 'Logs', contexts: ['logs']},
		{title: 'Help and message log', contexts: ['help', 'messages']},
		{title: 'Confirmation dialogs', contexts: ['dialog']},
	],
	quiet: ['help', 'messages'],
});

/** The help section of each view, which the help shows first when opened there. */
export type HelpView = 'devices' | 'services' | 'logs';

const viewSection: Readonly<Record<HelpView, string>> = {devices: 'Devices', services: 'Services', logs: 'Logs'};

/**
 * The help overlay: the dashboard's sections, then the update pane's (`u`) and the flashing wizard's (`f`), both hidden when read-only. With
 * `view`, that view's section comes first, then the list keys (for a list), then the rest in their usual order.
 */
export function dashboardHelpSections(options: {readonly?: boolean; view?: HelpView} = {}) {
	const sections = [...dashboardKeys.helpSections(options), ...(options.readonly ? [] : [...updateKeys.helpSections(), ...flashKeys.helpSections()])];
	if (!options.view) {
		return sections;
	}

	const first = [viewSection[options.view], ...(options.view === 'logs' ? [] : ['Device and service lists'])];
	const rank = (title: string) => {
		const index = first.indexOf(title);
		return index === -1 ? first.length : index;
	};

	return sections
		.map((section, index) => ({section, index}))
		.sort((a, b) => rank(a.section.title) - rank(b.section.title) || a.index - b.index)
		.map(({section}) => section);
}
