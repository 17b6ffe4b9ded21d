// The one table of the flashing wizard's keys: input handling and the hint line at the bottom both come from it.
import type {Key} from 'ink';

export type WizardStep = 'source' | 'target' | 'confirm' | 'build' | 'sudo' | 'write' | 'verify' | 'finish';

export type FlashIntent =
	| 'up'
	| 'down'
	| 'next'
	| 'back'
	| 'erase'
	| 'toggle'
	| 'write'
	| 'showAll'
	| 'cancel'
	| 'again'
	| 'quit';

type NamedKey = 'upArrow' | 'downArrow' | 'return' | 'escape' | 'tab' | 'backspace' | 'delete';

export type FlashKeySpec = {input?: string; key?: NamedKey; ctrl?: boolean};

export type FlashKeyBinding = {
	readonly intent: FlashIntent;
	readonly keys: readonly FlashKeySpec[];
	readonly steps: readonly WizardStep[];
	/** Shown in the hint line. */
	readonly label: string;
	readonly description: string;
	/** What the key does in particular steps, when not `description`. */
	readonly inStep?: Partial<Record<WizardStep, string>>;
};

export const flashKeyTable: readonly FlashKeyBinding[] = [
	{intent: 'up', keys: [{key: 'upArrow'}], steps: ['source', 'target', 'confirm'], label: '↑↓', description: 'move'},
	{intent: 'down', keys: [{key: 'downArrow'}, {key: 'tab'}], steps: ['source', 'target', 'confirm'], label: '', description: 'move down'},
	{intent: 'next', keys: [{key: 'return'}], steps: ['source', 'target', 'confirm', 'finish'], label: 'Enter', description: 'continue', inStep: {confirm: 'write (after typing the name)', finish: 'leave'}},
	{intent: 'erase', keys: [{key: 'backspace'}, {key: 'delete'}], steps: ['source', 'confirm'], label: '', description: 'delete a character'},
	{intent: 'toggle', keys: [{input: ' '}], steps: ['confirm'], label: 'Space', description: 'switch the option'},
	{intent: 'write', keys: [{input: 'y'}], steps: ['confirm'], label: 'y', description: 'write (an ok card)'},
	{intent: 'showAll', keys: [{input: 'a'}], steps: ['target'], label: 'a', description: 'show loop devices too, or hide them'},
	{intent: 'again', keys: [{input: 'n'}], steps: ['finish'], label: 'n', description: 'flash another card'},
	{intent: 'back', keys: [{key: 'escape'}], steps: ['source', 'target', 'confirm'], label: 'Esc', description: 'back', inStep: {source: 'leave'}},
	{intent: 'quit', keys: [{input: 'q'}], steps: ['target', 'finish'], label: 'q', description: 'leave the wizard'},
	{intent: 'cancel', keys: [{input: 'c', ctrl: true}], steps: ['source', 'target', 'confirm', 'build', 'write', 'verify', 'finish'], label: 'Ctrl+C', description: 'leave', inStep: {build: 'stop', write: 'stop (the card is then incomplete)', verify: 'stop'}},
];

function matches(spec: FlashKeySpec, input: string, key: Key): boolean {
	if (Boolean(spec.ctrl) !== key.ctrl) {
		return false;
	}

	if (spec.key) {
		return key[spec.key];
	}

	return !key.return && !key.escape && !key.tab && input === spec.input;
}

/** The intent of a key in a step, or undefined (then printable input may be text). */
export function flashIntent(step: WizardStep, input: string, key: Key): FlashIntent | undefined {
	return flashKeyTable.find(binding => binding.steps.includes(step) && binding.keys.some(spec => matches(spec, input, key)))?.intent;
}

/** The hint line for a step: "↑↓ move · Enter continue · Esc back". `except` drops bindings that do not apply now. */
export function flashHints(step: WizardStep, except: readonly FlashIntent[] = []): string {
	return flashKeyTable
		.filter(binding => binding.steps.includes(step) && binding.label !== '' && !except.includes(binding.intent))
		.map(binding => `${binding.label} ${binding.inStep?.[step] ?? binding.description}`)
		.join(' · ');
}
