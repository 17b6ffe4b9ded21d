// The one table of key bindings: input handling, the help overlay and the README's key list all come from it.
import type {Key} from 'ink';

/** Where a binding applies. `list` covers both the device and the service list. */
export type KeyContext = 'global' | 'list' | 'devices' | 'services' | 'logs' | 'help' | 'dialog';

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
	| 'logSearch'
	| 'logNext'
	| 'logPrevious'
	| 'logFilter'
	| 'logFollow'
	| 'logStream'
	| 'logWrap'
	| 'logSave'
	| 'logClear'
	| 'confirm'
	| 'cancel';

/** A key: a printable `input`, or a named key from Ink's `Key`, optionally with Ctrl. */
export type KeySpec = {input?: string; key?: NamedKey; ctrl?: boolean};

export type NamedKey =
	| 'upArrow'
	| 'downArrow'
	| 'leftArrow'
	| 'rightArrow'
	| 'pageUp'
	| 'pageDown'
	| 'home'
	| 'end'
	| 'return'
	| 'escape'
	| 'tab';

export type KeyBinding = {
	readonly intent: KeyIntent;
	readonly keys: readonly KeySpec[];
	readonly contexts: readonly KeyContext[];
	readonly description: string;
	/** Changes a device or a service: hidden (and ignored) with --readonly; asks before it acts. */
	readonly action?: boolean;
};

const namedKeyLabel: Readonly<Record<NamedKey, string>> = {
	upArrow: '↑',
	downArrow: '↓',
	leftArrow: '←',
	rightArrow: '→',
	pageUp: 'PgUp',
	pageDown: 'PgDn',
	home: 'Home',
	end: 'End',
	return: 'Enter',
	escape: 'Esc',
	tab: 'Tab',
};

export const keyTable: readonly KeyBinding[] = [
	{intent: 'help', keys: [{input: '?'}], contexts: ['global'], description: 'show or hide this help'},
	{intent: 'quit', keys: [{input: 'q'}], contexts: ['global'], description: 'go back; quit from the device list'},
	{intent: 'back', keys: [{key: 'escape'}], contexts: ['global'], description: 'go back, close, or clear the filter'},
	{intent: 'quit', keys: [{input: 'c', ctrl: true}], contexts: ['global'], description: 'quit at once'},
	{intent: 'up', keys: [{key: 'upArrow'}, {input: 'k'}], contexts: ['list', 'logs', 'help'], description: 'move up'},
	{intent: 'down', keys: [{key: 'downArrow'}, {input: 'j'}], contexts: ['list', 'logs', 'help'], description: 'move down'},
	{intent: 'pageUp', keys: [{key: 'pageUp'}], contexts: ['list', 'logs', 'help'], description: 'one page up (pauses the log)'},
	{intent: 'pageDown', keys: [{key: 'pageDown'}], contexts: ['list', 'logs', 'help'], description: 'one page down'},
	{intent: 'top', keys: [{input: 'g'}, {key: 'home'}], contexts: ['list', 'logs'], description: 'to the first line (pauses the log)'},
	{intent: 'bottom', keys: [{input: 'G'}, {key: 'end'}], contexts: ['list', 'logs'], description: 'to the last line (follows the log again)'},
	{intent: 'focusNext', keys: [{key: 'tab'}, {key: 'leftArrow'}, {key: 'rightArrow'}], contexts: ['list'], description: 'switch between devices and services'},
	{intent: 'open', keys: [{key: 'return'}], contexts: ['list'], description: 'device: its services; service: its logs'},
	{intent: 'filter', keys: [{input: '/'}], contexts: ['list'], description: 'filter the list (Enter keeps, Esc clears)'},
	{intent: 'refresh', keys: [{input: 'R'}], contexts: ['list'], description: 'poll the selected device now'},
	{intent: 'restart', keys: [{input: 'r'}], contexts: ['services', 'logs'], description: 'restart the service', action: true},
	{intent: 'stop', keys: [{input: 's'}], contexts: ['services', 'logs'], description: 'stop the service', action: true},
	{intent: 'start', keys: [{input: 'S'}], contexts: ['services', 'logs'], description: 'start the service', action: true},
	{intent: 'once', keys: [{input: 'o'}], contexts: ['services'], description: 'run the service once, then keep it stopped', action: true},
	{intent: 'kill', keys: [{input: 'K'}], contexts: ['services'], description: 'kill with SIGKILL (the supervisor starts it again)', action: true},
	{intent: 'reboot', keys: [{input: 'B'}], contexts: ['devices', 'services'], description: 'reboot the device (type its name to confirm)', action: true},
	{intent: 'poweroff', keys: [{input: 'P'}], contexts: ['devices', 'services'], description: 'power the device off (type its name to confirm)', action: true},
	{intent: 'shell', keys: [{input: 'b'}], contexts: ['devices', 'services'], description: 'breakglass shell on the device', action: true},
	{intent: 'flash', keys: [{input: 'f'}], contexts: ['devices', 'services'], description: 'flashing wizard (write an image to an SD card)', action: true},
	{intent: 'logSearch', keys: [{input: '/'}], contexts: ['logs'], description: 'search (highlights matches)'},
	{intent: 'logNext', keys: [{input: 'n'}], contexts: ['logs'], description: 'next match'},
	{intent: 'logPrevious', keys: [{input: 'N'}], contexts: ['logs'], description: 'previous match'},
	{intent: 'logFilter', keys: [{input: '&'}], contexts: ['logs'], description: 'filter: show only matching lines'},
	{intent: 'logFollow', keys: [{input: 'F'}, {input: ' '}], contexts: ['logs'], description: 'follow or pause'},
	{intent: 'logStream', keys: [{input: 't'}], contexts: ['logs'], description: 'streams: both → stdout → stderr'},
	{intent: 'logWrap', keys: [{input: 'w'}], contexts: ['logs'], description: 'wrap long lines or cut them'},
	{intent: 'logSave', keys: [{input: 'W'}], contexts: ['logs'], description: 'save the buffer to a file'},
	{intent: 'logClear', keys: [{input: 'c'}], contexts: ['logs'], description: 'clear the buffer'},
	{intent: 'confirm', keys: [{input: 'y'}, {key: 'return'}], contexts: ['dialog'], description: 'confirm'},
	{intent: 'cancel', keys: [{input: 'n'}, {key: 'escape'}], contexts: ['dialog'], description: 'cancel'},
];

