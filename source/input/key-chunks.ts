// Keys that arrived together as one chunk, taken apart: a terminal delivers a paste, fast typing or tmux send-keys as
// one input ("images/casa.img\r"), and each character must count as the key it is, Enter included, on every screen.
import type {KeyEvent} from './key-table.js';

export const noKey: KeyEvent = {
	upArrow: false,
	downArrow: false,
	leftArrow: false,
	rightArrow: false,
	pageUp: false,
	pageDown: false,
	home: false,
	end: false,
	return: false,
	escape: false,
	tab: false,
	backspace: false,
	delete: false,
	ctrl: false,
	meta: false,
	shift: false,
};

/** One key per character of a chunk (a single key, or a named key, passes as it came). */
export function splitKeys<K extends KeyEvent>(input: string, key: K): Array<{input: string; key: KeyEvent}> {
	const characters = [...input];
	if (characters.length <= 1 || key.meta || key.upArrow || key.downArrow || key.leftArrow || key.rightArrow || key.pageUp || key.pageDown || key.home || key.end) {
		return [{input, key}];
	}

	// An escape sequence inside a chunk (a colour in a paste) is dropped whole: none of it is a key or text.
	const plain = [...input.replace(/\u001b\[[\u0030-\u003f]*[\u0020-\u002f]*[\u0040-\u007e]/g, '')];
	return plain.map(character => {
		const code = character.codePointAt(0) ?? 0;
		if (character === '\r' || character === '\n') {
			return {input: '', key: {...noKey, return: true}};
		}

		if (character === '\t') {
			return {input: '', key: {...noKey, tab: true}};
		}

		if (character === '\u007f' || character === '\b') {
			return {input: '', key: {...noKey, backspace: true}};
		}

		if (code >= 1 && code <= 26) {
			return {input: String.fromCodePoint(code + 96), key: {...noKey, ctrl: true}};
		}

		if (code < 0x20) {
			return {input: '', key: noKey};
		}

		return {input: character, key: {...noKey, shift: /[A-Z]/.test(character)}};
	});
}
