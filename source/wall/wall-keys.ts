// The wall's key table: the screen binds blessed's names for it, the help overlay and the README's list come from it.
import {blessedKeyName, keyTable, type KeyBinding} from '../input/key-table.js';

export type WallIntent = 'quit' | 'pause' | 'previousPage' | 'nextPage' | 'help' | 'dismiss';

const bindings: ReadonlyArray<KeyBinding<WallIntent, 'wall'>> = [
	{intent: 'quit', keys: [{input: 'q'}, {input: 'c', ctrl: true}], contexts: ['wall'], description: 'quit'},
	{intent: 'pause', keys: [{input: 'p'}, {input: ' '}], contexts: ['wall'], description: 'pause or resume the page rotation'},
	{intent: 'previousPage', keys: [{key: 'leftArrow'}, {key: 'upArrow'}, {key: 'pageUp'}], contexts: ['wall'], description: 'previous page'},
	{intent: 'nextPage', keys: [{key: 'rightArrow'}, {key: 'downArrow'}, {key: 'pageDown'}], contexts: ['wall'], description: 'next page'},
	{intent: 'help', keys: [{input: '?'}, {input: 'h'}], contexts: ['wall'], description: 'show or hide this help'},
	{intent: 'dismiss', keys: [{key: 'escape'}], contexts: ['wall'], description: 'hide this help'},
];

export const wallKeys = keyTable(bindings, {sections: [{title: 'Wall', contexts: ['wall']}]});

/** The help overlay's lines. */
export function wallHelpLines(): string[] {
	const rows = wallKeys.helpSections().flatMap(section => section.rows).map(row => ({keys: row.keys.split(' ').join('  '), description: row.description}));
	const width = Math.max(...rows.map(row => row.keys.length));
	return [
		...rows.map(row => `${row.keys.padEnd(width)}   ${row.description}`),
		'',
		'The wall only reads: nothing here changes a device.',
		'To restart or stop a service, use krazy-tui (the dashboard) or krazy-tui restart.',
	];
}

/** blessed's names of each intent's keys, for `screen.key(names, …)`. */
export function wallKeyNames(): Array<{intent: WallIntent; names: string[]}> {
	return wallKeys.bindings.map(binding => ({intent: binding.intent, names: binding.keys.map(spec => blessedKeyName(spec))}));
}

/** The intent of a blessed key name, if the wall has one. */
export function wallIntent(keyName: string): WallIntent | undefined {
	return wallKeyNames().find(entry => entry.names.includes(keyName))?.intent;
}
