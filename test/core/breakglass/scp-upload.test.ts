// The scp sending side against whatever a device answers: a zero byte goes on, anything else is its reason, cut and cleaned.
import {writeFileSync} from 'node:fs';
import {mkdtemp, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {Duplex} from 'node:stream';
import test from 'ava';
import fc from 'fast-check';
import {sendOverScp} from '../../../source/core/breakglass/scp-upload.js';

/** A device that answers with `replies` whatever it is sent, then ends; what it was sent is collected. */
function device(replies: Uint8Array): {channel: Duplex; sent: () => Buffer} {
	const sent: Buffer[] = [];
	const channel = new Duplex({
		read() {},
		write(chunk: Buffer, _encoding, callback) {
			sent.push(chunk);
			callback();
		},
	});
	setImmediate(() => {
		channel.push(Buffer.from(replies));
		channel.push(null);
	});
	return {channel, sent: () => Buffer.concat(sent)};
}

test('what a sink sees: a C line with mode, size and name, the bytes, then a zero byte', async t => {
	const dir = await mkdtemp(path.join(os.tmpdir(), 'krazy-scp-'));
	t.teardown(() => rm(dir, {recursive: true, force: true}));
	const file = path.join(dir, 'tools.tar');
	writeFileSync(file, 'abc', {mode: 0o640});
	const {channel, sent} = device(Uint8Array.from([0, 0, 0]));
	await sendOverScp(channel, file, 'tools.tar');
	t.deepEqual(sent(), Buffer.concat([Buffer.from('C0640 3 tools.tar\nabc'), Buffer.from([0])]));
});

test('breakglass\'s bare error text and OpenSSH\'s \\x01 lines become the reason', async t => {
	const dir = await mkdtemp(path.join(os.tmpdir(), 'krazy-scp-'));
	t.teardown(() => rm(dir, {recursive: true, force: true}));
	const file = path.join(dir, 'junk');
	writeFileSync(file, 'junk');
	await t.throwsAsync(sendOverScp(device(Buffer.from('\0\0archive/tar: invalid tar header\n')).channel, file, 'junk'), {message: 'archive/tar: invalid tar header'});
	await t.throwsAsync(sendOverScp(device(Buffer.from('\x01scp: junk: Permission denied\n')).channel, file, 'junk'), {message: 'scp: junk: Permission denied'});
	await t.throwsAsync(sendOverScp(device(Buffer.from([0])).channel, file, 'junk'), {message: 'the device closed the scp session at the file header'});
});

test('any answer from a device: done, or a one-line reason without control characters and of bounded length', async t => {
	const dir = await mkdtemp(path.join(os.tmpdir(), 'krazy-scp-'));
	t.teardown(() => rm(dir, {recursive: true, force: true}));
	const file = path.join(dir, 'payload');
	writeFileSync(file, 'payload');
	await t.notThrowsAsync(fc.assert(
		fc.asyncProperty(fc.uint8Array({maxLength: 3000}), async replies => {
			try {
				await sendOverScp(device(replies).channel, file, 'payload');
				return replies[0] === 0 && replies[1] === 0 && replies[2] === 0;
			} catch (error) {
				const message = (error as Error).message;
				return message.length > 0 && message.length <= 1100 && !/[\u0000-\u001f\u007f-\u009f]/.test(message);
			}
		}),
		{numRuns: 300},
	));
});