/** `K`, `Ctrl+C`, `↑/k`: how a key looks in help. */
export function keyLabel(spec: KeySpec): string {
	const base = spec.key ? namedKeyLabel[spec.key] : spec.input === ' ' ? 'Space' : (spec.input ?? '');
	return spec.ctrl ? `Ctrl+${base.toUpperCase()}` : base;
}

function specMatches(spec: KeySpec, input: string, key: Key): boolean {
	if (Boolean(spec.ctrl) !== key.ctrl) {
		return false;
	}

	if (spec.key) {
		return key[spec.key];
	}

	// Named keys also arrive with some `input`; only plain keys count as printable input.
	return !key.return && !key.escape && !key.tab && input === spec.input;
}

/**
 * The intent of a key in the given contexts (searched in order), or undefined. Action intents are never matched with
 * `readonly`.
 */
export function matchKey(
	contexts: readonly KeyContext[],
	input: string,
	key: Key,
	options: {readonly?: boolean} = {},
): KeyIntent | undefined {
	for (const context of contexts) {
		for (const binding of keyTable) {
			if (!binding.contexts.includes(context) || (options.readonly && binding.action)) {
				continue;
			}

			if (binding.keys.some(spec => specMatches(spec, input, key))) {
				return binding.intent;
			}
		}
	}

	return undefined;
}

export type HelpSection = {title: string; rows: {keys: string; description: string}[]};

const sectionTitles: ReadonlyArray<[KeyContext, string]> = [
	['global', 'Everywhere'],
	['list', 'Device and service lists'],
	['devices', 'Devices'],
	['services', 'Services'],
	['logs', 'Logs'],
	['help', 'Help'],
	['dialog', 'Confirmation dialogs'],
];

/** The help, grouped by where keys apply; a binding shared by several contexts is listed under the first. */
export function helpSections(options: {readonly?: boolean} = {}): HelpSection[] {
	const sections: HelpSection[] = [];
	const listed = new Set<KeyBinding>();
	for (const [context, title] of sectionTitles) {
		const rows: HelpSection['rows'] = [];
		for (const binding of keyTable) {
			if (listed.has(binding) || !binding.contexts.includes(context) || (options.readonly && binding.action)) {
				continue;
			}

			// A binding for devices and services both is shown once, under "Devices" ("and services" said in words).
			listed.add(binding);
			const also = binding.contexts.filter(other => other !== context && other !== 'help');
			const where = also.length > 0 && context !== 'global' ? ` (also in ${also.join(', ')})` : '';
			rows.push({keys: binding.keys.map(spec => keyLabel(spec)).join(' '), description: binding.description + where});
		}

		if (rows.length > 0) {
			sections.push({title, rows});
		}
	}

	return sections;
}

/** The README's key list: a markdown table per section. */
export function keyTableMarkdown(): string {
	const escape = (text: string) => text.replaceAll('|', '\\|');
	return helpSections()
		.map(section => [
			`**${section.title}**`,
			'',
			'| Key | What it does |',
			'| --- | --- |',
			...section.rows.map(row => `| ${row.keys.split(' ').map(key => `\`${escape(key)}\``).join(' ')} | ${escape(row.description)} |`),
		].join('\n'))
		.join('\n\n') + '\n';
}

/** A short hint for the status bar: `r restart · s stop`. */
export function keyHints(intents: readonly KeyIntent[], options: {readonly?: boolean} = {}): string {
	const hints: string[] = [];
	for (const intent of intents) {
		const binding = keyTable.find(candidate => candidate.intent === intent);
		if (!binding || (options.readonly && binding.action)) {
			continue;
		}

		hints.push(`${keyLabel(binding.keys[0])} ${shortName[intent] ?? intent}`);
	}

	return hints.join(' · ');
}

const shortName: Partial<Record<KeyIntent, string>> = {
	quit: 'quit',
	back: 'back',
	help: 'help',
	open: 'open',
	filter: 'filter',
	restart: 'restart',
	stop: 'stop',
	start: 'start',
	once: 'once',
	kill: 'kill',
	reboot: 'reboot',
	poweroff: 'power off',
	shell: 'shell',
	flash: 'flash',
	focusNext: 'switch',
	logSearch: 'search',
	logFilter: 'filter',
	logFollow: 'follow/pause',
	logStream: 'streams',
	logWrap: 'wrap',
	logSave: 'save',
	logNext: 'next',
	logClear: 'clear',
};
