// Properties of what the demo breakglass parses from SSH clients: command lines (shlex), scp's flags, and SFTP packets.
import {constants} from 'node:fs';
import {mkdtemp, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {Duplex} from 'node:stream';
import test from 'ava';
import fc from 'fast-check';
import {parseScpFlags, RequestError, shlexSplit} from '../../source/demo/scp-sink.js';
import {maxPacketLength, openFlags, serveSftp} from '../../source/demo/sftp-server.js';

test('shlex: words as google/shlex splits them, quotes and escapes and comments', t => {
	t.deepEqual(shlexSplit('scp -t .'), ['scp', '-t', '.']);
	t.deepEqual(shlexSplit(`echo 'a b' "c \\"d\\"" e\\ f # comment`), ['echo', 'a b', 'c "d"', 'e f']);
	t.deepEqual(shlexSplit('echo a; echo b'), ['echo', 'a;', 'echo', 'b']);
	t.throws(() => shlexSplit('echo "open'), {message: 'EOF found when expecting closing quote'});
	t.throws(() => shlexSplit('echo \\'), {message: 'EOF found after escape character'});
});

test('shlex: any line splits in bounded output or fails with one of its two errors', t => {
	t.notThrows(() => fc.assert(
		fc.property(fc.string({maxLength: 400}), line => {
			try {
				const words = shlexSplit(line);
				return words.join('').length <= line.length && words.every(word => word.length > 0 || line.includes('\'\'') || line.includes('""'));
			} catch (error) {
				return ['EOF found when expecting closing quote', 'EOF found after escape character'].includes((error as Error).message);
			}
		}),
	));
});

test('scp flags: -t only, as breakglass\'s flag set; everything else is Go\'s error', t => {
	t.deepEqual(parseScpFlags(['-t', '.']), {sink: true});
	t.deepEqual(parseScpFlags(['-t', '--', '-weird']), {sink: true});
	t.throws(() => parseScpFlags(['-f', 'file']), {message: 'flag provided but not defined: -f'});
	t.throws(() => parseScpFlags(['-d', '-t', '.']), {message: 'flag provided but not defined: -d'});
	t.throws(() => parseScpFlags(['.']), {message: 'expected -t'});
	fc.assert(
		fc.property(fc.array(fc.string({maxLength: 12}), {maxLength: 6}), args => {
			try {
				return parseScpFlags(args).sink;
			} catch (error) {
				return error instanceof RequestError && !error.message.includes('\n') && error.message.length < 80;
			}
		}),
	);
});

test('SFTP open flags: the whole SSH_FXF set maps as pkg/sftp maps it (create without truncate stays so)', t => {
	const {O_RDONLY, O_WRONLY, O_RDWR, O_APPEND, O_CREAT, O_TRUNC, O_EXCL} = constants;
	t.is(openFlags(0x01), O_RDONLY);
	t.is(openFlags(0x02 | 0x08), O_WRONLY | O_CREAT);
	t.is(openFlags(0x02 | 0x08 | 0x10), O_WRONLY | O_CREAT | O_TRUNC);
	t.is(openFlags(0x01 | 0x02 | 0x04), O_RDWR | O_APPEND);
	t.is(openFlags(0x02 | 0x08 | 0x20), O_WRONLY | O_CREAT | O_EXCL);
});

/** A channel the server reads `input` from, collecting what it writes. */
function fakeChannel(): {channel: Duplex; written: Buffer[]; destroyed: () => boolean} {
	const written: Buffer[] = [];
	const channel = new Duplex({
		read() {},
		write(chunk: Buffer, _encoding, callback) {
			written.push(chunk);
			callback();
		},
	});
	return {channel, written, destroyed: () => channel.destroyed};
}

function frame(type: number, body: Uint8Array): Buffer {
	const header = Buffer.alloc(5);
	header.writeUInt32BE(body.length + 1);
	header[4] = type;
	return Buffer.concat([header, body]);
}

test('SFTP packets: any bodies, cut anywhere, get well-formed answers of bounded size and the session ends', async t => {
	const cwd = await mkdtemp(path.join(os.tmpdir(), 'krazy-sftp-prop-'));
	t.teardown(() => rm(cwd, {recursive: true, force: true}));
	// Only requests that change nothing on disk, so random paths cannot touch this machine's files.
	const readOnlyTypes = [1, 4, 5, 7, 8, 11, 12, 16, 17, 19, 99];
	await t.notThrowsAsync(fc.assert(
		fc.asyncProperty(
			fc.array(fc.tuple(fc.constantFrom(...readOnlyTypes), fc.uint8Array({maxLength: 64})), {maxLength: 12}),
			fc.integer({min: 1, max: 64}),
			async (packets, cut) => {
				const {channel, written} = fakeChannel();
				const {closed} = serveSftp(channel, {cwd});
				const input = Buffer.concat(packets.map(([type, body]) => frame(type, body)));
				for (let offset = 0; offset < input.length; offset += cut) {
					channel.push(input.subarray(offset, offset + cut));
				}

				channel.push(null);
				await closed;
				const output = Buffer.concat(written);
				let offset = 0;
				let answers = 0;
				while (offset < output.length) {
					const length = output.readUInt32BE(offset);
					offset += 4 + length;
					answers++;
				}

				// One answer per request, each whole, none larger than a READ's 32 KiB and its header.
				return offset === output.length && answers === packets.length && output.length <= packets.length * (33 * 1024);
			},
		),
		{numRuns: 150},
	));
});

test('SFTP packets: a length beyond the limit ends the session at once', async t => {
	const cwd = await mkdtemp(path.join(os.tmpdir(), 'krazy-sftp-prop-'));
	t.teardown(() => rm(cwd, {recursive: true, force: true}));
	const {channel, written, destroyed} = fakeChannel();
	serveSftp(channel, {cwd});
	const header = Buffer.alloc(4);
	header.writeUInt32BE(maxPacketLength + 1);
	channel.push(header);
	await new Promise(resolve => setImmediate(resolve));
	t.true(destroyed());
	t.is(written.length, 0);
});
