// Text measured in columns: wide characters, the fast path's ranges, cutting, padding, wrapping and log-row chunks.
import test from 'ava';
import stringWidth from 'string-width';
import {cell, columnChunks, cut, expandTabs, fit, fitRuns, narrowRanges, rule, runsWidth, textWidth, wrapWords} from '../../source/display/columns.js';

const wideHost = '日本語のホスト名です';

test('every character of the fast path is one column wide, as string-width measures it', t => {
	const wrong: string[] = [];
	for (const [from, to] of narrowRanges) {
		for (let code = from; code <= to; code++) {
			const character = String.fromCodePoint(code);
			if (stringWidth(character) !== 1 || textWidth(character) !== 1) {
				wrong.push(`U+${code.toString(16)} ${stringWidth(character)}`);
			}
		}
	}

	t.deepEqual(wrong, []);
});

test('a wide hostname is measured in columns and fitted to exactly the width asked', t => {
	t.is(textWidth(wideHost), 20);
	for (const width of [1, 2, 7, 8, 9, 19, 20, 21, 30]) {
		t.is(stringWidth(fit(wideHost, width)), width, `fit to ${width}`);
		t.is(stringWidth(fit(wideHost, width, 'right')), width, `right-aligned to ${width}`);
		t.true(stringWidth(cut(wideHost, width)) <= width, `cut to ${width}`);
		t.is(stringWidth(cell(wideHost, width)), width, `cell of ${width}`);
	}

	t.is(fit(wideHost, 8), '日本語… ');
	t.is(fit('abcdef', 4), 'abc…');
	t.is(fit('ab', 4, 'right'), '  ab');
	t.is(fit('anything', 0), '');
	t.is(cut('short', 10), 'short');
});

test('rules and marks are measured by columns too', t => {
	t.is(stringWidth(rule(`Services · ${wideHost}`, 24)), 24);
	t.is(rule('Logs', 12), '── Logs ────');
	t.is(textWidth('● online'), 8);
	t.is(textWidth('\u001b[31mred\u001b[39m'), 3);
});

test('tabs stop at columns counted in the width of what precedes them', t => {
	t.is(expandTabs('a\tb'), 'a       b');
	t.is(expandTabs('日本\tx'), '日本    x');
	t.is(expandTabs('none'), 'none');
});

test('runs are cut together, the last one with an ellipsis, by columns', t => {
	const runs = [{text: 'host '}, {text: wideHost, tone: 'ok'}];
	const fitted = fitRuns(runs, 12);
	t.is(runsWidth(fitted), 12);
	t.is(fitted[1].text, '日本語…');
	t.deepEqual(fitRuns(runs, 3), [{text: 'ho…'}]);
	t.deepEqual(fitRuns(runs, 40), runs, 'runs that fit are kept as they are');
});

test('words wrap to the width and the last line says what was cut', t => {
	t.deepEqual(wrapWords('one two three four five', 9, 2), ['one two', 'three fo…']);
	t.deepEqual(wrapWords('one two', 20, 3), ['one two']);
	t.deepEqual(wrapWords('abcdefghijkl mn', 5, 3), ['abcd…', 'mn']);
	for (const line of wrapWords(`${wideHost} ${wideHost} ${wideHost}`, 9, 2)) {
		t.true(stringWidth(line) <= 9, line);
	}
});

test('log rows are chunks of at most the width in columns, with their offsets into the text', t => {
	t.deepEqual(columnChunks('abcdefg', 3), [{text: 'abc', offset: 0}, {text: 'def', offset: 3}, {text: 'g', offset: 6}]);
	t.deepEqual(columnChunks('', 3), [{text: '', offset: 0}]);
	const chunks = columnChunks(`x${wideHost}`, 5);
	t.true(chunks.every(chunk => stringWidth(chunk.text) <= 5));
	t.is(chunks.map(chunk => chunk.text).join(''), `x${wideHost}`);
	t.is(chunks[1].offset, chunks[0].text.length);
	t.is(columnChunks('a'.repeat(100), 10, 2).length, 2);
	t.is(columnChunks(wideHost, 4, 2).length, 2);
});
