// Properties of every parser and stream that reads device or file bytes: any input → it ends, throws only our own errors, bounded output, nothing raw.
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import test from 'ava';
import fc from 'fast-check';
import {KnownHosts} from '../../source/core/breakglass/known-hosts.js';
import {DeviceError} from '../../source/core/device-error.js';
import {parseDeviceUrl} from '../../source/core/device-registry.js';
import {redactUrl, redactUrlsIn} from '../../source/core/device-target.js';
import {LsblkError, parseLsblkJson} from '../../source/core/flash/lsblk.js';
import {parsePartitionTable} from '../../source/core/flash/partition-table.js';
import {describeJsonError, readGokInstance} from '../../source/core/gok-config.js';
import {findJsonError} from '../../source/core/json-syntax.js';
import {LogBuffer} from '../../source/core/log-buffer.js';
import {parseHtmlOverview, parseOverview, parseServiceStatus, ShapeError} from '../../source/core/overview-parser.js';
import {parsePrometheusText} from '../../source/core/prometheus-text.js';
import {cutMarker} from '../../source/core/read-limits.js';
import {jsonForTerminal, oneLine, sanitizeForTerminal} from '../../source/core/sanitize-terminal.js';
import {SseParser, type SseEvent} from '../../source/core/sse-parser.js';

/** What must never reach a terminal raw: C0 (but tab), DEL, C1, bidi controls, U+2028/U+2029. */
const rawControl = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;

/** Strings made of what hurts: escapes, C1, bidi, CR/LF, quotes, entities, and the markup the parsers look for. */
const nasty = fc.constantFrom(
	'\u001b', '\u001b[', '\u001b]52;c;', '\u0007', '\u009b', '\u009d', '\u009c', '\r', '\n', '\t', '\u202e', '\u2066', '\u2069', '\u200f',
	'"', '<', '>', '&', '&#34;', '&amp;', ';', ':', ' ', 'a', 'é', '✓', '\uD83D\uDE00', '\uD800', '0', '9', '.',
);
const nastyString = (maxLength: number) => fc.array(nasty, {maxLength}).map(parts => parts.join(''));

const htmlFragments = fc.constantFrom(
	'title="', '"', ' uses ', '1.5', ' MiB RSS"', 'init', '/user/x', '<a href="/status?path=', '">', '</a>',
	'<td class="lastlog">', '</td>', '<small>', 'stdout: </small>', 'stderr: </small>', '<br/>', '\n', 'a', '&#34;', '<',
);
const htmlPage = fc.array(fc.oneof(htmlFragments, nasty), {maxLength: 200}).map(parts => parts.join(''));

test('SSE: any bytes in any chunks → events bounded by the limits, the same whatever the chunking, never a throw', t => {
	const limits = {lineBytes: 48, eventBytes: 96};
	const bound = limits.eventBytes + cutMarker(Number.MAX_SAFE_INTEGER).length;
	const sseBytes = fc.array(fc.oneof(
		fc.constantFrom('data: ', 'data:', 'event: stderr', 'event:', ': comment', '\n', '\n\n', '\r', 'x'.repeat(40), 'é✓'),
		nastyString(8),
		fc.uint8Array({maxLength: 30}).map(bytes => Buffer.from(bytes).toString('latin1')),
	), {maxLength: 60}).map(parts => Buffer.from(parts.join(''), 'utf8'));
	fc.assert(fc.property(sseBytes, fc.array(fc.integer({min: 1, max: 40}), {minLength: 1, maxLength: 8}), (bytes, sizes) => {
		const whole: SseEvent[] = [];
		const whole_ = new SseParser(event => whole.push(event), limits);
		whole_.push(bytes);
		whole_.end();
		const chunked: SseEvent[] = [];
		const parser = new SseParser(event => chunked.push(event), limits);
		let offset = 0;
		for (let index = 0; offset < bytes.length; index++) {
			const size = sizes[index % sizes.length]!;
			parser.push(bytes.subarray(offset, offset + size));
			offset += size;
		}

		parser.end();
		assert.deepEqual(chunked, whole);
		assert.ok(whole.length <= bytes.length);
		for (const event of whole) {
			assert.ok(event.data.length <= bound, `${event.data.length} > ${bound}`);
			assert.ok((event.event ?? '').length <= 64);
		}
	}), {numRuns: 300});
	t.pass();
});

test('SSE → log buffer: every line shown is clean and bounded, the buffer within its byte budget', t => {
	fc.assert(fc.property(fc.array(nastyString(40), {maxLength: 50}), lines => {
		const buffer = new LogBuffer(20, 2000);
		const parser = new SseParser(event => {
			buffer.appendLines([{stream: 'stdout', line: event.data}]);
		}, {lineBytes: 64, eventBytes: 128});
		parser.push(Buffer.from(lines.map(line => `data: ${line}\n\n`).join(''), 'utf8'));
		for (const entry of buffer.entries()) {
			assert.ok(!(rawControl.test(entry.text)), JSON.stringify(entry.text));
		}

		assert.ok(buffer.bytes <= 2000 || buffer.size === 1);
		assert.ok(buffer.size <= 20);
	}), {numRuns: 200});
	t.pass();
});

