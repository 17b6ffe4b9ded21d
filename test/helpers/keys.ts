// Key sequences for reducer tests: `j<Down>/gol<Enter>` as the terminal would deliver it, text runs as one chunk each
// (so the reducers' chunk splitting is exercised), named keys in angle brackets.
import {noKey} from '../../source/input/key-chunks.js';
import type {KeyEvent} from '../../source/input/key-table.js';

const named: Record<string, Partial<KeyEvent>> = {
	Enter: {return: true},
	Esc: {escape: true},
	Tab: {tab: true},
	Up: {upArrow: true},
	Down: {downArrow: true},
	Left: {leftArrow: true},
	Right: {rightArrow: true},
	PgUp: {pageUp: true},
	PgDn: {pageDown: true},
	Home: {home: true},
	End: {end: true},
	Backspace: {backspace: true},
};

/** `a<Enter>` → [{input: 'a'}, {Enter}]; `<C-c>` is Ctrl+C. */
export function keySequence(text: string): Array<{input: string; key: KeyEvent}> {
	const result: Array<{input: string; key: KeyEvent}> = [];
	for (const part of text.split(/(<[^>]+>)/).filter(Boolean)) {
		const name = /^<(.+)>$/.exec(part)?.[1];
		if (name === undefined) {
			result.push({input: part, key: noKey});
		} else if (name.startsWith('C-')) {
			result.push({input: name.slice(2), key: {...noKey, ctrl: true}});
		} else if (named[name]) {
			result.push({input: name === 'Enter' ? '\r' : '', key: {...noKey, ...named[name]}});
		} else {
			throw new Error(`unknown key <${name}>`);
		}
	}

	return result;
}
