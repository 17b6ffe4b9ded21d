// One text field's editing, as ink-ui builds its TextInput: keys map to actions, a pure reducer applies them. The
// dashboard's filters and typed confirmations and the wizard's image path all edit through here.
import type {KeyEvent} from './key-table.js';

export type TextInputAction =
	| {readonly type: 'insert'; readonly text: string}
	| {readonly type: 'deleteBackward'; readonly count?: number}
	/** Ctrl-U: the whole field, as in a shell. */
	| {readonly type: 'deleteLine'}
	/** Ctrl-W: the word before the cursor (and the spaces after it), as in a shell. */
	| {readonly type: 'deleteWord'}
	| {readonly type: 'submit'}
	| {readonly type: 'cancel'};

export type TextInputResult = {readonly value: string; readonly done?: 'submit' | 'cancel'};

/** What a key does to a text field; undefined: nothing (arrows, function keys, other Ctrl combinations). */
export function textInputAction(input: string, key: KeyEvent): TextInputAction | undefined {
	if (key.return) {
		return {type: 'submit'};
	}

	if (key.escape) {
		return {type: 'cancel'};
	}

	if (key.backspace || key.delete) {
		return {type: 'deleteBackward'};
	}

	if (key.ctrl && !key.meta && (input === 'u' || input === '\u0015')) {
		return {type: 'deleteLine'};
	}

	if (key.ctrl && !key.meta && (input === 'w' || input === '\u0017')) {
		return {type: 'deleteWord'};
	}

	// A burst of Backspace (keys held down, or sent at once) arrives as one chunk: one deletion per key.
	if (input.length > 1 && /^[\u007f\b]+$/.test(input)) {
		return {type: 'deleteBackward', count: input.length};
	}

	return isPrintable(input, key) ? {type: 'insert', text: input} : undefined;
}

export function textInputReducer(value: string, action: TextInputAction): TextInputResult {
	switch (action.type) {
		case 'insert': {
			return {value: value + action.text};
		}

		case 'deleteBackward': {
			const count = action.count ?? 1;
			return {value: [...value].slice(0, Math.max(0, [...value].length - count)).join('')};
		}

		case 'deleteLine': {
			return {value: ''};
		}

		case 'deleteWord': {
			return {value: value.replace(/\S*\s*$/u, '')};
		}

		case 'submit': {
			return {value, done: 'submit'};
		}

		case 'cancel': {
			return {value, done: 'cancel'};
		}
	}
}

/** A key applied to a field's value: the key's action, reduced. */
export function editText(value: string, input: string, key: KeyEvent): TextInputResult {
	const action = textInputAction(input, key);
	return action ? textInputReducer(value, action) : {value};
}

export function isPrintable(input: string, key: KeyEvent): boolean {
	return input !== '' && !key.ctrl && !key.meta && !key.return && !key.escape && !key.tab && !key.backspace && !key.delete
		&& !key.upArrow && !key.downArrow && !key.leftArrow && !key.rightArrow && !key.pageUp && !key.pageDown
		// Pasted text can hold control characters: they never belong in a field.
		&& !/[\u0000-\u001f\u007f]/.test(input);
}