test('overview JSON: any JSON value → an overview or a ShapeError, services no more than given', t => {
	const service = fc.record({
		Path: fc.oneof(fc.string(), fc.integer()), Stopped: fc.oneof(fc.boolean(), fc.string()), StartTime: fc.oneof(fc.string(), fc.constant('0001-01-01T00:00:00Z'), fc.integer()),
		Pid: fc.oneof(fc.integer(), fc.double(), fc.string()), Args: fc.oneof(fc.array(fc.oneof(fc.string(), fc.integer())), fc.string()), Diverted: fc.anything(),
	}, {requiredKeys: []});
	const overview = fc.record({
		Services: fc.oneof(fc.array(service, {maxLength: 5}), fc.constant(null), fc.anything()), Hostname: fc.anything(), Meminfo: fc.anything(),
		PermTotal: fc.anything(), MountDevices: fc.anything(), PrivateAddrs: fc.anything(), EEPROM: fc.anything(),
	}, {requiredKeys: []});
	fc.assert(fc.property(fc.oneof(overview, fc.jsonValue()), value => {
		try {
			const parsed = parseOverview(value);
			const given = (value as {Services?: unknown[] | null}).Services ?? [];
			assert.ok(parsed.services.length <= given.length);
			assert.ok(Number.isFinite(parsed.memory?.total ?? 0));
		} catch (error) {
			assert.ok(error instanceof ShapeError, String(error));
		}

		try {
			parseServiceStatus(value);
		} catch (error) {
			assert.ok(error instanceof ShapeError, String(error));
		}
	}), {numRuns: 400});
	t.pass();
});

test('overview HTML: any page → no throw, results no bigger than the page, last lines cut to a cell', t => {
	fc.assert(fc.property(htmlPage, html => {
		const {rss, initRss, lastLog} = parseHtmlOverview(html);
		assert.ok(rss.size + lastLog.size <= html.length);
		for (const [name, bytes] of rss) {
			assert.ok(name.length <= html.length);
			assert.ok(Number.isFinite(bytes));
		}

		assert.ok(initRss === null || Number.isFinite(initRss));
		for (const entry of lastLog.values()) {
			assert.ok((entry.stdout ?? '').length <= 8192 && (entry.stderr ?? '').length <= 8192);
		}
	}), {numRuns: 500});
	t.pass();
});

test('overview HTML: a megabyte of any repeated fragment pair is parsed within the test budget (a backtracking regex took 37 s)', t => {
	t.timeout(20_000);
	const fragments = ['title="a', 'title="', '"', ' uses 1 MiB RSS', '<a href="/status?path=x">x</a>', '<td class="lastlog">', '<small>stdout: </small>', '<br/>', '</td>', '<a href="/status?path='];
	let pages = 0;
	for (const first of fragments) {
		for (const second of fragments) {
			const html = Buffer.from((first + second).repeat(Math.ceil(1e6 / (first.length + second.length))), 'latin1').toString('utf8');
			parseHtmlOverview(html);
			pages++;
		}
	}

	t.is(pages, fragments.length ** 2);
});

test('Prometheus text: any text → samples no more than lines, names and labels taken from the text, never a throw', t => {
	const line = fc.array(fc.oneof(
		fc.constantFrom('node_cpu_seconds_total', '{', '}', 'cpu="0"', ',', '=', '"', '\\"', '\\n', '\\', ' ', '1.5', 'NaN', '+Inf', '-Inf', '# HELP', '1e3', 'x'),
		nastyString(4),
	), {maxLength: 20}).map(parts => parts.join(''));
	fc.assert(fc.property(fc.array(line, {maxLength: 20}), lines => {
		const text = lines.join('\n');
		const {samples, invalidLines} = parsePrometheusText(text);
		assert.ok(samples.length + invalidLines <= text.split('\n').length);
		for (const sample of samples) {
			assert.ok(text.includes(sample.name));
			for (const value of Object.values(sample.labels)) {
				assert.ok(value.length <= text.length);
			}
		}
	}), {numRuns: 300});
	t.pass();
});

