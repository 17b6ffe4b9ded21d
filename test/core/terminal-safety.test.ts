// Device text on its way to a terminal: bidi controls removed, one-line messages bounded, --json escaping what JSON leaves raw.
import test from 'ava';
import {DeviceError, describeError} from '../../source/core/device-error.js';
import {readLimits} from '../../source/core/read-limits.js';
import {jsonForTerminal, oneLine, sanitizeForTerminal} from '../../source/core/sanitize-terminal.js';
import {nastyText} from '../helpers/hostile-device.js';

test('bidi overrides, embeddings, isolates and marks are removed everywhere; so are U+2028/U+2029', t => {
	t.is(sanitizeForTerminal('file\u202Egnp.exe\u202C ok'), 'filegnp.exe ok');
	t.is(sanitizeForTerminal('\u2066a\u2067b\u2068c\u2069 \u200E\u200F\u061Cd'), 'abc d');
	t.is(sanitizeForTerminal('one\u2028two\u2029three'), 'onetwothree');
	t.is(sanitizeForTerminal('colour \u001B[31mred\u001B[0m \u202E', {keepColors: true}), 'colour \u001B[31mred\u001B[0m ');
	t.is(sanitizeForTerminal('עברית and العربية stay'), 'עברית and العربية stay');
});

test('oneLine: escapes, OSC 52, CR, C1 and bidi gone, line breaks become spaces, cut with … at the length asked for', t => {
	const line = oneLine(`${nastyText}\nsecond\r\nthird\tfourth`, 1000);
	t.is(line, 'overwritten gnp.exe iso red   nel end second third fourth');
	t.is(oneLine('x'.repeat(50), 10), `${'x'.repeat(9)}…`);
	t.is(oneLine('😀'.repeat(10), 4), '😀…', 'never half a surrogate pair');
	t.is(oneLine(`${'a'.repeat(5_000_000)}\u001B[2J`, 20).length, 20, 'a 5 MB body costs what 20 characters cost');
});

test('a DeviceError is one clean bounded line whatever the device and cause hold', t => {
	const error = new DeviceError(`casa${nastyText}`, 'http', `HTTP 500: ${nastyText}\n${'b'.repeat(10_000)}`);
	t.false(/[\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/.test(error.message), JSON.stringify(error.message));
	t.true(error.device.length <= readLimits.messageFieldChars);
	t.true(error.causeText.length <= readLimits.messageChars);
	t.true(error.message.startsWith('casaoverwritten gnp.exe'));
	t.is(describeError(new Error(`first ${nastyText}\nsecond`), 'casa'), 'casa: first overwritten gnp.exe iso red   nel end');
});

test('--json: C1 and bidi controls are \\u escapes, the document is the same JSON', t => {
	const value = {line: 'a\u009B31mb\u202Ec\u2066d\u007Fe\u2028', n: 1};
	const json = jsonForTerminal(value);
	t.is(json, '{"line":"a\\u009b31mb\\u202ec\\u2066d\\u007fe\\u2028","n":1}');
	t.deepEqual(JSON.parse(json), value);
	t.true(JSON.stringify(value).includes('\u009B'), 'JSON.stringify alone leaves them raw');
});
