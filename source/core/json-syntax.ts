// Where and why a JSON text is invalid, found by a linear scan: V8's own messages quote the text, which may be a password.

export type JsonSyntaxError = {
	/** Offset (in UTF-16 code units) of the first character that makes the text invalid (the length at its end). */
	offset: number;
	/** A fixed phrase; never any of the text itself. */
	reason: string;
};

const quote = 0x22;
const backslash = 0x5C;
const openObject = 0x7B;
const closeObject = 0x7D;
const openArray = 0x5B;
const closeArray = 0x5D;
const comma = 0x2C;
const colon = 0x3A;
const minus = 0x2D;
const plus = 0x2B;
const dot = 0x2E;

function isDigit(code: number): boolean {
	return code >= 0x30 && code <= 0x39;
}

function isHex(code: number): boolean {
	return isDigit(code) || (code >= 0x41 && code <= 0x46) || (code >= 0x61 && code <= 0x66);
}

type State = 'value' | 'value-or-end' | 'key' | 'key-or-end' | 'after';

/**
 * The first syntax error of `text` as JSON.parse sees it (RFC 8259), or undefined when JSON.parse would accept it.
 * Iterative and linear: any nesting depth and any length cost one pass.
 */
export function findJsonError(text: string): JsonSyntaxError | undefined {
	const length = text.length;
	const stack: number[] = [];
	let index = 0;
	let state: State = 'value';
	const fail = (reason: string): JsonSyntaxError => ({offset: index, reason});

	const skipSpace = () => {
		while (index < length) {
			const code = text.charCodeAt(index);
			if (code !== 0x20 && code !== 0x09 && code !== 0x0A && code !== 0x0D) {
				return;
			}

			index++;
		}
	};

	/** `index` is at the opening quote; leaves it after the closing one. */
	const scanString = (): JsonSyntaxError | undefined => {
		index++;
		for (;;) {
			if (index >= length) {
				return fail('a string is not closed');
			}

			const code = text.charCodeAt(index);
			if (code === quote) {
				index++;
				return undefined;
			}

			if (code < 0x20) {
				return fail('a control character inside a string');
			}

			if (code === backslash) {
				const next = text.charCodeAt(index + 1);
				if (next === 0x75 /* u */) {
					for (let digit = 2; digit < 6; digit++) {
						if (!isHex(text.charCodeAt(index + digit))) {
							index += Math.min(digit, length - index);
							return fail('a bad \\u escape in a string');
						}
					}

					index += 6;
					continue;
				}

				// " \ / b f n r t
				if (next === quote || next === backslash || next === 0x2F || next === 0x62 || next === 0x66 || next === 0x6E || next === 0x72 || next === 0x74) {
					index += 2;
					continue;
				}

				index++;
				return fail('a bad escape in a string');
			}

			index++;
		}
	};

	const scanDigits = (): number => {
		const start = index;
		while (index < length && isDigit(text.charCodeAt(index))) {
			index++;
		}

		return index - start;
	};

	const scanNumber = (): JsonSyntaxError | undefined => {
		if (text.charCodeAt(index) === minus) {
			index++;
		}

		const first = text.charCodeAt(index);
		if (first === 0x30) {
			index++;
		} else if (!isDigit(first) || scanDigits() === 0) {
			return fail('a bad number');
		}

		if (text.charCodeAt(index) === dot) {
			index++;
			if (scanDigits() === 0) {
				return fail('a bad number');
			}
		}

		const exponent = text.charCodeAt(index);
		if (exponent === 0x65 || exponent === 0x45) {
			index++;
			const sign = text.charCodeAt(index);
			if (sign === plus || sign === minus) {
				index++;
			}

			if (scanDigits() === 0) {
				return fail('a bad number');
			}
		}

		return undefined;
	};

	for (;;) {
		skipSpace();
		const code = index < length ? text.charCodeAt(index) : -1;
		switch (state) {
			case 'value':
			case 'value-or-end': {
				if (code === -1) {
					return fail('the text ends where a value was expected');
				}

				if (state === 'value-or-end' && code === closeArray) {
					index++;
					stack.pop();
					state = 'after';
				} else if (code === openObject) {
					index++;
					stack.push(openObject);
					state = 'key-or-end';
				} else if (code === openArray) {
					index++;
					stack.push(openArray);
					state = 'value-or-end';
				} else if (code === quote) {
					const error = scanString();
					if (error) {
						return error;
					}

					state = 'after';
				} else if (code === minus || isDigit(code)) {
					const error = scanNumber();
					if (error) {
						return error;
					}

					state = 'after';
				} else {
					const literal = ['true', 'false', 'null'].find(word => text.startsWith(word, index));
					if (literal === undefined) {
						return fail('an unexpected character where a value was expected');
					}

					index += literal.length;
					state = 'after';
				}

				break;
			}

			case 'key':
			case 'key-or-end': {
				if (code === -1) {
					return fail('the text ends inside an object');
				}

				if (state === 'key-or-end' && code === closeObject) {
					index++;
					stack.pop();
					state = 'after';
					break;
				}

				if (code !== quote) {
					return fail('a property name that is not in double quotes');
				}

				const error = scanString();
				if (error) {
					return error;
				}

				skipSpace();
				if (text.charCodeAt(index) !== colon) {
					return fail('no ":" after a property name');
				}

				index++;
				state = 'value';
				break;
			}

			case 'after': {
				const top = stack.at(-1);
				if (top === undefined) {
					return code === -1 ? undefined : fail('more text after the JSON value');
				}

				if (code === -1) {
					return fail(top === openObject ? 'the text ends inside an object' : 'the text ends inside an array');
				}

				if (code === comma) {
					index++;
					state = top === openObject ? 'key' : 'value';
				} else if ((top === openObject && code === closeObject) || (top === openArray && code === closeArray)) {
					index++;
					stack.pop();
				} else {
					return fail(top === openObject ? 'no "," or "}" after a property value' : 'no "," or "]" after an array element');
				}

				break;
			}
		}
	}
}