test('known_hosts: any file → a verdict, never a throw', async t => {
	const dir = await mkdtemp(path.join(os.tmpdir(), 'krazy-kh-prop-'));
	t.teardown(async () => rm(dir, {recursive: true, force: true}));
	const file = path.join(dir, 'known_hosts');
	const field = fc.oneof(
		fc.constantFrom('@revoked', '@cert-authority', '[127.0.0.1]:2222', '127.0.0.1', '*', '?', '!casa', '|1|', '|1|c2FsdA==|aGFzaA==', 'ssh-ed25519', 'AAAAC3NzaC1lZDI1NTE5', '#', ',', ' ', '\t', '\n'),
		nastyString(5),
	);
	let runs = 0;
	await fc.assert(fc.asyncProperty(fc.array(field, {maxLength: 40}), fc.uint8Array({maxLength: 40}), async (parts, key) => {
		runs++;
		await writeFile(file, parts.join(''));
		const verdict = await new KnownHosts(file).verify('127.0.0.1', 2222, Buffer.from(key));
		assert.ok(['known', 'unknown', 'changed'].includes(verdict.status), JSON.stringify(verdict));
	}), {numRuns: 150});
	t.is(runs, 150);
});

/** Every reason findJsonError gives: fixed phrases, so a description can never carry the file's text. */
const jsonReasons = new Set([
	'a string is not closed', 'a control character inside a string', 'a bad \\u escape in a string', 'a bad escape in a string', 'a bad number',
	'the text ends where a value was expected', 'an unexpected character where a value was expected', 'the text ends inside an object',
	'a property name that is not in double quotes', 'no ":" after a property name', 'more text after the JSON value', 'the text ends inside an array',
	'no "," or "}" after a property value', 'no "," or "]" after an array element',
]);

test('JSON syntax: findJsonError agrees with JSON.parse on any text and points inside it; descriptions never quote the text', t => {
	const jsonish = fc.oneof(
		fc.json(),
		fc.json().chain(text => fc.tuple(fc.constant(text), fc.nat(text.length), fc.string({maxLength: 3})).map(([whole, at, insert]) => whole.slice(0, at) + insert + whole.slice(at + 1))),
		fc.string(),
		fc.array(fc.constantFrom('{', '}', '[', ']', '"', ',', ':', '1', '-', '.', 'e', 'true', 'nul', ' ', '\\', '\\u00', 'x', '\n'), {maxLength: 30}).map(parts => parts.join('')),
	);
	fc.assert(fc.property(jsonish, text => {
		let valid = true;
		try {
			JSON.parse(text);
		} catch {
			valid = false;
		}

		const found = findJsonError(text);
		assert.equal(found === undefined, valid, JSON.stringify(text));
		if (found) {
			assert.ok(found.offset >= 0 && found.offset <= text.length);
			const description = describeJsonError(text);
			assert.ok(jsonReasons.has(found.reason), found.reason);
			assert.ok(description.startsWith(`${found.reason} (line `), description);
		}
	}), {numRuns: 1000});
	t.pass();
});

test('gok config.json: any text holding a password → problems or a target, never a throw, never the password in a message', async t => {
	const root = await mkdtemp(path.join(os.tmpdir(), 'krazy-gok-prop-'));
	t.teardown(async () => rm(root, {recursive: true, force: true}));
	const instance = path.join(root, 'gokrazy', 'casa');
	await (await import('node:fs/promises')).mkdir(instance, {recursive: true});
	const configPath = path.join(instance, 'config.json');
	const host = {env: {GOKRAZY_PARENT_DIR: path.join(root, 'gokrazy'), XDG_CONFIG_HOME: path.join(root, 'config')}, home: root};
	const secret = fc.string({minLength: 8, maxLength: 16, unit: fc.constantFrom(...'Zq7#/?@%:"\\ é✓'.split(''))})
		.filter(text => /[Zq7]{3}/.test(text));
	await fc.assert(fc.asyncProperty(secret, fc.nat(200), fc.string({maxLength: 4}), fc.boolean(), async (password, cut, junk, shapeBreak) => {
		const document = shapeBreak
			? `{"Hostname": "casa", "Update": {"HTTPPassword": ${JSON.stringify(password)}, "HTTPPort": [${JSON.stringify(password)}]}}`
			: `{"Hostname": "casa", "Update": {"HTTPPassword": ${JSON.stringify(password)}}}`;
		const broken = document.slice(0, cut) + junk + document.slice(cut);
		await writeFile(configPath, broken);
		const read = await readGokInstance(configPath, host);
		for (const problem of read.problems) {
			assert.ok(!(problem.message.includes(password)), problem.message);
			assert.ok(!(problem.message.includes(JSON.stringify(password).slice(1, -1))), problem.message);
			assert.ok(!(problem.message.includes('\n')));
		}
	}), {numRuns: 150});
	t.pass();
});

