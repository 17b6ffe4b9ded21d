// The card simulator: I/O of a process inside its group reaches the throttle (direct and buffered+fsync, writes and reads), other I/O does not, and nothing outlives it.
import {execFile} from 'node:child_process';
import {existsSync} from 'node:fs';
import {promisify} from 'node:util';
import test from 'ava';
import {createCardSimulator} from '../../helpers/card-simulator.js';
import {MiB} from './test-images.js';

const run = promisify(execFile);
/** Fast enough to keep the test short: these tests are about where the I/O goes, the bench measures speed. */
const quick = {name: 'quick', label: 'test card', writeBytesPerSecond: 400e6, readBytesPerSecond: 800e6};

test.serial('writes and reads of a process run inside the group go through the card\'s throttle, direct and buffered alike', async t => {
	const card = await createCardSimulator({size: 64 * MiB, profile: quick}, t);
	t.deepEqual(await card.io(), {readBytes: 0, writeBytes: 0, reads: 0, writes: 0});
	const dd = async (...args: string[]) => {
		const [command, wrapped] = card.wrap('dd', [...args, 'status=none']);
		await run(command, wrapped);
	};

	await dd('if=/dev/urandom', `of=${card.path}`, 'bs=1M', 'count=4', 'oflag=direct');
	t.is((await card.io()).writeBytes, 4 * MiB);
	// Buffered: the pages reach the card from the writer's own fsync, inside the group.
	await dd('if=/dev/urandom', `of=${card.path}`, 'bs=1M', 'count=3', 'seek=8', 'conv=fsync');
	t.is((await card.io()).writeBytes, 7 * MiB);
	await dd(`if=${card.path}`, 'of=/dev/null', 'bs=1M', 'count=2', 'iflag=direct');
	t.is((await card.io()).readBytes, 2 * MiB);
	await run('blockdev', ['--flushbufs', card.path]);
	await dd(`if=${card.path}`, 'of=/dev/null', 'bs=1M', 'count=2', 'skip=20');
	const io = await card.io();
	t.true(io.readBytes >= 4 * MiB, `a buffered read past the page cache is counted too (${io.readBytes})`);
	t.true(io.writes > 0 && io.reads > 0);

	// A process outside the group is neither throttled nor counted.
	await card.resetIo();
	await run('dd', ['if=/dev/zero', `of=${card.path}`, 'bs=1M', 'count=2', 'oflag=direct', 'status=none']);
	t.is((await card.io()).writeBytes, 0);
});

test.serial('this process can enter the group and leave it; dispose removes the group and detaches the card', async t => {
	const card = await createCardSimulator({size: 16 * MiB, profile: quick});
	try {
		await card.enter();
		t.true((await run('cat', ['/proc/self/cgroup'])).stdout.includes(card.cgroup.replace('/sys/fs/cgroup/blkio', '')), 'children inherit the group');
		await run('dd', ['if=/dev/zero', `of=${card.path}`, 'bs=1M', 'count=1', 'oflag=direct', 'status=none']);
		t.is((await card.io()).writeBytes, MiB);
	} finally {
		// Dispose moves this process back out by itself: left in, the group could not be removed.
		await card.dispose();
	}

	t.false(existsSync(card.cgroup));
	t.false((await run('losetup', ['--list', '--noheadings', '--output', 'NAME'])).stdout.split('\n').map(line => line.trim()).includes(card.path));
	await card.dispose();
});

test('an unknown card profile is refused by name', async t => {
	await t.throwsAsync(createCardSimulator({size: MiB, profile: 'floppy' as 'card'}), {message: /unknown card profile floppy; known: card, class10/});
});
