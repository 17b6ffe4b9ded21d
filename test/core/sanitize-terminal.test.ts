// Device text on the terminal: nothing that moves the cursor, sets a title or writes the clipboard gets through.
import test from 'ava';
import fc from 'fast-check';
import {sanitizeForTerminal, stripTerminalSequences} from '../../source/core/sanitize-terminal.js';
import {readCaptureFile} from '../helpers/captures.js';

const esc = '\u001b';

test('plain text and tabs pass unchanged', t => {
	t.is(sanitizeForTerminal('golink: request 81 served\tok ✓ é'), 'golink: request 81 served\tok ✓ é');
});

test('cursor movement, erase, scroll region and mode changes are removed', t => {
	const text = `a${esc}[2Jb${esc}[10;20Hc${esc}[5Ad${esc}[?1049he${esc}[?25lf${esc}[1;5rg${esc}[Kh`;
	t.is(sanitizeForTerminal(text), 'abcdefgh');
});

test('OSC titles and clipboard writes are removed, with BEL or ST, or unterminated', t => {
	t.is(sanitizeForTerminal(`x${esc}]0;pwned title\u0007y`), 'xy');
	t.is(sanitizeForTerminal(`x${esc}]52;c;aGVsbG8=${esc}\\y`), 'xy');
	t.is(sanitizeForTerminal(`x${esc}]8;;http://evil\u0007link${esc}]8;;\u0007y`), 'xlinky');
	t.is(sanitizeForTerminal(`x${esc}]2;never ends`), 'x');
});

test('DCS, APC, PM and SOS strings are removed', t => {
	t.is(sanitizeForTerminal(`a${esc}P1$r0m${esc}\\b${esc}_apc${esc}\\c${esc}^pm${esc}\\d${esc}Xsos${esc}\\e`), 'abcde');
});

test('C1 controls (8-bit CSI, OSC, ST) are removed with their sequences', t => {
	t.is(sanitizeForTerminal('a\u009b2Jb\u009d0;title\u009cc\u0085d'), 'abcd');
});

test('8-bit DCS, SOS, PM and APC strings (0x90, 0x98, 0x9e, 0x9f) are removed with their bodies, however they end', t => {
	const openers = {DCS: '\u0090', SOS: '\u0098', PM: '\u009e', APC: '\u009f'};
	const terminators = {'C1 ST': '\u009c', 'ESC \\': `${esc}\\`, BEL: '\u0007'};
	for (const [name, opener] of Object.entries(openers)) {
		for (const [ending, terminator] of Object.entries(terminators)) {
			t.is(sanitizeForTerminal(`before ${opener}1$r0;hidden body${terminator}after`), 'before after', `${name} ended by ${ending}`);
		}

		// Unterminated: everything after the opener is its body.
		t.is(sanitizeForTerminal(`shown ${opener}tmux;${esc}${esc}]52;c;cm0gLXJm${esc}${esc}\\`), 'shown ', `${name} unterminated`);
		t.is(stripTerminalSequences(`x${opener}qpayload\u009cy`), 'xy', name);
	}
});

test('property: the body of an 8-bit control string never reaches the terminal', t => {
	const body = fc.string({unit: fc.constantFrom(...'abcxyz019;:$|{}[]/ '.split('')), minLength: 1, maxLength: 40});
	t.notThrows(() => fc.assert(fc.property(
		fc.constantFrom('\u0090', '\u0098', '\u009e', '\u009f'),
		body,
		fc.constantFrom('\u009c', `${esc}\\`, '\u0007', ''),
		(opener, text, terminator) => sanitizeForTerminal(`<${opener}${text}${terminator}>`) === (terminator === '' ? '<' : '<>'),
	), {numRuns: 500}));
});

test('beside a control in the same line, tabs and non-ASCII text stay and bidi controls go', t => {
	t.is(sanitizeForTerminal(`a\tb é ✓ ü${esc}[2Jc`), 'a\tb é ✓ üc');
	t.is(sanitizeForTerminal(`x\u202Egnp.exe\u202C\u061Cy${esc}[Kz\u2066`), 'xgnp.exeyz');
	// An 8-bit opener right after a removed BEL: the string after it goes, and the cleaning ends.
	t.is(sanitizeForTerminal('x\u0007\u0090body\u009cy'), 'xy');
});

test('carriage returns, backspaces, bells, other C0 and DEL are removed; a bare ESC too', t => {
	t.is(sanitizeForTerminal('progress 10%\rprogress 100%\r\n'), 'progress 10%progress 100%');
	t.is(sanitizeForTerminal('a\bb\u0007c\u0000d\u007fe\u000ef'), 'abcdef');
	t.is(sanitizeForTerminal(`a${esc}`), 'a');
	t.is(sanitizeForTerminal(`a${esc}7b${esc}8c${esc}cd${esc}(Be`), 'abcde');
});

test('newlines are dropped unless asked to keep them', t => {
	t.is(sanitizeForTerminal('a\nb'), 'ab');
	t.is(sanitizeForTerminal('a\nb', {keepNewlines: true}), 'a\nb');
});

test('SGR colours go by default and stay with keepColors (as 7-bit sequences), other CSI still go', t => {
	const text = `${esc}[31mred${esc}[0m ${esc}[1;38;5;208mbold${esc}[m\u009b32mgreen${esc}[2J`;
	t.is(sanitizeForTerminal(text), 'red boldgreen');
	t.is(sanitizeForTerminal(text, {keepColors: true}), `${esc}[31mred${esc}[0m ${esc}[1;38;5;208mbold${esc}[m${esc}[32mgreen`);
	// A "colour" with private parameters is not a plain SGR.
	t.is(sanitizeForTerminal(`${esc}[?31mx`, {keepColors: true}), 'x');
	t.is(stripTerminalSequences(`${esc}[31mred`), 'red');
});

test('the weird service of the real captures leaves only printable text', t => {
	const capture = readCaptureFile('log-weird-both-sse.txt').toString('utf8');
	const cleaned = sanitizeForTerminal(capture, {keepNewlines: true});
	t.false(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(cleaned));
	t.true(cleaned.includes('data: '));
});

test('a 1 MB line full of escape sequences is cleaned completely', t => {
	const line = `${esc}]0;t\u0007${esc}[H${'x'.repeat(100)}`.repeat(10_000);
	const cleaned = sanitizeForTerminal(line);
	t.is(cleaned, 'x'.repeat(1_000_000));
});