test('lsblk JSON: any text → devices or an LsblkError', t => {
	const node = fc.letrec(tie => ({
		node: fc.oneof(
			fc.record({name: fc.anything(), size: fc.oneof(fc.string(), fc.integer(), fc.constant('29.7G')), rm: fc.anything(), mountpoints: fc.anything(), children: fc.array(tie('node'), {maxLength: 3})}, {requiredKeys: []}),
			fc.anything(),
		),
	})).node;
	const output = fc.oneof(fc.string(), fc.record({blockdevices: fc.oneof(fc.array(node, {maxLength: 4}), fc.anything())}).map(value => JSON.stringify(value)), fc.json());
	fc.assert(fc.property(output, text => {
		try {
			const devices = parseLsblkJson(text);
			assert.ok(devices.length <= text.length);
		} catch (error) {
			assert.ok(error instanceof LsblkError, String(error));
		}
	}), {numRuns: 400});
	t.pass();
});

test('lsblk JSON: a field that is an object (even one with a "toString" that is not a function) is no text, not a TypeError', t => {
	// The counterexample a CI run's property found: String() on {toString: 0} throws.
	const devices = parseLsblkJson('{"blockdevices":[{"name":"sda","children":[{"name":{"toString":0},"model":{"valueOf":1},"size":{"toString":0},"rm":{"toString":0}}]}]}');
	t.is(devices[0].name, 'sda');
	t.is(devices[0].children[0].name, '');
	t.is(devices[0].children[0].model, '');
	t.is(devices[0].children[0].size, 0);
	t.false(devices[0].children[0].removable);
});

test('partition tables: any first bytes → a table with at most 1024 partitions, never a throw', t => {
	const sector = (size: number) => fc.uint8Array({minLength: size, maxLength: size});
	const signature = fc.tuple(sector(512), sector(512), fc.boolean(), fc.nat(1100), fc.nat(300)).map(([mbr, header, gpt, count, entrySize]) => {
		const bytes = Buffer.concat([Buffer.from(mbr), Buffer.from(header), Buffer.alloc(4096)]);
		bytes[510] = 0x55;
		bytes[511] = 0xAA;
		if (gpt) {
			bytes.write('EFI PART', 512, 'latin1');
			bytes.writeBigUInt64LE(2n, 512 + 72);
			bytes.writeUInt32LE(count, 512 + 80);
			bytes.writeUInt32LE(entrySize, 512 + 84);
		}

		return new Uint8Array(bytes);
	});
	fc.assert(fc.property(fc.oneof(fc.uint8Array({maxLength: 2048}), signature), bytes => {
		const table = parsePartitionTable(bytes);
		assert.ok(table.partitions.length <= 1024);
		assert.ok(['mbr', 'gpt', 'none'].includes(table.scheme));
	}), {numRuns: 300});
	t.pass();
});

test('oneLine and sanitizeForTerminal: any text → nothing raw, one line, within the length asked for', t => {
	fc.assert(fc.property(fc.oneof(fc.string(), nastyString(60), fc.string({unit: 'binary'})), fc.integer({min: 1, max: 80}), (text, max) => {
		const line = oneLine(text, max);
		assert.ok(line.length <= max, `${line.length} > ${max}`);
		assert.ok(!(rawControl.test(line)), JSON.stringify(line));
		assert.ok(!(rawControl.test(sanitizeForTerminal(text).replaceAll('\t', ''))));
	}), {numRuns: 500});
	t.pass();
});

test('--json: any value → the same JSON, with no C1 or bidi control left raw', t => {
	fc.assert(fc.property(fc.oneof(fc.jsonValue(), fc.record({line: nastyString(30)})), value => {
		const json = jsonForTerminal(value);
		assert.deepEqual(JSON.parse(json), JSON.parse(JSON.stringify(value)));
		assert.ok(!(/[\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/.test(json)));
	}), {numRuns: 400});
	t.pass();
});

test('device URLs: whatever the password holds, no error and no redaction repeats it', t => {
	const password = fc.string({minLength: 6, maxLength: 14, unit: fc.constantFrom(...'Zq7#/?@%:[] é'.split(''))}).filter(text => /[Zq7]{3}/.test(text));
	fc.assert(fc.property(password, fc.constantFrom('http', 'https', 'ftp', 'http:'), fc.constantFrom('casa', '127.0.0.1:8080', '', '[::1]:80'), (secret, scheme, host) => {
		const url = `${scheme}://gokrazy:${secret}@${host}`;
		assert.ok(!(redactUrl(url).includes(secret)));
		assert.ok(!(redactUrlsIn(`bad flag value "${url}" given`).includes(secret)));
		try {
			const target = parseDeviceUrl(url);
			assert.ok(!(target.url.includes(secret)));
		} catch (error) {
			assert.ok(error instanceof DeviceError, String(error));
			assert.ok(!((error as DeviceError).message.includes(secret)), (error as DeviceError).message);
		}
	}), {numRuns: 500});
	t.pass();
});
