// The flashing wizard's key table: its input handling, the hint line, the help overlay's wizard section and the README's list.
import {keyTable, type KeyBinding} from '../../input/key-table.js';

export type WizardStep = 'source' | 'target' | 'confirm' | 'build' | 'sudo' | 'write' | 'verify' | 'power-off' | 'finish';

export type FlashIntent =
	| 'up'
	| 'down'
	| 'complete'
	| 'next'
	| 'back'
	| 'toggle'
	| 'write'
	| 'showAll'
	| 'cancel'
	| 'again'
	| 'quit';

const choosing: readonly WizardStep[] = ['source', 'target', 'confirm'];
const running: readonly WizardStep[] = ['build', 'write', 'verify', 'power-off'];

// `short` is what the hint line says; `description` is the help's sentence. Text (the image path, a device's name to
// type) is edited by the text input, not by this table: printable keys the table does not claim are typed.
const bindings: ReadonlyArray<KeyBinding<FlashIntent, WizardStep>> = [
	{intent: 'complete', keys: [{key: 'tab'}], contexts: ['source'], short: 'complete', description: 'complete the image path (~ is your home folder)'},
	{intent: 'up', keys: [{key: 'upArrow'}], contexts: choosing, hint: '↑↓', short: 'move', description: 'move up'},
	{intent: 'down', keys: [{key: 'downArrow'}, {key: 'tab'}], contexts: choosing, hint: '', description: 'move down'},
	{intent: 'up', keys: [{input: 'k'}], contexts: ['target'], hint: '', description: 'move up the card list'},
	{intent: 'down', keys: [{input: 'j'}], contexts: ['target'], hint: '', description: 'move down the card list'},
	{
		intent: 'next', keys: [{key: 'return'}], contexts: [...choosing, 'finish'], short: 'continue',
		description: 'continue; on the last question: write (after typing the name when asked); at the end: leave',
		inContext: {confirm: 'write (after typing the name)', finish: 'leave'},
	},
	{intent: 'toggle', keys: [{input: ' '}], contexts: ['confirm'], short: 'switch the option', description: 'switch the option (fast write, verify, unmount first)'},
	{intent: 'write', keys: [{input: 'y'}], contexts: ['confirm'], short: 'write (an ok card)', description: 'write to a card the wizard finds ok'},
	{intent: 'showAll', keys: [{input: 'a'}], contexts: ['target'], description: 'show loop devices too, or hide them'},
	{intent: 'again', keys: [{input: 'n'}], contexts: ['finish'], description: 'flash another card'},
	{intent: 'back', keys: [{key: 'escape'}], contexts: choosing, short: 'back', description: 'back one step; on the first: leave', inContext: {source: 'leave'}},
	{intent: 'quit', keys: [{input: 'q'}], contexts: ['target', 'finish'], description: 'leave the wizard'},
	{
		intent: 'cancel', keys: [{input: 'c', ctrl: true}], contexts: [...choosing, ...running, 'finish'], short: 'leave',
		description: 'leave; while writing: stop (the card is then incomplete)',
		inContext: {build: 'stop', write: 'stop (the card is then incomplete)', verify: 'stop', 'power-off': 'stop'},
	},
];

export const flashKeys = keyTable(bindings, {
	sections: [{title: 'Flashing wizard (f)', contexts: [...choosing, ...running, 'finish'], sayAlso: false}],
});
