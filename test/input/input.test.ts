// The shared input: chunks taken apart into keys, the text field's reducer, and a key table's lookup, help and names.
import test from 'ava';
import {noKey, splitKeys} from '../../source/input/key-chunks.js';
import {blessedKeyName, keyLabel, keyTable} from '../../source/input/key-table.js';
import {editText, textInputReducer} from '../../source/input/text-input.js';

test('a chunk becomes one key per character: Enter, Tab, Backspace and Ctrl letters included', t => {
	const keys = splitKeys('ab\r\t\u007f\u0003Z', noKey);
	t.deepEqual(keys.map(({input}) => input), ['a', 'b', '', '', '', 'c', 'Z']);
	t.true(keys[2].key.return);
	t.true(keys[3].key.tab);
	t.true(keys[4].key.backspace);
	t.true(keys[5].key.ctrl);
	t.true(keys[6].key.shift);
	t.deepEqual(splitKeys('x', noKey), [{input: 'x', key: noKey}]);
	t.deepEqual(splitKeys('a\u001b[1;31mb', noKey).map(({input}) => input), ['a', 'b'], 'a colour inside a paste is dropped whole');
	t.deepEqual(splitKeys('[A', {...noKey, upArrow: true}), [{input: '[A', key: {...noKey, upArrow: true}}], 'a named key passes whole');
});

const cases: Array<[string, string, Array<[string, Partial<typeof noKey>]>, string, string | undefined]> = [
	['typing', '', [['a', {}], ['b', {}]], 'ab', undefined],
	['backspace removes one character, not one code unit', '日本', [['', {backspace: true}]], '日', undefined],
	['Enter submits', 'path', [['', {return: true}]], 'path', 'submit'],
	['Esc cancels', 'path', [['', {escape: true}]], 'path', 'cancel'],
	['control characters in a paste never get in', 'a', [['\u001b[31m', {}]], 'a', undefined],
	['Ctrl letters and arrows are not text', 'a', [['c', {ctrl: true}], ['', {leftArrow: true}]], 'a', undefined],
	['Ctrl-U clears the field, as in a shell', 'gokrazy/casa', [['u', {ctrl: true}]], '', undefined],
	['Ctrl-W deletes the word before the cursor and the spaces after it', 'foo bar  ', [['w', {ctrl: true}]], 'foo ', undefined],
	['Ctrl-W twice deletes two words', 'a bc de', [['w', {ctrl: true}], ['w', {ctrl: true}]], 'a ', undefined],
	['a burst of Backspace in one chunk deletes as many characters', 'images/casa.img', [['\u007f\u007f\u007f\u007f', {}]], 'images/casa', undefined],
];

for (const [name, start, keys, value, done] of cases) {
	test(`text input: ${name}`, t => {
		let result: {value: string; done?: string} = {value: start};
		for (const [input, flags] of keys) {
			result = editText(result.value, input, {...noKey, ...flags});
		}

		t.is(result.value, value);
		t.is(result.done, done);
	});
}

test('the reducer is pure: same value and action, same result', t => {
	t.deepEqual(textInputReducer('ab', {type: 'insert', text: 'c'}), {value: 'abc'});
	t.deepEqual(textInputReducer('', {type: 'deleteBackward'}), {value: ''});
});

test('a table matches by context in order, hides actions when read-only, and names keys for help and blessed', t => {
	const table = keyTable<'go' | 'zap' | 'up', 'a' | 'b'>([
		{intent: 'go', keys: [{input: 'g'}], contexts: ['a'], description: 'go'},
		{intent: 'zap', keys: [{input: 'g'}], contexts: ['b'], description: 'zap it', action: true},
		{intent: 'up', keys: [{key: 'upArrow'}, {input: 'k'}], contexts: ['a', 'b'], description: 'up'},
	], {sections: [{title: 'A', contexts: ['a']}, {title: 'B', contexts: ['b']}]});
	t.is(table.match(['b', 'a'], 'g', noKey), 'zap');
	t.is(table.match(['b', 'a'], 'g', noKey, {readonly: true}), 'go');
	t.is(table.match(['a'], '', {...noKey, upArrow: true}), 'up');
	t.is(table.match(['a'], 'g', {...noKey, ctrl: true}), undefined);
	t.deepEqual(table.helpSections(), [
		{title: 'A', rows: [{keys: 'g', description: 'go'}, {keys: '↑ k', description: 'up (also in b)'}]},
		{title: 'B', rows: [{keys: 'g', description: 'zap it'}]},
	]);
	t.is(table.helpSections({readonly: true}).length, 1);
	t.is(table.contextHints('a'), 'g go · ↑/k up');
	t.is(keyLabel({input: 'c', ctrl: true}), 'Ctrl+C');
	t.is(blessedKeyName({input: 'c', ctrl: true}), 'C-c');
	t.is(blessedKeyName({input: ' '}), 'space');
	t.is(blessedKeyName({key: 'pageDown'}), 'pagedown');
});
